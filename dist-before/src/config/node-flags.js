/**
 * The Node.js flags every service process runs with: `npm start` and its siblings, the Dockerfile's
 * command, deploy/k8s' containers, and the servers the benchmarks start (node-flags.spec.ts
 * checks that they all agree). A flag here is a property of the process, so it cannot be set from
 * inside it.
 *
 * `--max-semi-space-size=32`: a young generation of at most 2 × 32 MB. On a host with many
 * gigabytes Node 24 sizes it at 2 × 64 MB, and V8 starts marking the old generation whenever the
 * old generation's headroom is smaller than the young generation, which for this service's ~60 MB
 * heap is always: under a flood of refused 1 MiB bodies the main thread ran a full mark-compact
 * every 300 ms (30 in 10 s, pauses of 7-23 ms with incremental steps of up to 24 ms), and every
 * other org's request that met one waited for it. At 32 the same flood ran 9-11 (docs/performance.md,
 * "The young generation").
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=32'];
/**
 * The process's flags a worker thread can take (--cpu-prof, --inspect, ...): all but the
 * service's own (process-wide: a thread given one fails to start) and `--input-type`.
 */
export function threadExecArgv(execArgv = process.execArgv) {
    return execArgv.filter((a) => !a.startsWith('--input-type') && !SERVICE_NODE_FLAGS.includes(a));
}
//# sourceMappingURL=node-flags.js.map