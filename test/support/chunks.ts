import type pg from 'pg';

/**
 * Writes `n` chunks of one item as an embed job would leave them (the chunks' trigger indexes their
 * content for full-text search), straight into private_chunks: for tests and benchmarks that need
 * an org of many chunks without running the model. `content` is each chunk's text (numbered: "text
 * 0", "text 1", …); `vectors` random unit-ish ones, or one constant vector for all (cheaper to
 * index, for rows about full-text search). Runs on `c` as it is (RLS: set the org first).
 */
export async function insertChunks(
  c: pg.ClientBase,
  o: { orgId: string; itemId: string; n: number; content: string; numbered?: boolean; vectors: 'random' | 'constant' },
): Promise<void> {
  await c.query(
    `INSERT INTO private_chunks (org_id, knowledge_item_id, chunk_index, content, embedding)
     SELECT $1, $2, g, CASE WHEN $5 THEN $3 || ' ' || g ELSE $3 END,
            CASE WHEN $6 THEN v.e ELSE array_fill(0.01, ARRAY[512])::vector END
       FROM generate_series(0, $4 - 1) g,
            LATERAL (SELECT array_agg(random() - 0.5)::vector AS e FROM generate_series(1, 512) d WHERE $6 AND g >= 0) v`,
    [o.orgId, o.itemId, o.content, o.n, o.numbered ?? false, o.vectors === 'random'],
  );
}
