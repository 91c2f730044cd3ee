import { errorCodes } from 'fastify';
import { ProblemException } from '../filters/problem.js';
import { chargeLingerToCaller } from './lingering-close.js';
/**
 * The shape of a JSON text, fed in pieces as it arrives, before anything is built from it: the
 * depth of `{`/`[` nesting and the number of object keys (a `:` outside a string), with strings
 * and escapes skipped. It reads bytes: every structural character of JSON is ASCII and no byte of
 * a multi-byte UTF-8 sequence is, so a chunk may end anywhere, even inside a character. Linear in
 * the body, which BODY_LIMIT_BYTES bounds, so no body can recurse through the parser, the
 * transformer or the validator; and a violation is seen in the chunk that holds it, so the rest of
 * the body is never stored or parsed.
 */
export class JsonShapeScanner {
    constructor(limits) {
        this.limits = limits;
        this.depth = 0;
        this.keys = 0;
        this.inString = false;
        this.escaped = false;
    }
    /** Scans the next bytes; why the body is refused, or null. */
    feed(bytes) {
        const { maxDepth, maxKeys } = this.limits;
        for (let i = 0, n = bytes.length; i < n; i++) {
            const c = bytes[i];
            if (this.inString) {
                if (this.escaped)
                    this.escaped = false;
                else if (c === 0x5c /* \ */)
                    this.escaped = true;
                else if (c === 0x22 /* " */)
                    this.inString = false;
            }
            else if (c === 0x22) {
                this.inString = true;
            }
            else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
                if (++this.depth > maxDepth)
                    return `the JSON body is nested deeper than ${maxDepth} levels`;
            }
            else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
                this.depth--;
            }
            else if (c === 0x3a /* : */) {
                if (++this.keys > maxKeys)
                    return `the JSON body has more than ${maxKeys} keys`;
            }
        }
        return null;
    }
}
/** The shape check over a whole text (see JsonShapeScanner). */
export function jsonShapeViolation(text, limits) {
    return new JsonShapeScanner(limits).feed(Buffer.from(text, 'utf8'));
}
/**
 * Replaces Fastify's JSON parser with one that checks the body's shape while it arrives (400
 * problem+json, type `json-too-complex`, answered as soon as the violation is read: the rest is
 * drained, never stored), keeps Fastify's limits (413 past the route's body limit, by the
 * Content-Length header before anything is read; 400 when fewer or more bytes arrive than it says),
 * then parses it with Fastify's own parser (prototype poisoning refused).
 */
export function installJsonBodyLimits(fastify, limits) {
    const parse = fastify.getDefaultJsonParser('error', 'error');
    fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser('application/json', (req, payload, done) => {
        const bodyLimit = req.routeOptions.bodyLimit ?? fastify.initialConfig.bodyLimit ?? 1024 * 1024;
        const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
        if (declared !== undefined && declared > bodyLimit)
            return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined);
        const scanner = new JsonShapeScanner(limits);
        const chunks = [];
        let received = 0;
        const stop = (err) => {
            chargeLingerToCaller(req);
            payload.removeListener('data', onData);
            payload.removeListener('end', onEnd);
            payload.removeListener('error', stop);
            done(err, undefined);
        };
        const onData = (chunk) => {
            received += chunk.length;
            if (received > bodyLimit)
                return stop(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
            const reason = scanner.feed(chunk);
            if (reason)
                return stop(new ProblemException(400, 'json-too-complex', reason));
            chunks.push(chunk);
        };
        const onEnd = () => {
            payload.removeListener('error', stop);
            if (declared !== undefined && received !== declared)
                return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), undefined);
            parse(req, Buffer.concat(chunks, received).toString('utf8'), done);
        };
        payload.on('data', onData);
        payload.once('end', onEnd);
        payload.once('error', stop);
    });
}
//# sourceMappingURL=json-body.js.map