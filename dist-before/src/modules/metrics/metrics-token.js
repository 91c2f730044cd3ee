import { createHash, timingSafeEqual } from 'node:crypto';
const digest = (s) => createHash('sha256').update(s).digest();
/**
 * Does an Authorization header carry exactly `Bearer <token>`? Compared in constant time over
 * fixed-length digests, so neither the token's content nor its length leaks through timing.
 */
export function metricsTokenMatches(header, token) {
    if (typeof header !== 'string' || !header.startsWith('Bearer '))
        return false;
    return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(token));
}
//# sourceMappingURL=metrics-token.js.map