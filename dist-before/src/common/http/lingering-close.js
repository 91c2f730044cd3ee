import { Socket } from 'node:net';
import { fairKey } from '../fair/fair-scheduler.js';
const closeNow = Socket.prototype.destroySoon;
const LINGER_KEY = Symbol('rocker.lingerKey');
/** Lingering closes one caller (org, user or client address) may have at once, and refilled per second. */
export const LINGER_BURST = 8;
export const LINGER_PER_SECOND = 1;
/** Callers tracked at once; past it a new caller's connection is closed at once. */
const MAX_TRACKED = 10_000;
/**
 * Names who a refused request's lingering close is charged to: its org, or `user:<id>`, as the fair
 * share names them. A connection not named (an unauthenticated request) is charged to its address.
 */
export function chargeLingerToCaller(req) {
    const tenant = req.tenant;
    if (tenant?.orgId || tenant?.userId)
        req.raw.socket[LINGER_KEY] = fairKey(tenant);
}
/**
 * What still arrives is discarded, never parsed: after `Connection: close` no further request on
 * the connection may run (RFC 9112 9.6), and a client could pipeline one behind the refused body.
 * Node's parser is unhooked from the socket (as its own upgrade path does) and the bytes go to a
 * listener that drops them.
 */
function stopParsing(socket) {
    if (socket._handle?._consumed) {
        socket.parser?.unconsume?.();
        socket._handle._consumed = false;
    }
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
    socket.resume();
}
/**
 * A lingering close (as Apache and nginx do it) for every connection the server ends after an
 * answer: Node's HTTP server ends a `Connection: close` response with `socket.destroySoon()`, which
 * closes the socket once the answer is written. When the client is still sending (a body refused
 * before it was read: the early guards' 401/403/429, a JSON body refused by its shape, a 413), the
 * bytes that arrive after that close make the kernel answer with a reset, and a client that sends
 * its whole body before it reads (most do) sees `ECONNRESET` instead of the answer. Here the server
 * half-closes instead (its FIN follows the answer), keeps reading and discarding what still comes
 * (unparsed: nothing behind the refused request runs), and closes when the client closes its
 * side or after `lingerMs`, whichever is first. A connection whose request arrived whole, or whose
 * client has already closed its side, is closed at once, as before; 0 turns the lingering off.
 *
 * Reading what a refused client still sends costs the instance what an accepted body would, so it
 * is a courtesy for the occasional refusal, paid from headroom: each caller has a budget of
 * LINGER_BURST lingering closes, refilled at LINGER_PER_SECOND, and none lingers while
 * `affordable()` says no (the instance is saturated). Past either, the connection is closed at
 * once: a flood of refused bodies costs what it cost without lingering, and only its sender risks
 * the resets.
 */
export function installLingeringClose(server, lingerMs, affordable = () => true, { burst = LINGER_BURST, perSecond = LINGER_PER_SECOND } = {}) {
    if (lingerMs <= 0)
        return;
    const budgets = new Map();
    const refilled = (b, now) => Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    const take = (key) => {
        const now = performance.now();
        let b = budgets.get(key);
        if (!b) {
            if (budgets.size >= MAX_TRACKED) {
                // forget the callers whose budgets are full again; if none, this one is not served
                for (const [k, v] of budgets)
                    if (refilled(v, now) >= burst)
                        budgets.delete(k);
                if (budgets.size >= MAX_TRACKED)
                    return false;
            }
            b = { tokens: burst, at: now };
            budgets.set(key, b);
        }
        b.tokens = refilled(b, now);
        b.at = now;
        if (b.tokens < 1)
            return false;
        b.tokens -= 1;
        return true;
    };
    function destroySoon() {
        // Node's own (undocumented) parser state: is the last request's body still arriving?
        const unread = this.parser?.incoming ? !this.parser.incoming.complete : true;
        if (!unread || this.readableEnded || !this.readable || this.destroyed || !affordable() || !take(this[LINGER_KEY] ?? this.remoteAddress ?? ''))
            return closeNow.call(this);
        if (this.writable)
            this.end();
        stopParsing(this);
        const timer = setTimeout(() => this.destroy(), lingerMs);
        timer.unref();
        this.once('close', () => clearTimeout(timer));
    }
    server.on('connection', (socket) => {
        socket.destroySoon = destroySoon;
    });
}
//# sourceMappingURL=lingering-close.js.map