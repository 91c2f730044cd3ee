import { Readable } from 'node:stream';

/** A string member of a JSON object whose value arrives in slices, in order, each cut at a character's start. */
export interface SlicedString {
  key: string;
  slices: string[];
}

/** A piece of a JSON document, made when it is written. */
type Piece = () => string;

/**
 * A JSON object as a stream: `head`'s members, then each sliced member, its value escaped one
 * slice per read, so the document is exactly JSON.stringify({...head, [key]: slices.join('')}).
 * A multi-megabyte value is never one string on the event loop: each read escapes one slice in a
 * turn of the loop of its own, and the loop serves other requests between them.
 */
export function jsonObjectStream(head: Record<string, unknown>, members: SlicedString[]): Readable {
  return piecesStream(objectPieces(head, members));
}

/**
 * A page answer `{"data": [...objects], "next_cursor": ...}` as a stream: each object's head in one
 * piece, its sliced members a slice per piece, as jsonObjectStream writes them.
 */
export function jsonPageStream(data: { head: Record<string, unknown>; members: SlicedString[] }[], nextCursor: string | null): Readable {
  const pieces: Piece[] = [() => '{"data":['];
  data.forEach(({ head, members }, i) => {
    if (i) pieces.push(() => ',');
    pieces.push(...objectPieces(head, members));
  });
  pieces.push(() => `],"next_cursor":${JSON.stringify(nextCursor)}}`);
  return piecesStream(pieces);
}

/** One object's pieces: its head's members in one, then each sliced member a slice per piece. */
function objectPieces(head: Record<string, unknown>, members: SlicedString[]): Piece[] {
  const headJson = JSON.stringify(head);
  const pieces: Piece[] = [];
  let comma = headJson !== '{}';
  pieces.push(() => headJson.slice(0, -1));
  for (const { key, slices } of members) {
    const prefix = `${comma ? ',' : ''}${JSON.stringify(key)}:"`;
    comma = true;
    if (slices.length === 0) pieces.push(() => `${prefix}"`);
    slices.forEach((slice, i) => {
      const last = i === slices.length - 1;
      pieces.push(() => `${i === 0 ? prefix : ''}${escape(slice)}${last ? '"' : ''}`);
    });
  }
  pieces.push(() => '}');
  return pieces;
}

function piecesStream(pieces: Piece[]): Readable {
  let next = 0;
  return new Readable({
    read() {
      // One non-empty piece per read (an empty push would stop the reads), each in a turn of its
      // own: a piped stream reads again at once while the socket takes the bytes, which on loopback
      // it does until the whole document is written, in one stretch of the loop.
      setImmediate(() => {
        while (next < pieces.length) {
          const piece = pieces[next++]();
          if (piece) return void this.push(piece);
        }
        this.push(null);
      });
    },
  });
}

/** A string's JSON escaping, without its quotes. */
const escape = (text: string): string => JSON.stringify(text).slice(1, -1);

/** The most a string's JSON can weigh against its UTF-8 size (a control character is `\u0001`). */
export const JSON_STRING_GROWTH = 6;

/**
 * The UTF-8 size of `text`'s JSON string, quotes excluded, from its own UTF-8 size: what an answer
 * holding it inline writes. Up to JSON_STRING_GROWTH times `utf8Bytes`, so a
 * choice between an inline answer and a streamed one is made on this, not on the stored size. A
 * loop over the UTF-16 units: 0.5-0.7 ms for 256 KiB, a third of stringifying it (a regex count
 * allocates a copy and took 3 ms for control characters). Postgres text holds no lone surrogate,
 * the one other thing JSON.stringify escapes.
 */
export function jsonStringBytes(text: string, utf8Bytes: number): number {
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) extra += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 1 : 5;
    else if (c === 0x22 || c === 0x5c) extra += 1;
  }
  return utf8Bytes + extra;
}
