import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../../../common/filters/problem.js';

export interface UploadedFile {
  /**
   * The file's bytes, in memory this upload alone owns (not Node's shared Buffer pool): a worker
   * may take it by transfer, leaving `data` empty here.
   */
  data: Buffer;
  fileName: string;
  /** The client's Content-Type for the part: advisory only, checked against the bytes. */
  clientType: string | undefined;
  fields: Record<string, string>;
}

/**
 * Reads a multipart body with exactly one file part, streaming it into memory under a byte cap
 * (413 past it, without reading further into memory) and keeping short text fields (a second file
 * or a fifth field is 422 validation).
 */
export async function readSingleFile(req: FastifyRequest, maxBytes: number, fileField = 'file'): Promise<UploadedFile> {
  try {
    return await readParts(req, maxBytes, fileField);
  } catch (e) {
    if (e instanceof ProblemException) throw e;
    const { statusCode: status, code } = e as { statusCode?: number; code?: string };
    // A second file, or more fields than a form of this route has, is the form's shape, not its size.
    if (code === 'FST_FILES_LIMIT')
      throw new ProblemException(422, 'validation', `send exactly one file part, named "${fileField}"`, {
        errors: { [fileField]: ['exactly one file part'] },
      });
    if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT')
      throw new ProblemException(422, 'validation', 'the form has more fields than this route takes (at most 4 short text fields and the file)');
    if (status === 413) throw new ProblemException(413, 'payload-too-large', `the upload is over its limits (one file of at most ${maxBytes} bytes, few short fields)`);
    // Busboy's parse errors (no boundary, cut or garbled parts) are the client's, never a 500.
    throw new ProblemException(400, 'malformed-multipart', 'the multipart body is malformed or incomplete');
  }
}

/** Bytes of a file read between two turns given to the event loop. */
const YIELD_BYTES = 128 * 1024;

async function readParts(req: FastifyRequest, maxBytes: number, fileField: string): Promise<UploadedFile> {
  if (typeof req.isMultipart !== 'function' || !req.isMultipart()) {
    throw new ProblemException(415, 'unsupported-media-type', 'expected multipart/form-data with one file part');
  }
  const fields: Record<string, string> = {};
  let file: UploadedFile | undefined;
  for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 4, fieldSize: 1024, parts: 5, headerPairs: 50 } })) {
    if (part.type === 'field') {
      if (part.valueTruncated) throw new ProblemException(413, 'payload-too-large', `field ${part.fieldname} is too long`);
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (part.fieldname !== fileField) {
      part.file.resume();
      throw new ProblemException(422, 'validation', `the file part must be named "${fileField}"`, { errors: { [fileField]: ['required'] } });
    }
    const sink = new ByteSink(maxBytes, Number(req.headers['content-length']));
    let sinceYield = 0;
    for await (const chunk of part.file) {
      sink.push(chunk as Buffer);
      // A fast sender fills the socket faster than one loop turn drains it: let other requests'
      // work (timers, I/O) run every YIELD_BYTES, the body waiting under backpressure meanwhile.
      if ((sinceYield += (chunk as Buffer).length) >= YIELD_BYTES) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    if (part.file.truncated || sink.length > maxBytes) {
      throw new ProblemException(413, 'payload-too-large', `the file is larger than ${maxBytes} bytes`);
    }
    file = { data: sink.bytes(), fileName: part.filename, clientType: part.mimetype, fields };
  }
  if (!file) throw new ProblemException(422, 'validation', `a file part named "${fileField}" is required`, { errors: { [fileField]: ['required'] } });
  return { ...file, fields };
}

/**
 * The file's bytes copied into one buffer as each chunk arrives, so no single copy of the whole
 * file (a Buffer.concat of 10 MiB stalls the event loop for every org) happens at the end. Sized
 * from the body's Content-Length when it has one (an upper bound of the file, capped at the
 * limit), else grown by doubling. Its memory is its own (allocUnsafeSlow: never the shared pool),
 * so a worker can take it by transfer.
 */
export class ByteSink {
  private buf: Buffer;
  length = 0;

  constructor(
    private readonly maxBytes: number,
    sizeHint?: number,
  ) {
    const hint = Number.isFinite(sizeHint) && sizeHint! > 0 ? Math.min(sizeHint!, maxBytes) : 64 * 1024;
    this.buf = Buffer.allocUnsafeSlow(Math.max(1, Math.min(hint, maxBytes + 1)));
  }

  push(chunk: Buffer): void {
    const need = this.length + chunk.length;
    if (need > this.buf.length) {
      // past the limit the caller answers 413: keep counting, never hold more than the limit
      if (this.length >= this.maxBytes) {
        this.length = need;
        return;
      }
      const grown = Buffer.allocUnsafeSlow(Math.min(Math.max(need, this.buf.length * 2), this.maxBytes + 1));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    const n = Math.min(chunk.length, this.buf.length - this.length);
    chunk.copy(this.buf, this.length, 0, n);
    this.length = need;
  }

  /** The bytes so far, without a copy (a view of the sink's buffer). */
  bytes(): Buffer {
    return this.buf.subarray(0, Math.min(this.length, this.buf.length));
  }
}
