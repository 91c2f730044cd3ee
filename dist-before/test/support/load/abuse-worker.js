import { parentPort, workerData } from 'node:worker_threads';
import { runAbuse } from './fair-share.js';
/** The noisy side of one fair-share row, on its own thread (see startAbuseThread in fair-share.ts). */
const { ctx, row, scale } = workerData;
const result = await runAbuse(ctx, row, scale, (abuse) => parentPort.postMessage({ type: 'started', abuse }));
parentPort.postMessage({ type: 'done', ...result });
//# sourceMappingURL=abuse-worker.js.map