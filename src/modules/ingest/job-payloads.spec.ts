import { describe, expect, it } from 'vitest';
import { JobKind, PermanentJobError } from './ingest.types.js';
import { InvalidPayloadError, JobPayloadParser } from './job-payloads.js';

const ITEM = '0a1b2c3d-0000-4000-8000-00000000000a';
const OTHER = '0a1b2c3d-0000-4000-8000-00000000000b';

describe(JobPayloadParser.name, () => {
  const sut = new JobPayloadParser();

  it.each([
    [JobKind.Embed, { knowledge_item_id: ITEM }, null, { knowledge_item_id: ITEM }],
    [JobKind.Ocr, { knowledge_item_id: ITEM }, ITEM, { knowledge_item_id: ITEM }],
    [
      JobKind.Crawl,
      { knowledge_item_id: ITEM, url: 'https://example.org/a' },
      ITEM,
      { knowledge_item_id: ITEM, url: 'https://example.org/a' },
    ],
    // Rows written by older code or by hand: the item only in the column, or as knowledgeItemId.
    [JobKind.Embed, {}, ITEM, { knowledge_item_id: ITEM }],
    [JobKind.Embed, { knowledgeItemId: ITEM }, null, { knowledge_item_id: ITEM }],
    [JobKind.Ocr, {}, ITEM.toUpperCase(), { knowledge_item_id: ITEM }],
    // As the handlers read them before: embed prefers the column, crawl and ocr the payload.
    [JobKind.Embed, { knowledge_item_id: OTHER }, ITEM, { knowledge_item_id: ITEM }],
    [JobKind.Ocr, { knowledge_item_id: OTHER }, ITEM, { knowledge_item_id: OTHER }],
  ] as const)('%s %j (column %s) → %j', (kind, payload, column, expected) => {
    expect(sut.parse(kind, { payload, knowledgeItemId: column })).toEqual(expected);
  });

  it('keeps only the fields of the kind', () => {
    expect(
      sut.parse(JobKind.Ocr, { payload: { knowledge_item_id: ITEM, extra: 1 }, knowledgeItemId: null }),
    ).toEqual({
      knowledge_item_id: ITEM,
    });
  });

  it.each([
    [JobKind.Crawl, { knowledge_item_id: ITEM }, ITEM, /^invalid-payload: crawl job without a url$/],
    [JobKind.Crawl, { knowledge_item_id: ITEM, url: 42 }, ITEM, /without a url/],
    [JobKind.Ocr, {}, null, /^invalid-payload: ocr job without a valid knowledge_item_id$/],
    [JobKind.Embed, { knowledge_item_id: 'not-a-uuid' }, null, /without a valid knowledge_item_id/],
    [JobKind.Embed, [ITEM], ITEM, /payload is not an object/],
    [JobKind.Embed, null, ITEM, /payload is not an object/],
  ] as const)('%s %j (column %s) fails the job for good', (kind, payload, column, message) => {
    let err: unknown;
    try {
      sut.parse(kind, { payload, knowledgeItemId: column });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidPayloadError);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a kind it does not know', () => {
    expect(() => sut.parse('nope' as JobKind, { payload: {}, knowledgeItemId: ITEM })).toThrow(
      PermanentJobError,
    );
  });
});
