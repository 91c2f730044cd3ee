import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../../common/filters/problem.js';
import { sendProblem } from '../../common/filters/problem.filter.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import type { MembershipRepository } from '../../tenancy/membership.repository.js';
import type { JwtVerifier } from '../../tenancy/jwt-verifier.js';

/**
 * Fastify onRequest hook for routes mounted outside Nest controllers (the queue board and its
 * static assets), where the global guards do not run. Same checks as TenantGuard + SuperAdminGuard:
 * verified JWT, user and super_admin flag read from the database (auth_context) on every request.
 * No token or a bad one → 401; a valid user who is not super_admin → 403.
 */
export function superAdminHook(jwt: JwtVerifier, auth: MembershipRepository) {
  return async (req: FastifyRequest & { tenant?: TenantContext }, reply: FastifyReply): Promise<void> => {
    try {
      const header = req.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header) : null;
      if (!match) throw unauthorized('a Bearer token is required');
      const token = await jwt.verify(match[1]);
      if (!token) throw unauthorized('the token is invalid or expired');
      const record = await auth.load(token.userId);
      if (!record) throw unauthorized('the token names no known user');
      const ctx: TenantContext = { requestId: String(req.id), userId: record.userId, orgId: null, role: null, isSuperAdmin: record.isSuperAdmin };
      req.tenant = ctx;
      (req.raw as typeof req.raw & { tenant?: TenantContext }).tenant = ctx;
      if (!record.isSuperAdmin) throw forbidden('the queue board needs a platform super_admin');
    } catch (err) {
      // A database outage while checking is a 503 (mapped by toProblem), never a 500 or an open door.
      sendProblem(reply, req, err);
      return reply;
    }
  };
}
