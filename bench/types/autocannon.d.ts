declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  interface Result {
    requests: { average: number; total: number };
    latency: Record<string, number>;
    non2xx: number;
    errors: number;
    timeouts: number;
    statusCodeStats?: Record<string, { count: number }>;
  }
  interface Instance extends EventEmitter, PromiseLike<Result> {}
  function autocannon(opts: Record<string, unknown>, cb?: (err: Error | null, r: Result) => void): Instance;
  export default autocannon;
}
