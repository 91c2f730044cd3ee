import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from '../../common/filters/problem.js';
import { sendProblem } from '../../common/filters/problem.filter.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import type { Authenticator } from '../../tenancy/authenticator.js';

/**
 * Fastify onRequest hook for routes mounted outside Nest controllers (the queue board and its
 * static assets), where the global guards do not run. Same checks as TenantGuard + SuperAdminGuard,
 * through the same Authenticator: verified JWT, user and super_admin flag read from the database
 * (auth_context) on every request.
 * No token or a bad one → 401; a valid user who is not super_admin → 403.
 */
export function superAdminHook(authenticator: Authenticator) {
  return async (req: FastifyRequest & { tenant?: TenantContext }, reply: FastifyReply): Promise<void> => {
    try {
      const { user } = await authenticator.authenticate(req.headers.authorization);
      const ctx: TenantContext = { requestId: String(req.id), userId: user.userId, orgId: null, role: null, isSuperAdmin: user.isSuperAdmin };
      req.tenant = ctx;
      (req.raw as typeof req.raw & { tenant?: TenantContext }).tenant = ctx;
      if (!user.isSuperAdmin) throw forbidden('the queue board needs a platform super_admin');
    } catch (err) {
      // A database outage while checking is a 503 (mapped by toProblem), never a 500 or an open door.
      sendProblem(reply, req, err);
      return reply;
    }
  };
}
