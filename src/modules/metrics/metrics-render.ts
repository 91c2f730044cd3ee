import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { collectDefaultMetrics, Histogram } from 'prom-client';
import { metricsRegistry } from '../../common/metrics/metrics.js';
import { runScrapeHooks } from './scrape-hooks.js';

let defaultsOn = false;

/** Node process metrics (event-loop lag, heap, GC, fds) under the rocker_ prefix, once per process. */
export function enableProcessMetrics(): void {
  if (defaultsOn || metricsRegistry.getSingleMetric('rocker_process_cpu_user_seconds_total')) {
    defaultsOn = true;
    return;
  }
  defaultsOn = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'rocker_' });
  countEveryCollection();
}

const GC_METRIC = 'rocker_nodejs_gc_duration_seconds';
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * `rocker_nodejs_gc_duration_seconds` counting every collection: prom-client's own observer
 * records only the first entry of each batch Node hands it, so collections that come close
 * together (a flood's full collections, a scavenge right behind one) went uncounted. Same name,
 * labels and buckets as prom-client's, which is unregistered (its observer still runs, into a
 * histogram nothing reads).
 */
function countEveryCollection(): void {
  metricsRegistry.removeSingleMetric(GC_METRIC);
  const gc = new Histogram({
    name: GC_METRIC,
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [metricsRegistry],
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1];
      if (kind) gc.observe({ kind }, entry.duration / 1000);
    }
  }).observe({ entryTypes: ['gc'] });
}

export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;

/** The Prometheus text exposition of the default registry, gauges refreshed first. */
export async function renderMetrics(): Promise<string> {
  await runScrapeHooks();
  return metricsRegistry.metrics();
}
