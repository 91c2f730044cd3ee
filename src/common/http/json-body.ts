import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { clientGone, ProblemException } from '../filters/problem.js';
import { chargeLingerToCaller } from './lingering-close.js';

export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Object keys in the whole document. */
  maxKeys: number;
}

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
  private depth = 0;
  private keys = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly limits: JsonShapeLimits) {}

  /** Scans the next bytes; why the body is refused, or null. */
  feed(bytes: Uint8Array): string | null {
    const { maxDepth, maxKeys } = this.limits;
    for (let i = 0, n = bytes.length; i < n; i++) {
      const c = bytes[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
      } else if (c === 0x22) {
        this.inString = true;
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (++this.depth > maxDepth) return `the JSON body is nested deeper than ${maxDepth} levels`;
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.depth--;
      } else if (c === 0x3a /* : */) {
        if (++this.keys > maxKeys) return `the JSON body has more than ${maxKeys} keys`;
      }
    }
    return null;
  }
}

/** The shape check over a whole text (see JsonShapeScanner). */
export function jsonShapeViolation(text: string, limits: JsonShapeLimits): string | null {
  return new JsonShapeScanner(limits).feed(Buffer.from(text, 'utf8'));
}

/**
 * Replaces Fastify's JSON parser with one that checks the body's shape while it arrives (400
 * problem+json, type `json-too-complex`, answered as soon as the violation is read: the rest is
 * drained, never stored), keeps Fastify's limits (413 past the route's body limit, by the
 * Content-Length header before anything is read; 400 when fewer or more bytes arrive than it says),
 * then parses it with Fastify's own parser (prototype poisoning refused).
 */
export function installJsonBodyLimits(fastify: FastifyInstance, limits: JsonShapeLimits): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  // No route reads plain text: a JSON text sent as text/plain is 415, not a body of nothing that
  // its validation then refuses field by field.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('application/json', (req: FastifyRequest, payload, done) => {
    const refused = unsupportedEncoding(req);
    if (refused) {
      chargeLingerToCaller(req);
      return done(new ProblemException(415, 'unsupported-media-type', refused), undefined);
    }
    const bodyLimit = req.routeOptions.bodyLimit ?? fastify.initialConfig.bodyLimit ?? 1024 * 1024;
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > bodyLimit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined);
    const scanner = new JsonShapeScanner(limits);
    // decoded as it arrives (a character split between chunks is held back): the chunks are not
    // kept, nor copied into one buffer, so a long body costs one string, not also twice its bytes
    // outside the heap (Node's external memory, whose growth sets off full collections).
    // TextDecoder (simdutf), not StringDecoder (V8's decoder): a 300 KB body of 3-byte characters
    // decoded and parsed in 1.8 ms against 3.1 ms. A BOM is kept, as StringDecoder kept it, for
    // the parser to judge.
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const parts: string[] = [];
    let received = 0;
    const detach = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const stop = (err: Error) => {
      chargeLingerToCaller(req);
      detach();
      done(err, undefined);
    };
    // The request stream fails only when its connection does: the client went away before sending
    // the whole body (Node's "aborted", ECONNRESET). Nobody reads the answer: 499, not an error.
    const onError = (err: Error) => {
      detach();
      done((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? clientGone() : err, undefined);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimit) return stop(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      const reason = scanner.feed(chunk);
      if (reason) return stop(new ProblemException(400, 'json-too-complex', reason));
      parts.push(decoder.decode(chunk, { stream: true }));
    };
    const onEnd = () => {
      payload.removeListener('error', onError);
      if (declared !== undefined && received !== declared)
        return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), undefined);
      parts.push(decoder.decode());
      parse(req, parts.join(''), done);
    };
    payload.on('data', onData);
    payload.once('end', onEnd);
    payload.once('error', onError);
  });
}

/**
 * Why a JSON body cannot be read as sent, or null: JSON is UTF-8 (RFC 8259), and the service
 * decodes no Content-Encoding (a gzip body would be read as its compressed bytes).
 */
function unsupportedEncoding(req: FastifyRequest): string | null {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return `Content-Encoding ${encoding} is not accepted: send the body uncompressed`;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1].toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return `charset ${charset} is not accepted: JSON is UTF-8`;
  return null;
}
