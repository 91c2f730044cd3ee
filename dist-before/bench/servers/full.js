import { serve } from '../../test/support/servers/serve.js';
/** The whole service, API only, for the benchmarks (bench:overhead, load:noisy). */
await serve('api');
//# sourceMappingURL=full.js.map