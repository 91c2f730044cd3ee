import { randomUUID } from 'node:crypto';
const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;
/** The client's X-Request-Id when it is a sane id, else a new uuid. */
export function requestIdFor(req) {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}
//# sourceMappingURL=request-id.js.map