import { HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../../common/filters/problem.js';
import { sendProblem } from '../../common/filters/problem.filter.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import type { Authenticator } from '../../tenancy/authenticator.js';
import type { AuthFailureLimiter } from '../limits/auth-failure.limiter.js';
import { ADMIN_COOKIE, readCookie, type AdminSessions } from './admin-session.js';

export const ADMIN_LOGIN_PATH = '/admin/login';

/**
 * Fastify onRequest hook for routes mounted outside Nest controllers (the queue board and its
 * static assets), where the global guards do not run. Same checks as TenantGuard + SuperAdminGuard,
 * through the same Authenticator: an `Authorization: Bearer` JWT, or else the board's signed session
 * cookie (set by POST /admin/login); either way the user and its super_admin flag are read from the
 * database (auth_context) on every request.
 * No credentials or bad ones → 401 (a browser asking for a page is sent to the sign-in form instead),
 * counted against the client address as on the API (AuthFailureLimiter: past its allowance, 429);
 * a valid user who is not super_admin → 403.
 */
export function superAdminHook(authenticator: Authenticator, sessions: AdminSessions | null, failures?: AuthFailureLimiter) {
  return async (req: FastifyRequest & { tenant?: TenantContext }, reply: FastifyReply): Promise<void> => {
    try {
      let user;
      if (req.headers.authorization !== undefined) user = (await authenticator.authenticate(req.headers.authorization)).user;
      else {
        const cookie = readCookie(req.headers.cookie, ADMIN_COOKIE);
        const userId = cookie && sessions ? sessions.verify(cookie) : null;
        if (!userId) throw unauthorized('sign in at /admin/login, or send a Bearer token');
        user = await authenticator.user(userId);
      }
      const ctx: TenantContext = { requestId: String(req.id), userId: user.userId, orgId: null, role: null, isSuperAdmin: user.isSuperAdmin };
      req.tenant = ctx;
      (req.raw as typeof req.raw & { tenant?: TenantContext }).tenant = ctx;
      if (!user.isSuperAdmin) throw forbidden('the queue board needs a platform super_admin');
    } catch (e) {
      const err = await countFailure(failures, req, e);
      if (err instanceof HttpException && err.getStatus() === 401 && req.method === 'GET' && /text\/html/.test(req.headers.accept ?? '')) {
        reply.redirect(ADMIN_LOGIN_PATH, 303);
        return reply;
      }
      // A database outage while checking is a 503 (mapped by toProblem), never a 500 or an open door.
      sendProblem(reply, req, err);
      return reply;
    }
  };
}

/** A 401 counts against the client address (AuthFailureLimiter); answers the 429 to send instead once it is over. */
export async function countFailure(failures: AuthFailureLimiter | undefined, req: FastifyRequest, err: unknown): Promise<unknown> {
  if (!failures || !(err instanceof HttpException) || err.getStatus() !== 401) return err;
  return (await failures.refuse(req.ip).catch(() => undefined)) ?? err;
}
