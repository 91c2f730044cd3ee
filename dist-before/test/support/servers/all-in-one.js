import { serve } from './serve.js';
/**
 * The whole service in one process, API and ingest workers (ROCKER_ROLE=all, as `npm start`
 * runs it): the process bench/fair-share.ts and test/serial/fair-share.test.ts start
 * (test/support/load/fair-share.ts startService).
 */
await serve('all');
//# sourceMappingURL=all-in-one.js.map