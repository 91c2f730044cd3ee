import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
export const ADMIN_COOKIE = 'rocker_admin';
/** Where the cookie is sent: the board and the sign-in page, nothing else. */
export const ADMIN_COOKIE_PATH = '/admin';
/** A browser session on the board lasts this long; then the super_admin signs in again. */
export const ADMIN_SESSION_TTL_S = 15 * 60;
/**
 * The queue board's browser session: a cookie naming the user and an expiry, signed with HMAC-SHA256
 * under a key shared by every API instance (ADMIN_SESSION_SECRET, or in development a key derived
 * from JWT_SECRET). It proves only who signed in and until when: whether that user is still a
 * super_admin is read from the database on every request, like a bearer token's user.
 */
export class AdminSessions {
    constructor(key) {
        this.key = key;
    }
    /** null when no key can be had (production without ADMIN_SESSION_SECRET): browser sign-in is off. */
    static fromSecrets(sessionSecret, jwtSecret) {
        if (sessionSecret)
            return new AdminSessions(Buffer.from(sessionSecret, 'utf8'));
        if (jwtSecret)
            return new AdminSessions(Buffer.from(hkdfSync('sha256', jwtSecret, 'rocker', 'rocker-admin-session', 32)));
        return null;
    }
    issue(userId, now = Date.now()) {
        const payload = Buffer.from(JSON.stringify({ sub: userId, exp: Math.floor(now / 1000) + ADMIN_SESSION_TTL_S })).toString('base64url');
        return `${payload}.${this.sign(payload)}`;
    }
    /** The user id of a valid, unexpired session value, else null. */
    verify(value, now = Date.now()) {
        const [payload, sig, extra] = value.split('.');
        if (!payload || !sig || extra !== undefined)
            return null;
        const want = Buffer.from(this.sign(payload));
        const got = Buffer.from(sig);
        if (got.length !== want.length || !timingSafeEqual(got, want))
            return null;
        try {
            const { sub, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
            if (typeof sub !== 'string' || typeof exp !== 'number' || exp * 1000 <= now)
                return null;
            return sub;
        }
        catch {
            return null;
        }
    }
    sign(payload) {
        return createHmac('sha256', this.key).update(payload).digest('base64url');
    }
}
/** Set-Cookie for a session: HttpOnly, Secure, SameSite=Strict, scoped to /admin, short-lived. */
export function sessionCookie(value, maxAgeS = ADMIN_SESSION_TTL_S) {
    return `${ADMIN_COOKIE}=${value}; Path=${ADMIN_COOKIE_PATH}; Max-Age=${maxAgeS}; HttpOnly; Secure; SameSite=Strict`;
}
/** One cookie's value from a Cookie header. */
export function readCookie(header, name) {
    for (const part of (header ?? '').split(';')) {
        const i = part.indexOf('=');
        if (i > 0 && part.slice(0, i).trim() === name)
            return part.slice(i + 1).trim();
    }
    return undefined;
}
//# sourceMappingURL=admin-session.js.map