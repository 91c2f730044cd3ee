import { httpDuration } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
/** Route template ("/v1/threads/:id"), never the raw URL: unknown paths fold into one label. */
export function routeLabel(req) {
    return req.routeOptions?.url ?? 'unmatched';
}
export function statusClass(code) {
    return code >= 100 && code < 600 ? `${Math.floor(code / 100)}xx` : 'other';
}
/**
 * Records every response in rocker_http_request_duration_seconds. A Fastify onResponse hook rather
 * than a Nest interceptor: it also sees answers produced by guards, filters, 404s, body-parser
 * errors and plugin routes (the queue board). Call it before the app registers its routes.
 */
export function installHttpMetrics(fastify) {
    fastify.addHook('onResponse', async (req, reply) => {
        const tenant = req.tenant ?? req.raw.tenant;
        httpDuration.observe({
            route: routeLabel(req),
            method: req.method,
            status_class: statusClass(reply.statusCode),
            org: orgLabel(tenant?.orgId),
        }, reply.elapsedTime / 1000);
    });
}
//# sourceMappingURL=http-metrics.js.map