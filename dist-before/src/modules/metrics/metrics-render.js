import { collectDefaultMetrics } from 'prom-client';
import { metricsRegistry } from '../../common/metrics/metrics.js';
import { runScrapeHooks } from './scrape-hooks.js';
let defaultsOn = false;
/** Node process metrics (event-loop lag, heap, GC, fds) under the rocker_ prefix, once per process. */
export function enableProcessMetrics() {
    if (defaultsOn || metricsRegistry.getSingleMetric('rocker_process_cpu_user_seconds_total')) {
        defaultsOn = true;
        return;
    }
    defaultsOn = true;
    collectDefaultMetrics({ register: metricsRegistry, prefix: 'rocker_' });
}
export const METRICS_CONTENT_TYPE = metricsRegistry.contentType;
/** The Prometheus text exposition of the default registry, gauges refreshed first. */
export async function renderMetrics() {
    await runScrapeHooks();
    return metricsRegistry.metrics();
}
//# sourceMappingURL=metrics-render.js.map