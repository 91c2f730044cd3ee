/**
 * Bulk-loads clustered chunks as the superuser (fixtures only): `sizes` gives each org's chunk
 * count, in one knowledge item per org; every vector is the sum of two of 600 random 512-d ones
 * (seeded by `seed`), so nearest neighbours are meaningful and the exact top-k is stable.
 */
export async function loadClusteredChunks(su, sizes, seed) {
    await su.query(`SELECT setseed($1)`, [seed]);
    await su.query(`CREATE TEMP TABLE pool AS
    SELECT g, (SELECT array_agg((random() - 0.5)::real) FROM generate_series(1, 512) WHERE g >= 0)::vector AS v FROM generate_series(0, 599) g`);
    await su.query(`INSERT INTO knowledge_items (org_id, title, source_kind, status)
     SELECT org, 'bulk', 'text', 'ready' FROM unnest($1::uuid[]) org`, [sizes.map((s) => s[0])]);
    await su.query(`INSERT INTO private_chunks (org_id, knowledge_item_id, chunk_index, content, embedding)
     SELECT r.org, r.item, r.j, 'chunk ' || r.j, a.v + b.v
       FROM (SELECT s.org, k.id AS item, j, floor(random() * 300)::int AS ia, 300 + floor(random() * 300)::int AS ib
               FROM unnest($1::uuid[], $2::int[]) s(org, n)
               JOIN knowledge_items k ON k.org_id = s.org
               CROSS JOIN LATERAL generate_series(0, s.n - 1) j) r
       JOIN pool a ON a.g = r.ia
       JOIN pool b ON b.g = r.ib`, [sizes.map((s) => s[0]), sizes.map((s) => s[1])]);
}
//# sourceMappingURL=search-corpus.js.map