import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { asTenant, createTestDb, TEST_KEYS, type TestDb } from './support/db.js';
import { createOrg, type Org } from './support/fixtures.js';
import { dbUrl } from './support/urls.js';
import { loadClusteredChunks } from './support/search-corpus.js';
import {
  existingOrgIndexes,
  maintainOrgIndexes,
  orgIndexName,
  ORG_INDEX_LOCK_KEY,
  parseCalibration,
  signedTenantOpener,
} from '../src/modules/search/org-indexes.js';

/**
 * Per-org HNSW indexes: the maintenance pass (as the owner role) builds one for an org over the
 * threshold and drops it when the org shrinks, and match_private_chunks answers that org through
 * it while it exists and exactly without it. A small corpus with a low threshold: one org of
 * 3,000 chunks, one of 600, ten of 300.
 */
describe('per-org search indexes', () => {
  let db: TestDb;
  let su: pg.Client;
  let owner: pg.Client;
  let app: pg.Pool;
  let big: Org;
  let mid: Org;
  let queries: string[];
  const opts = { minChunks: 1000, bitsMinChunks: 100_000, maxIndexes: 4, buildMemMb: 64 };
  const half = (org: Org) => orgIndexName(org.id, 'half');
  const bits = (org: Org) => orgIndexName(org.id, 'bits');

  beforeAll(async () => {
    db = await createTestDb();
    su = new pg.Client({ connectionString: dbUrl(db.name, 'postgres') });
    await su.connect();
    owner = new pg.Client({ connectionString: db.ownerUrl });
    await owner.connect();
    app = db.pool(db.appUrl, 2);
    big = await createOrg(db.owner);
    mid = await createOrg(db.owner);
    const fillers = await Promise.all(Array.from({ length: 10 }, () => createOrg(db.owner)));
    const sizes: [string, number][] = [
      [big.id, 3000],
      [mid.id, 600],
      ...fillers.map((o) => [o.id, 300] as [string, number]),
    ];
    // Bulk load as the superuser (fixtures only): clustered vectors, the sum of two of 600 random ones.
    await loadClusteredChunks(su, sizes, 0.25);
    await su.query(`VACUUM ANALYZE private_chunks`);
    queries = (
      await su.query(
        `SELECT (a.v + b.v)::text AS v FROM pool a, pool b WHERE a.g IN (3, 77, 150) AND b.g IN (311, 420, 555) ORDER BY a.g, b.g`,
      )
    ).rows.map((r) => r.v as string);
  }, 300_000);

  afterAll(async () => {
    await su?.end();
    await owner?.end();
    await app?.end();
    await db?.drop();
  });

  const match = (org: Org, query: string, k = 10) =>
    asTenant(app, { orgId: org.id }, async (c) =>
      (await c.query(`SELECT id FROM match_private_chunks($1, $2::vector, $3)`, [org.id, query, k])).rows.map(
        (r) => r.id as string,
      ),
    );
  const exact = async (org: Org, query: string, k = 10) =>
    (
      await su.query(
        `SELECT id FROM private_chunks WHERE org_id = $1 ORDER BY 1 - (embedding <=> $2::vector) DESC, id LIMIT $3`,
        [org.id, query, k],
      )
    ).rows.map((r) => r.id as string);
  /** Scans of an index so far (the search's backend flushes its statistics as it commits). */
  const scans = async (name: string) => {
    await su.query(`SELECT pg_stat_clear_snapshot()`);
    const r = await su.query(`SELECT idx_scan::int AS n FROM pg_stat_user_indexes WHERE indexrelname = $1`, [
      name,
    ]);
    return r.rows[0]?.n as number | undefined;
  };
  /** Both pooled connections flush what they counted (a backend otherwise reports its statistics up to a second late). */
  const flushAll = async () => {
    const both = await Promise.all([app.connect(), app.connect()]);
    for (const c of both) {
      await c.query(`SELECT pg_stat_force_next_flush()`);
      c.release();
    }
  };
  /** Rows read through the org_id btree or by sequential scans of private_chunks so far: what an exact search reads. */
  const rowsReadExactly = async () => {
    await flushAll();
    await su.query(`SELECT pg_stat_clear_snapshot()`);
    const r = await su.query(
      `SELECT (SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'private_chunks_org_idx')
              + (SELECT coalesce(seq_tup_read, 0) FROM pg_stat_user_tables WHERE relname = 'private_chunks') AS n`,
    );
    return Number(r.rows[0].n);
  };
  const matchFlushed = (org: Org, query: string) =>
    asTenant(app, { orgId: org.id }, async (c) => {
      const ids = (
        await c.query(`SELECT id FROM match_private_chunks($1, $2::vector, 10)`, [org.id, query])
      ).rows.map((r) => r.id);
      await c.query(`SELECT pg_stat_force_next_flush()`);
      return ids;
    });
  /** Blocks of an index read so far (hit or read), after the search's backend flushed its statistics. */
  const blocks = async (name: string) => {
    await su.query(`SELECT pg_stat_clear_snapshot()`);
    const r = await su.query(
      `SELECT (idx_blks_hit + idx_blks_read)::int AS n FROM pg_statio_user_indexes WHERE indexrelname = $1`,
      [name],
    );
    return (r.rows[0]?.n as number | undefined) ?? 0;
  };
  /** Index blocks five searches of the org read, with `setting` set in their transactions. */
  const blocksOfSearches = async (org: Org, name: string, setting?: [string, string]) => {
    await flushAll(); // earlier searches, counted late otherwise
    await owner.query(`SELECT pg_stat_force_next_flush()`);
    const before = await blocks(name);
    for (const q of queries.slice(0, 5))
      await asTenant(app, { orgId: org.id }, async (c) => {
        if (setting) await c.query(`SELECT set_config($1, $2, true)`, setting);
        await c.query(`SELECT id FROM match_private_chunks($1, $2::vector, 10)`, [org.id, q]);
        await c.query(`SELECT pg_stat_force_next_flush()`);
      });
    return (await blocks(name)) - before;
  };
  const recall = async (org: Org) => {
    let hit = 0;
    for (const q of queries) {
      const truth = new Set(await exact(org, q));
      hit += (await match(org, q)).filter((id) => truth.has(id)).length;
    }
    return hit / (queries.length * 10);
  };

  it('without an index the org is searched exactly', async () => {
    expect(await existingOrgIndexes(owner)).toEqual([]);
    for (const q of queries.slice(0, 3)) expect(await match(big, q)).toEqual(await exact(big, q));
  });

  it('the pass builds an index for the org over the threshold only, and the search uses it', async () => {
    const serverWorkers = (await owner.query(`SHOW max_parallel_maintenance_workers`)).rows[0].max_parallel_maintenance_workers;
    expect(serverWorkers).not.toBe('0');
    const pass = await maintainOrgIndexes(owner, { ...opts, buildWorkers: 0 });
    expect(pass.ran).toBe(true);
    // its builds ran on one backend (SEARCH_ORG_INDEX_BUILD_WORKERS), not the server's parallel workers
    expect((await owner.query(`SHOW max_parallel_maintenance_workers`)).rows[0].max_parallel_maintenance_workers).toBe('0');
    await owner.query(`RESET max_parallel_maintenance_workers`);
    expect(pass.created.map((c) => c.name)).toEqual([half(big)]);
    expect(pass.created[0].chunks).toBe(3000);
    expect(await existingOrgIndexes(owner)).toEqual([{ name: half(big), valid: true, comment: null }]);
    // the index's predicate is the org; its key the half-precision embedding
    const def = (await su.query(`SELECT pg_get_indexdef($1::regclass) AS d`, [half(big)])).rows[0]
      .d as string;
    expect(def).toContain(`WHERE (org_id = '${big.id}'::uuid)`);
    expect(def).toContain(`USING hnsw (((embedding)::halfvec(512)) halfvec_cosine_ops)`);

    const before = (await scans(half(big))) ?? 0;
    await matchFlushed(big, queries[0]);
    expect(await scans(half(big))).toBeGreaterThan(before);
    expect(await recall(big)).toBeGreaterThanOrEqual(0.95);
    // another org's search never touches it (and still answers exactly)
    const mid0 = await match(mid, queries[0]);
    expect(mid0).toEqual(await exact(mid, queries[0]));
  });

  it('through its index as before, no other org and no forged context reads the org', async () => {
    // another org's verified context naming the large org: the function's check answers nothing
    const other = await asTenant(
      app,
      { orgId: mid.id },
      async (c) =>
        (await c.query(`SELECT id FROM match_private_chunks($1, $2::vector, 10)`, [big.id, queries[0]])).rows,
    );
    expect(other).toEqual([]);
    // the org set by hand, without tenant_begin()'s mark: the check passes, RLS (app_ctx_org()) hides every row
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [big.id]);
      const forged = await c.query(`SELECT id FROM match_private_chunks($1, $2::vector, 10)`, [
        big.id,
        queries[0],
      ]);
      expect(forged.rows).toEqual([]);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('a second pass changes nothing; a pass while another holds the lock does nothing', async () => {
    const again = await maintainOrgIndexes(owner, opts);
    expect(again).toMatchObject({ ran: true, created: [], dropped: [] });
    const holder = new pg.Client({ connectionString: db.ownerUrl });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock($1::bigint)`, [ORG_INDEX_LOCK_KEY]);
      expect(await maintainOrgIndexes(owner, { ...opts, minChunks: 100 })).toMatchObject({
        ran: false,
        created: [],
        dropped: [],
      });
    } finally {
      await holder.end();
    }
  });

  it('the pass measures a sign-bit index on the org\'s own rows: kept at the count that reaches the target, else half precision', async () => {
    const tenant = signedTenantOpener(TEST_KEYS[0], 60_000);
    const calOpts = { ...opts, recallTarget: 0.9, samples: 20 };
    const comment = async (name: string) =>
      (await existingOrgIndexes(owner)).find((e) => e.name === name)?.comment ?? null;
    // a half-precision index is not measured (its own rows would overstate its recall)
    expect(await maintainOrgIndexes(owner, calOpts, undefined, tenant)).toMatchObject({
      created: [],
      dropped: [],
      calibrated: [],
    });
    expect(await comment(half(big))).toBeNull();

    // sign bits under a target they cannot reach: built, measured in the org's signed context,
    // dropped; the half-precision index stays, marked
    const steps: string[] = [];
    const missed = await maintainOrgIndexes(
      owner,
      { ...calOpts, bitsMinChunks: 3000, recallTarget: 1.01 },
      (m) => steps.push(m),
      tenant,
    );
    expect(missed.created.map((c) => c.name)).toEqual([bits(big)]);
    expect(missed.calibrated).toMatchObject([{ name: bits(big), candidates: null }]);
    expect(missed.calibrated[0].recall).toBeGreaterThan(0.5); // it did search: the org's rows found
    expect(missed.dropped).toEqual([bits(big)]);
    expect(steps.map((m) => m.split(/[:(]/)[0].trim())).toEqual([
      `created ${bits(big)}`,
      `calibrated ${bits(big)}`,
      `dropped ${bits(big)}`,
    ]);
    expect(await existingOrgIndexes(owner)).toMatchObject([{ name: half(big), valid: true }]);
    expect(parseCalibration(await comment(half(big)))).toMatchObject({ kind: 'half', bitsRejectedAt: 3000, samples: 20 });
    // not tried again before the org has doubled
    expect(await maintainOrgIndexes(owner, { ...calOpts, bitsMinChunks: 3000 }, undefined, tenant)).toMatchObject({
      created: [],
      dropped: [],
      calibrated: [],
    });

    // a measurement that fails (here the tenant context) keeps both graphs, the pass goes on; the
    // half-precision one answers while the sign bits are unmeasured
    await owner.query(`COMMENT ON INDEX ${half(big)} IS NULL`);
    const failed: string[] = [];
    const broken = await maintainOrgIndexes(
      owner,
      { ...calOpts, bitsMinChunks: 3000 },
      (m) => failed.push(m),
      async () => {
        throw new Error('no context');
      },
    );
    expect(broken).toMatchObject({ ran: true, dropped: [], calibrated: [] });
    expect(broken.created.map((c) => c.name)).toEqual([bits(big)]);
    expect(failed.at(-1)).toMatch(/^measuring .* failed, kept as it is until the next pass: no context$/);
    expect((await existingOrgIndexes(owner)).map((e) => e.name).sort()).toEqual([bits(big), half(big)].sort());

    // sign bits that reach the target replace the half-precision graph once measured; measured
    // through the sign-bit graph itself, though the half-precision one is still there
    await flushAll();
    const bitsScans = (await scans(bits(big))) ?? 0;
    const held = await maintainOrgIndexes(owner, { ...calOpts, bitsMinChunks: 3000 }, undefined, tenant);
    await owner.query(`SELECT pg_stat_force_next_flush()`);
    expect(held.created).toEqual([]);
    expect(held.calibrated).toMatchObject([{ name: bits(big), candidates: 40 }]);
    expect(held.dropped).toEqual([half(big)]);
    expect(((await scans(bits(big))) ?? 0) - bitsScans).toBeGreaterThanOrEqual(calOpts.samples);
    expect(parseCalibration(await comment(bits(big)))).toMatchObject({ kind: 'bits', candidates: 40, chunks: 3000 });
    expect(await recall(big)).toBeGreaterThanOrEqual(0.95);
    // measured once: the org has not doubled
    expect((await maintainOrgIndexes(owner, { ...calOpts, bitsMinChunks: 3000 }, undefined, tenant)).calibrated).toEqual([]);

    // the search takes as many candidates as the comment says, and an operator's setting still wins
    const note = (n: number) => `'rocker-search candidates=${n} recall=1.000 samples=1 chunks=3000'`;
    await owner.query(`COMMENT ON INDEX ${bits(big)} IS ${note(1000)}`);
    const many = await blocksOfSearches(big, bits(big));
    await owner.query(`COMMENT ON INDEX ${bits(big)} IS ${note(40)}`);
    const few = await blocksOfSearches(big, bits(big));
    expect(many).toBeGreaterThan(3 * few);
    await owner.query(`COMMENT ON INDEX ${bits(big)} IS ${note(1000)}`);
    expect(await blocksOfSearches(big, bits(big), ['rocker.search_org_bits_candidates', '40'])).toBeLessThan(many / 3);

    // back to an unmeasured half-precision index for the tests below
    await maintainOrgIndexes(owner, { ...opts, bitsMinChunks: 0 });
    expect(await existingOrgIndexes(owner)).toEqual([{ name: half(big), valid: true, comment: null }]);
  });

  it('past SEARCH_ORG_INDEX_BITS_MIN_CHUNKS the org moves to a graph of sign bits (built before the old one goes), and back under half', async () => {
    const steps: string[] = [];
    const toBits = await maintainOrgIndexes(owner, { ...opts, bitsMinChunks: 3000 }, (m) => steps.push(m));
    expect(toBits.created.map((c) => c.name)).toEqual([bits(big)]);
    expect(toBits.dropped).toEqual([half(big)]);
    // the old graph goes only once the new one is built
    expect(steps.map((m) => m.split(' (')[0])).toEqual([`created ${bits(big)}`, `dropped ${half(big)}`]);
    expect(await existingOrgIndexes(owner)).toEqual([{ name: bits(big), valid: true, comment: null }]);
    const def = (await su.query(`SELECT pg_get_indexdef($1::regclass) AS d`, [bits(big)])).rows[0].d as string;
    expect(def).toContain(`WHERE (org_id = '${big.id}'::uuid)`);
    expect(def).toContain(`USING hnsw (((binary_quantize(embedding))::bit(512)) bit_hamming_ops)`);
    const before = (await scans(bits(big))) ?? 0;
    const exactBefore = await rowsReadExactly();
    await matchFlushed(big, queries[0]);
    expect(await scans(bits(big))).toBeGreaterThan(before);
    // answered by the graph alone: the exact fallback (3,000 rows through the org_id btree, or the table) never ran
    expect((await rowsReadExactly()) - exactBefore).toBeLessThan(100);
    expect(await recall(big)).toBeGreaterThanOrEqual(0.95);
    // 4 x k candidates over pgvector's ef_search bound of 1000: the iterative scan gives the rest
    expect(await match(big, queries[2], 300)).toHaveLength(300);
    // both kinds at once (a pass stopped between a build and the drop): while the sign bits are not
    // measured, the half-precision graph answers; once measured (the pass's comment), the sign bits
    await owner.query(
      `CREATE INDEX ${half(big)} ON private_chunks USING hnsw ((embedding::halfvec(512)) halfvec_cosine_ops)
         WHERE org_id = '${big.id}'::uuid`,
    );
    const answeredBy = async () => {
      await flushAll(); // the searches above
      const [b0, h0] = [(await scans(bits(big))) ?? 0, (await scans(half(big))) ?? 0];
      await matchFlushed(big, queries[1]);
      const [b1, h1] = [(await scans(bits(big))) ?? 0, (await scans(half(big))) ?? 0];
      return b1 > b0 && h1 === h0 ? 'bits' : h1 > h0 && b1 === b0 ? 'half' : `both or neither (${b0}->${b1}, ${h0}->${h1})`;
    };
    expect(await answeredBy()).toBe('half');
    await owner.query(`COMMENT ON INDEX ${bits(big)} IS 'rocker-search candidates=40 recall=1.000 samples=1 chunks=3000'`);
    expect(await answeredBy()).toBe('bits');
    await owner.query(`COMMENT ON INDEX ${bits(big)} IS NULL`);
    // and the next pass finds the leftover and drops it
    expect(await maintainOrgIndexes(owner, { ...opts, bitsMinChunks: 3000 })).toMatchObject({
      created: [],
      dropped: [half(big)],
    });
    // 3,000 is over half of 5,000: kept; under half of 7,000: half precision again
    expect(await maintainOrgIndexes(owner, { ...opts, bitsMinChunks: 5000 })).toMatchObject({ created: [], dropped: [] });
    const back = await maintainOrgIndexes(owner, { ...opts, bitsMinChunks: 7000 });
    expect(back.created.map((c) => c.name)).toEqual([half(big)]);
    expect(back.dropped).toEqual([bits(big)]);
    expect(await recall(big)).toBeGreaterThanOrEqual(0.95);
  });

  it('the org keeps its index over half the threshold and loses it under; the search is exact again', async () => {
    // 3,000 -> 700 (over 500): kept
    await su.query(`DELETE FROM private_chunks WHERE org_id = $1 AND chunk_index >= 700`, [big.id]);
    expect(await maintainOrgIndexes(owner, opts)).toMatchObject({ ran: true, created: [], dropped: [] });
    expect(await recall(big)).toBeGreaterThanOrEqual(0.95);
    // 700 -> 400 (under 500): dropped
    await su.query(`DELETE FROM private_chunks WHERE org_id = $1 AND chunk_index >= 400`, [big.id]);
    const pass = await maintainOrgIndexes(owner, opts);
    expect(pass.dropped).toEqual([half(big)]);
    expect(await existingOrgIndexes(owner)).toEqual([]);
    for (const q of queries.slice(0, 3)) expect(await match(big, q)).toEqual(await exact(big, q));
  });

  it('only the largest orgs get one (SEARCH_ORG_INDEX_MAX)', async () => {
    const pass = await maintainOrgIndexes(owner, { ...opts, minChunks: 250, maxIndexes: 2 });
    // mid (600) and big (400) are the two largest over 250; the ten of 300 get none
    expect(pass.created.map((c) => c.name).sort()).toEqual(
      [half(big), half(mid)].sort(),
    );
    // an org of a few hundred chunks is searched through its own index too, not the shared one
    // (which the planner prefers on the plain column: the per-org index is on a halfvec expression)
    const before = (await scans(half(mid))) ?? 0;
    await matchFlushed(mid, queries[1]);
    expect(await scans(half(mid))).toBeGreaterThan(before);
    expect(await recall(mid)).toBeGreaterThanOrEqual(0.95);
    await maintainOrgIndexes(owner, { ...opts, maxIndexes: 0 });
    expect(await existingOrgIndexes(owner)).toEqual([]);
  });

  it('neither the app role nor the worker role can size orgs across RLS', async () => {
    for (const role of ['rocker_app', 'rocker_worker'] as const) {
      const c = new pg.Client({ connectionString: dbUrl(db.name, role) });
      await c.connect();
      try {
        await expect(c.query(`SELECT * FROM search_org_sizes(1)`)).rejects.toMatchObject({ code: '42501' });
      } finally {
        await c.end();
      }
    }
    // the owner itself reads no row of private_chunks without an org (FORCE RLS): the function is its door
    expect((await owner.query(`SELECT count(*)::int AS n FROM private_chunks`)).rows[0].n).toBe(0);
    expect((await owner.query(`SELECT count(*)::int AS n FROM search_org_sizes(1)`)).rows[0].n).toBe(12);
  });
});
