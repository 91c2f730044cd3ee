import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { jsonObjectStream, jsonPageStream, jsonStringBytes } from './json-stream.js';

/** `text` cut every `n` characters (as the repository cuts: at a character's start, never inside one). */
const cut = (text: string, n: number): string[] => {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += n) out.push(chars.slice(i, i + n).join(''));
  return out;
};

/** Reads the stream into a sink that takes every write at once (as a loopback socket does). */
async function drain(stream: NodeJS.ReadableStream): Promise<{ text: string; writes: number }> {
  const chunks: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return { text: Buffer.concat(chunks).toString(), writes: chunks.length };
}

describe('jsonObjectStream', () => {
  const awkward = 'é"\\/\n\t\u2028\u0001 中文 😀 </script> '.repeat(40);

  it('is exactly JSON.stringify of the object, wherever the cuts fall', async () => {
    for (const n of [1, 2, 3, 5, 64]) {
      const head = { id: 'x', title: 'a "t"', n: 3, none: null };
      const { text } = await drain(
        jsonObjectStream(head, [
          { key: 'content_text', slices: cut(awkward, n) },
          { key: 'content_html', slices: cut(`<p>${awkward}</p>`, n + 1) },
        ]),
      );
      expect(text).toBe(JSON.stringify({ ...head, content_text: awkward, content_html: `<p>${awkward}</p>` }));
      expect(JSON.parse(text).content_text).toBe(awkward);
    }
  });

  it('handles an empty head and an empty member', async () => {
    const { text } = await drain(jsonObjectStream({}, [{ key: 'a', slices: [] }, { key: 'b', slices: cut('x😀', 3) }]));
    expect(JSON.parse(text)).toEqual({ a: '', b: 'x😀' });
  });

  it('writes one slice per turn of the event loop, however fast the sink takes them', async () => {
    const slices = cut('x'.repeat(64 * 100), 64);
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const { writes } = await drain(jsonObjectStream({ id: 1 }, [{ key: 'content_text', slices }]));
    counting = false;
    expect(writes).toBeGreaterThanOrEqual(slices.length);
    // the loop ran other work between the slices: read all at once, it would turn a handful of times
    expect(turns).toBeGreaterThanOrEqual(slices.length / 2);
  });
});

describe('jsonPageStream', () => {
  it('is exactly JSON.stringify of the page, each object with its sliced members last', async () => {
    const long = 'é"\\ 中文 😀 </script> '.repeat(30);
    const objects = [
      { head: { id: 'a', role: 'user', created_by: null }, members: [{ key: 'content', slices: cut(long, 7) }] },
      { head: { id: 'b', role: 'assistant', created_by: 'u' }, members: [{ key: 'content', slices: ['short'] }] },
      { head: {}, members: [{ key: 'content', slices: [] }] },
    ];
    for (const cursor of ['abc', null]) {
      const { text } = await drain(jsonPageStream(objects, cursor));
      expect(text).toBe(
        JSON.stringify({
          data: [
            { id: 'a', role: 'user', created_by: null, content: long },
            { id: 'b', role: 'assistant', created_by: 'u', content: 'short' },
            { content: '' },
          ],
          next_cursor: cursor,
        }),
      );
    }
    expect((await drain(jsonPageStream([], null))).text).toBe('{"data":[],"next_cursor":null}');
  });
});

describe('jsonStringBytes', () => {
  it("is the UTF-8 size of the string's JSON, quotes excluded, for every character JSON escapes", () => {
    const texts = ['', 'plain text', 'é"\\/\n\t\u2028 中文 😀 </script>', '\u0001\u0000\u001f\u0008\u000c\r\u000b\u007f', '\u0001'.repeat(1000)];
    for (let c = 0; c < 0x80; c++) texts.push(String.fromCharCode(c).repeat(3));
    for (const text of texts) {
      const utf8 = Buffer.byteLength(text);
      expect(jsonStringBytes(text, utf8), JSON.stringify(text)).toBe(Buffer.byteLength(JSON.stringify(text)) - 2);
    }
    expect(jsonStringBytes('\u0001'.repeat(1000), 1000)).toBe(6000); // six times its stored size
  });
});
