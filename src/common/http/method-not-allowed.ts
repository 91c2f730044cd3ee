import type { FastifyInstance } from 'fastify';
import { ProblemException } from '../filters/problem.js';
import { sendProblem } from '../filters/problem.filter.js';
import { hasBody } from './early-guards.js';
import { chargeLingerToCaller } from './lingering-close.js';

/** A registered path and the methods it answers. */
interface RouteMethods {
  pattern: RegExp;
  methods: Set<string>;
}

/** A Fastify route path as a regular expression over a request's path (`:param` one segment, `*` the rest). */
export function routePattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}

/**
 * A request whose path exists under other methods is 405 problem+json with `Allow` (RFC 9110
 * §15.5.6), not the 404 of a path that does not exist. Routes are learnt as they are registered
 * (install this before the application registers them); the check runs only for a request the
 * router found no route for (Fastify's `is404`), after the per-address limit of unknown paths.
 */
export function installMethodNotAllowed(fastify: FastifyInstance): void {
  const routes = new Map<string, RouteMethods>();
  fastify.addHook('onRoute', (route) => {
    const entry = routes.get(route.url) ?? { pattern: routePattern(route.url), methods: new Set<string>() };
    for (const method of [route.method].flat()) entry.methods.add(method.toUpperCase());
    routes.set(route.url, entry);
  });
  // a callback hook: every request passes it, and a routed one should not pay for a promise
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!req.is404) return done();
    const path = req.url.split('?')[0];
    const allowed = new Set<string>();
    for (const { pattern, methods } of routes.values()) if (pattern.test(path)) for (const m of methods) allowed.add(m);
    if (allowed.size === 0 || allowed.has(req.method)) return done();
    const allow = [...allowed].sort().join(', ');
    reply.header('allow', allow);
    if (hasBody(req)) {
      // its body is never read: the connection closes after the answer (lingering, as a refused body's)
      reply.header('connection', 'close');
      chargeLingerToCaller(req);
    }
    // answered here: done is not called, so nothing after this hook runs
    sendProblem(reply, req, new ProblemException(405, 'method-not-allowed', `${req.method} is not allowed here; this path answers ${allow}`));
  });
}
