import { createServer } from 'node:http';
import { metricsTokenMatches } from './metrics-token.js';
import { enableProcessMetrics, METRICS_CONTENT_TYPE, renderMetrics } from './metrics-render.js';
const problem = (status, title, detail) => JSON.stringify({ type: `https://rocker.dev/problems/${status === 401 ? 'unauthorized' : 'not-found'}`, title, status, detail });
/**
 * A bare HTTP listener for processes without the API (the worker on WORKER_PORT): GET /metrics
 * behind the same bearer token, and the two health probes. Register scrape hooks with onScrape().
 */
export async function serveMetrics(opts) {
    enableProcessMetrics();
    const server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        void (async () => {
            if (req.method === 'GET' && path === '/metrics') {
                if (!metricsTokenMatches(req.headers.authorization, opts.token)) {
                    res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer' });
                    res.end(problem(401, 'Unauthorized', 'the metrics token is missing or wrong'));
                    return;
                }
                const body = await renderMetrics();
                res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
                res.end(body);
            }
            else if (req.method === 'GET' && (path === '/health/live' || path === '/health/ready')) {
                const ok = path === '/health/live' || !opts.ready || (await opts.ready().catch(() => false));
                res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
                res.end(JSON.stringify({ status: ok ? 'ok' : 'error' }));
            }
            else {
                res.writeHead(404, { 'content-type': 'application/problem+json' });
                res.end(problem(404, 'Not Found', 'no such route'));
            }
        })().catch(() => {
            if (!res.headersSent)
                res.writeHead(503, { 'content-type': 'application/problem+json' });
            res.end();
        });
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
    });
    return {
        server,
        port: server.address().port,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
//# sourceMappingURL=metrics-server.js.map