import type { FastifyInstance } from 'fastify';
import { ProblemException } from '../filters/problem.js';

export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Object keys in the whole document. */
  maxKeys: number;
}

/**
 * One pass over the raw text, before anything is built from it: the depth of `{`/`[` nesting
 * and the number of object keys (a `:` outside a string), with strings and escapes skipped.
 * Returns why the body is refused, or null. Linear in the body, which BODY_LIMIT_BYTES bounds,
 * so no body can recurse through the parser, the transformer or the validator.
 */
export function jsonShapeViolation(text: string, limits: JsonShapeLimits): string | null {
  let depth = 0;
  let keys = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // skip the string: find its closing quote, stepping over escapes
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limits.maxDepth) return `the JSON body is nested deeper than ${limits.maxDepth} levels`;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x3a /* : */) {
      if (++keys > limits.maxKeys) return `the JSON body has more than ${limits.maxKeys} keys`;
    }
  }
  return null;
}

/**
 * Replaces Fastify's JSON parser with one that checks the body's shape first (400 problem+json,
 * type `json-too-complex`), then parses it with Fastify's own parser (prototype poisoning refused).
 */
export function installJsonBodyLimits(fastify: FastifyInstance, limits: JsonShapeLimits): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    const reason = jsonShapeViolation(text, limits);
    if (reason) return done(new ProblemException(400, 'json-too-complex', reason), undefined);
    parse(req, text, done);
  });
}
