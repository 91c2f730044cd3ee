import { HttpException } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, ProblemException } from '../../common/filters/problem.js';
import { sendProblem } from '../../common/filters/problem.filter.js';
import type { Authenticator } from '../../tenancy/authenticator.js';
import { sessionCookie, type AdminSessions } from './admin-session.js';
import type { AuthFailureLimiter } from '../limits/auth-failure.limiter.js';
import { countFailure } from './board-auth.js';

const BOARD = '/admin/queues';
const FORM = 'application/x-www-form-urlencoded';

const page = (message = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rocker queues: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}textarea{width:100%;font:13px monospace}p.error{color:#b00020}</style>
</head><body>
<h1>rocker queues</h1>
<p>Sign in with a super_admin's access token (a JWT). The board keeps you signed in for 15 minutes.</p>
${message ? `<p class="error" role="alert">${message}</p>` : ''}
<form method="post" action="/admin/login">
<label for="token">Access token</label>
<textarea id="token" name="token" rows="6" required autocomplete="off" spellcheck="false"></textarea>
<p><button type="submit">Sign in</button></p>
</form>
</body></html>
`;

const sameHost = (origin: string, host: string | undefined): boolean => {
  try {
    return new URL(origin).host === host;
  } catch {
    return false; // "null" (an opaque origin) or garbage
  }
};

const MESSAGES: Record<number, string> = {
  401: 'That token is not valid (expired, wrong issuer, or unknown user).',
  403: 'That user is not a platform super_admin.',
  429: 'Too many failed sign-ins from this address; retry later.',
  503: 'Sign-in is unavailable right now; retry shortly.',
};

/**
 * Browser sign-in for the queue board: GET /admin/login serves a small form; POST /admin/login
 * takes a token (form field or JSON `token`), checks it with the same Authenticator as every route,
 * and, for a super_admin only, answers 303 → /admin/queues with a signed session cookie
 * (HttpOnly, Secure, SameSite=Strict, Path=/admin, 15 min). POST /admin/logout clears it. A bad
 * token counts against the client address as on the API (AuthFailureLimiter).
 * Registered in an encapsulated scope under /admin, next to (not inside) the board's guarded scope.
 */
export function registerAdminLogin(
  scope: FastifyInstance,
  authenticator: Authenticator,
  sessions: AdminSessions | null,
  failures?: AuthFailureLimiter,
): void {
  scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
      .send(body);

  scope.get('/login', async (_req, reply) => html(reply, 200, page(sessions ? '' : 'Browser sign-in is not configured (ADMIN_SESSION_SECRET).')));

  scope.post('/login', async (req: FastifyRequest, reply) => {
    const fromForm = (req.headers['content-type'] ?? '').startsWith(FORM);
    try {
      if (!sessions) throw new ProblemException(503, 'unavailable', 'browser sign-in is not configured (ADMIN_SESSION_SECRET)');
      // Only this site's own form may sign a browser in (login CSRF); a client without Origin is not a browser form.
      if (req.headers.origin !== undefined && !sameHost(req.headers.origin, req.headers.host)) throw forbidden('sign in from this site\'s own form');
      const raw = (req.body as { token?: unknown } | undefined)?.token;
      const token = typeof raw === 'string' ? raw.trim().replace(/^Bearer\s+/i, '') : '';
      const { user } = await authenticator.authenticate(`Bearer ${token}`);
      if (!user.isSuperAdmin) throw forbidden('the queue board needs a platform super_admin');
      return reply.code(303).header('set-cookie', sessionCookie(sessions.issue(user.userId))).header('cache-control', 'no-store').redirect(BOARD, 303);
    } catch (e) {
      const err = await countFailure(failures, req, e); // bad tokens count per address, as on the API
      const status = err instanceof HttpException ? err.getStatus() : 0;
      if (fromForm && MESSAGES[status]) return html(reply, status, page(MESSAGES[status]));
      sendProblem(reply, req, err);
      return reply;
    }
  });

  scope.post('/logout', async (_req, reply) =>
    reply.header('set-cookie', sessionCookie('', 0)).header('cache-control', 'no-store').redirect('/admin/login', 303),
  );
}
