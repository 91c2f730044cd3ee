import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../decorators/auth.decorators.js';
import { RATE_LIMIT, type RateLimitMeta } from '../decorators/rate-limit.decorator.js';
import { NO_TURN } from '../decorators/turn.decorator.js';
import { Admission, OverloadedError, type BodyClass, type EndTurn } from '../admission/admission.js';
import { fairKey } from '../fair/fair-scheduler.js';
import { admissionShed, admissionWaiting } from '../metrics/metrics.js';
import { clientGone } from '../filters/problem.js';
import { hasBody, isUpload } from '../http/early-guards.js';
import { orgLabel } from '../metrics/org-label.js';

/** What a request to a costly route counts for in the fair share, against 1 for a plain read. */
const COSTLY_WEIGHT = 10;
/** A request body, and a response once sent, add one plain read's worth of offered load per this many bytes. */
export const BODY_BYTES_PER_READ = 64 * 1024;

type Req = FastifyRequest & {
  tenant?: { orgId: string | null; userId: string | null };
  admitted?: boolean;
  /** Whether it waits for its org's turn: before its body is read, or (a large JSON body) after. */
  turn?: { costly: boolean; afterBody: boolean };
};

/** A request shed at admission (429 overloaded) is counted under its org; any error is passed on. */
function counted(req: Req, e: unknown): unknown {
  if (e instanceof OverloadedError) admissionShed.inc({ org: orgLabel(req.tenant?.orgId ?? null) });
  return e;
}

/**
 * Before the limiter: admits the request under its org, or sheds it (429 overloaded) when this
 * instance is saturated. Runs in the onRequest hook (before the body is read) and again as a Nest
 * guard, which finds the request already admitted.
 */
@Injectable()
export class AdmissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly admission: Admission,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    // a route under a costly policy (search, tts, embeddings, crawl, ocr) weighs more than a plain read
    const costly = !!this.reflector.getAllAndOverride<RateLimitMeta | undefined>(RATE_LIMIT, targets);
    const http = context.switchToHttp();
    const req = http.getRequest<Req>();
    if (req.admitted) return true;
    const key = fairKey(req.tenant);
    try {
      const weight = costly ? COSTLY_WEIGHT : 1;
      const bytes = Number(req.headers['content-length']);
      const offered = weight + (bytes > 0 ? Math.floor(bytes / BODY_BYTES_PER_READ) : 0);
      const body = this.bodyClass(req);
      const end = this.admission.admit(key, weight, offered, body);
      // Timed to when the response is handed to the socket ('prefinish'), not to its close: a client
      // that reads slowly must not make its org look slowed by this instance (and others shed).
      const res = http.getResponse<FastifyReply>().raw;
      // a client already gone: its 'close' has been emitted, so nothing would end the entry later
      if (res.destroyed) end();
      else {
        let servedAt: number | undefined;
        // The response's bytes: one request at a time on a connection (HTTP/1.1), so what the
        // socket wrote between now and the response's close is this response.
        const socket = res.socket;
        const sent = socket?.bytesWritten ?? 0;
        res.once('prefinish', () => (servedAt = performance.now()));
        res.once('close', () => {
          end(servedAt);
          // A large answer (a 9 MiB item read back) costs the event loop by its size, as a large
          // body does: it counts into its org's offered load once sent, so an org reading large
          // documents over and over runs them by turns (a few such reads a second are otherwise
          // far below a small org's count of cheap reads).
          const extra = Math.floor(((socket?.bytesWritten ?? sent) - sent) / BODY_BYTES_PER_READ);
          if (extra > 0) this.admission.charge(key, extra);
        });
      }
      req.admitted = true;
      // whether it waits for its org's turn (awaitTurn), decided here with the route's other metadata:
      // a large body that is not an upload waits for it once read (its handler's work, a large
      // message or text written, is one request's work like any other)
      if (!this.reflector.getAllAndOverride<boolean>(NO_TURN, targets)) {
        if (body !== 'large') req.turn = { costly, afterBody: false };
        else if (!isUpload(req)) req.turn = { costly, afterBody: true }; // an upload takes no turn: its engines queue it fairly
      }
    } catch (e) {
      throw counted(req, e);
    }
    return true;
  }

  private bodyClass(req: Req): BodyClass {
    if (!hasBody(req)) return 'none';
    return this.admission.bodyClass(Number(req.headers['content-length']), req.headers['transfer-encoding'] !== undefined, isUpload(req));
  }

  /**
   * After admission and before the limiter (so a waiting request is not yet charged), in the
   * onRequest hook: an admitted request without a body, or with a small one (a search, a message:
   * ADMISSION_TURN_BODY_MAX; a chunked one that is not an upload), waits for its org's turn
   * (Admission.turn), which it holds until its response is handed to the socket. A larger JSON
   * body waits for the turn once it is read (`phase` 'body', Fastify's preHandler), so a slow
   * client's upload holds no turn while its handler's work still goes by turns (an org flooding
   * 100 KB messages cost another org 7x at p95 without). A multipart upload never waits: its cost
   * is its file's, which the offered load and the engines' own fair queues account for. Nor does a
   * route marked @NoTurn (a long stream, TTS).
   */
  async awaitTurn(context: ExecutionContext, phase: 'request' | 'body' = 'request'): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Req>();
    if (!req.admitted || !req.turn || req.turn.afterBody !== (phase === 'body')) return true;
    const res = http.getResponse<FastifyReply>().raw;
    let turn: ReturnType<Admission['turn']>;
    try {
      turn = this.admission.turn(fairKey(req.tenant), () => res.destroyed, req.turn.costly);
    } catch (e) {
      throw counted(req, e);
    }
    let end: EndTurn;
    if (typeof turn === 'function') end = turn;
    else {
      const waiting = admissionWaiting.labels(orgLabel(req.tenant?.orgId ?? null));
      waiting.inc();
      end = await turn.finally(() => waiting.dec());
    }
    if (res.destroyed) {
      end();
      throw clientGone();
    }
    res.once('prefinish', end);
    res.once('close', end);
    return true;
  }
}
