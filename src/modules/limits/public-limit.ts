import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../../common/decorators/auth.decorators.js';
import { sendProblem } from '../../common/filters/problem.filter.js';
import { countDecision } from '../../common/metrics/metrics.js';
import { routeTargetOf, type RouteTarget } from '../../common/http/early-guards.js';
import { bucketOf, stateOf, take } from './gcra.js';
import { protectionRefusal } from './rate-decision.js';

/** The bucket's name in answers and metrics (a client address's, nobody is billed). */
export const PUBLIC_POLICY = 'public';
const WINDOW_MS = 60_000;
/** Addresses remembered at most (expired ones are dropped first when it is reached). */
const MAX_ADDRESSES = 100_000;

/** Each Nest route's answer to "is it public", read from its metadata once (every request asks). */
const publicRoutes = new WeakMap<RouteTarget, boolean>();

/** Whether a request is for something no one is billed for: a public Nest route, or a route Nest does not own. */
function unbilled(req: FastifyRequest): boolean {
  const target = routeTargetOf(req);
  if (!target) return true;
  let pub = publicRoutes.get(target);
  if (pub === undefined) {
    pub = !!(Reflect.getMetadata(IS_PUBLIC, target.handler) ?? Reflect.getMetadata(IS_PUBLIC, target.cls));
    publicRoutes.set(target, pub);
  }
  return pub;
}

/**
 * RATE_LIMIT_PUBLIC: requests per minute one client address may make, on this instance, to what no
 * one is billed for (public routes, the docs UI and its assets, the queue board, unknown paths), as
 * a token bucket of that size (GCRA) kept in memory: the answers cost no round trip, and a flood of
 * them is bounded per instance, which is what it would cost. Past it: 429 problem+json, policy
 * `public`, with Retry-After, before anything else runs. Tenants' API routes never count: they are
 * limited per org (RateLimitGuard), and their bad tokens per address (AuthFailureLimiter).
 */
export function installPublicLimit(fastify: FastifyInstance, perMinute: number): void {
  if (perMinute <= 0) return;
  const bucket = bucketOf(perMinute, WINDOW_MS);
  /** address → the bucket's theoretical arrival time (ms, this process's clock) */
  const tats = new Map<string, number>();
  fastify.addHook('onRequest', async (req, reply) => {
    if (!unbilled(req)) return;
    const now = Date.now();
    const took = take(bucket, (tats.get(req.ip) ?? now) - now, 1);
    if (took.fits) {
      if (tats.size >= MAX_ADDRESSES) for (const [ip, tat] of tats) if (tat <= now) tats.delete(ip);
      tats.set(req.ip, now + took.tatMs);
      return;
    }
    countDecision(PUBLIC_POLICY, 'none', 'limited');
    const state = stateOf(bucket, took.tatMs, 1);
    sendProblem(
      reply,
      req,
      protectionRefusal(
        PUBLIC_POLICY,
        `too many requests from this address to public routes (${perMinute} a minute)`,
        {
          limit: perMinute,
          windowS: WINDOW_MS / 1000,
          retryS: Math.max(1, Math.ceil(state.retryMs / 1000)),
          resetS: Math.ceil(state.resetMs / 1000),
        },
      ),
    );
    return reply;
  });
}
