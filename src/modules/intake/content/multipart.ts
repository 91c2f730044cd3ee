import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../../../common/filters/problem.js';

export interface UploadedFile {
  data: Buffer;
  fileName: string;
  /** The client's Content-Type for the part: advisory only, checked against the bytes. */
  clientType: string | undefined;
  fields: Record<string, string>;
}

/**
 * Reads a multipart body with exactly one file part, streaming it into memory under a byte cap
 * (413 past it, without reading further into memory) and keeping short text fields.
 */
export async function readSingleFile(req: FastifyRequest, maxBytes: number, fileField = 'file'): Promise<UploadedFile> {
  try {
    return await readParts(req, maxBytes, fileField);
  } catch (e) {
    if (e instanceof ProblemException) throw e;
    const status = (e as { statusCode?: number }).statusCode;
    if (status === 413) throw new ProblemException(413, 'payload-too-large', `the upload is over its limits (one file of at most ${maxBytes} bytes, few short fields)`);
    // Busboy's parse errors (no boundary, cut or garbled parts) are the client's, never a 500.
    throw new ProblemException(400, 'malformed-multipart', 'the multipart body is malformed or incomplete');
  }
}

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
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of part.file) {
      size += (chunk as Buffer).length;
      chunks.push(chunk as Buffer);
    }
    if (part.file.truncated || size > maxBytes) {
      throw new ProblemException(413, 'payload-too-large', `the file is larger than ${maxBytes} bytes`);
    }
    file = { data: Buffer.concat(chunks), fileName: part.filename, clientType: part.mimetype, fields };
  }
  if (!file) throw new ProblemException(422, 'validation', `a file part named "${fileField}" is required`, { errors: { [fileField]: ['required'] } });
  return { ...file, fields };
}
