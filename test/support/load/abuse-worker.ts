import { parentPort, workerData } from 'node:worker_threads';
import { runAbuse, type FairShareCtx, type Row, type Scale } from './fair-share.js';

/** The noisy side of one fair-share row, on its own thread (see startAbuseThread in fair-share.ts). */
const { ctx, row, scale } = workerData as { ctx: FairShareCtx; row: Row; scale: Scale };
const result = await runAbuse(ctx, row, scale, (abuse) => parentPort!.postMessage({ type: 'started', abuse }));
parentPort!.postMessage({ type: 'done', ...result });
