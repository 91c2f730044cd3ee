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
