import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { actorRole, type TenantContext } from '../../tenancy/tenant-context.js';

/** Probes scraped every few seconds: their lines would drown the rest. */
const UNLOGGED = ['/health', '/metrics'];

/**
 * One access log line per response (`request completed`, at `error` for a 5xx), written by the
 * root logger with the request's id and tenant. It replaces pino-http's request middleware, which
 * built a child logger, an AsyncLocalStorage store and two listeners for every request (about 6 %
 * of the API's CPU in a profile of GET /v1/threads); lines logged inside a request get the same
 * fields from the request's CLS context (tenantLogFields).
 */
export function installAccessLog(fastify: FastifyInstance): void {
  const log = PinoLogger.root;
  fastify.addHook('onResponse', (req, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : 'info';
    if (log.isLevelEnabled(level) && !UNLOGGED.some((p) => req.url.startsWith(p))) log[level](accessLine(req, status, reply.elapsedTime), 'request completed');
    done();
  });
}

/**
 * The access line of a request whose client went away before its answer (499, `request
 * abandoned`): Fastify runs no onResponse for it, so without this line it would leave no trace.
 */
export function logAbandoned(req: FastifyRequest, elapsedMs: number): void {
  const log = PinoLogger.root;
  if (log.isLevelEnabled('info')) log.info(accessLine(req, 499, elapsedMs), 'request abandoned');
}

function accessLine(req: FastifyRequest, statusCode: number, elapsedMs: number): Record<string, unknown> {
  const t = (req as FastifyRequest & { tenant?: TenantContext }).tenant;
  return {
    request_id: req.id,
    ...(t && { org_id: t.orgId, user_id: t.userId, actor_role: actorRole(t) }),
    req: { id: req.id, method: req.method, url: req.url.split('?')[0] },
    res: { statusCode },
    responseTime: Math.round(elapsedMs),
  };
}
