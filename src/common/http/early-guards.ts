import type { ExecutionContext, INestApplicationContext, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, ProblemException } from '../filters/problem.js';
import { sendProblem } from '../filters/problem.filter.js';
import { chargeLingerToCaller } from './lingering-close.js';

/** Where a Nest route's controller class and handler travel to Fastify: its route config. */
const ROUTE_TARGET = 'rockerRoute';

export interface RouteTarget {
  cls: Type;
  handler: (...args: unknown[]) => unknown;
}

/** The Nest controller class and handler a request was routed to; undefined for any other route (docs UI, queue board, 404). */
export const routeTargetOf = (req: FastifyRequest): RouteTarget | undefined =>
  (req.routeOptions.config as unknown as Record<string, RouteTarget | undefined> | undefined)?.[ROUTE_TARGET];

/** The same questions Nest's guards answer, asked from a Fastify hook. */
class HookContext implements ExecutionContext {
  private readonly args: [FastifyRequest, FastifyReply];

  constructor(
    req: FastifyRequest,
    reply: FastifyReply,
    private readonly target: RouteTarget,
  ) {
    this.args = [req, reply];
  }
  getClass<T = unknown>(): Type<T> {
    return this.target.cls as Type<T>;
  }
  getHandler(): (...args: unknown[]) => unknown {
    return this.target.handler;
  }
  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as unknown as T;
  }
  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }
  getType<T extends string = 'http'>(): T {
    return 'http' as T;
  }
  switchToHttp() {
    const [req, reply] = this.args;
    return {
      getRequest: <T>() => req as T,
      getResponse: <T>() => reply as T,
      getNext: <T>() => undefined as T,
    };
  }
  switchToRpc(): never {
    throw new Error('not an rpc context');
  }
  switchToWs(): never {
    throw new Error('not a ws context');
  }
}

/**
 * Puts each controller route's class and handler into its Fastify route config (Nest's own
 * @RouteConfig), so a Fastify hook can read the route's metadata exactly as the guards do. Call
 * after NestFactory.create and before app.init (which registers the routes).
 */
export function tagRouteTargets(app: INestApplicationContext): void {
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const cls = wrapper.metatype as Type | undefined;
      if (!cls?.prototype) continue;
      for (let proto = cls.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          const handler = Object.getOwnPropertyDescriptor(proto, name)?.value;
          // Nest's @Get/@Post/... mark a route handler with the `method` metadata
          if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata('method', handler) === undefined) continue;
          const existing = (Reflect.getMetadata('__fastify_route_config__', handler) ?? {}) as Record<string, unknown>;
          if (existing[ROUTE_TARGET]) continue;
          RouteConfig({ ...existing, [ROUTE_TARGET]: { cls, handler } satisfies RouteTarget })(proto, name, { value: handler });
        }
      }
    }
  }
}

/** A guard's question asked before the body: throws (or answers false) to refuse. */
export type EarlyCheck = (context: ExecutionContext) => unknown;

export interface EarlyGuardOptions {
  /** In the global guards' order: authentication and org first, the limiter last. */
  checks: EarlyCheck[];
  /** A 401 counts against the client address; past its allowance the answer is this 429 instead. */
  onUnauthorized?: (ip: string) => Promise<ProblemException | undefined>;
  /** Checks that wait for the body (Fastify's preHandler: read and parsed, not yet handled). */
  afterBody?: EarlyCheck[];
}

/** A multipart upload: its handler reads the body as a stream, up to UPLOAD_MAX_BYTES. */
export const isUpload = (req: FastifyRequest) => /^multipart\//i.test(req.headers['content-type'] ?? '');

/** Whether a request carries a body (the early guards run before it is read). */
export const hasBody = (req: FastifyRequest) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** Asks each check in turn; the first that refuses throws (a check answering false is a 403). */
async function passes(context: ExecutionContext, checks: EarlyCheck[]): Promise<void> {
  for (const check of checks) if ((await check(context)) === false) throw forbidden('forbidden resource');
}

/**
 * Runs the global guards' checks in Fastify's onRequest, before a byte of the body is read: an
 * unauthenticated, forbidden or rate-limited request is answered without reading or parsing its
 * body, and the connection of a refused request with a body is closed (after a bounded lingering
 * close, lingering-close.ts, so the client reads the answer rather than a reset). Each
 * guard leaves its result on the request, and the Nest guards then reuse it (no second
 * verification, no second charge). Routes that are not Nest controllers' (the docs UI, the queue
 * board) are left alone; public routes are skipped by the checks themselves.
 */
export function installEarlyGuards(fastify: FastifyInstance, opts: EarlyGuardOptions): void {
  fastify.addHook('onRequest', async (req, reply) => {
    const target = routeTargetOf(req);
    if (!target) return;
    const context = new HookContext(req, reply, target);
    try {
      await passes(context, opts.checks);
    } catch (e) {
      let err = e;
      if (opts.onUnauthorized && e instanceof ProblemException && e.getStatus() === 401)
        err = (await opts.onUnauthorized(req.ip).catch(() => undefined)) ?? e;
      if (hasBody(req)) {
        reply.header('connection', 'close');
        chargeLingerToCaller(req);
      }
      // a client gone while the checks ran (a paced hold it left): sendProblem logs it abandoned
      sendProblem(reply, req, err);
      return reply;
    }
  });
  const afterBody = opts.afterBody ?? [];
  if (afterBody.length)
    fastify.addHook('preHandler', async (req, reply) => {
      const target = routeTargetOf(req);
      if (!target) return;
      const context = new HookContext(req, reply, target);
      try {
        await passes(context, afterBody);
      } catch (e) {
        sendProblem(reply, req, e);
        return reply;
      }
    });
}
