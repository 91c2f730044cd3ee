import pg from 'pg';
import type { SearchConfig } from '../../config/slices.js';

/**
 * Per-org HNSW indexes on private_chunks (docs/search.md#per-org-indexes). An org holding many
 * chunks gets its own partial index, `WHERE org_id = '<org>'`, a graph of its rows alone, which
 * match_private_chunks routes to (migrations SearchOrgIndexes, SearchOrgBinaryIndexes): a graph
 * of half-precision vectors, or, for an org of SEARCH_ORG_INDEX_BITS_MIN_CHUNKS or more (off by
 * default), of the vectors' sign bits, whose candidates the search re-ranks exactly. This pass
 * decides which orgs have one, of which kind, and creates and drops them; it runs as the owner
 * role (it owns the table) on a direct connection, never as the app role, and takes a session
 * advisory lock so that one process in the fleet does it at a time.
 */

/**
 * A graph of half-precision vectors (`half`), or of their sign bits (`bits`): 64 bytes an element
 * instead of 1 KB and a distance of a few popcounts, searched for more candidates that are then
 * re-ranked by the exact distance. Sign bits find the neighbours of an org whose rows crowd
 * around each other at a fraction of the cost (the synthetic corpus's large org); where an org's
 * nearest rows are scattered (its smaller orgs, and real text embeddings of varied paragraphs) their
 * Hamming order is too coarse and the half-precision graph finds them for less (bench:search,
 * bench:quantization).
 */
export type OrgIndexKind = 'half' | 'bits';

/**
 * The names match_private_chunks looks up: a prefix per kind and the org id's 32 hex digits (at
 * most 56 characters, under 63). No other index on the table starts with either prefix
 * (`private_chunks_org_idx` and the unique constraint's `private_chunks_org_id_…` are why they
 * are not `private_chunks_org_`), and the pass touches only indexes whose whole name has this shape.
 */
export const ORG_INDEX_PREFIX: Record<OrgIndexKind, string> = {
  half: 'private_chunks_hnsw_org_',
  bits: 'private_chunks_bq_org_',
};
const ORG_INDEX_NAME = `^(${ORG_INDEX_PREFIX.half}|${ORG_INDEX_PREFIX.bits})[0-9a-f]{32}$`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Each kind's key and operator class (what match_private_chunks orders by). */
const ORG_INDEX_KEY: Record<OrgIndexKind, (dims: number) => string> = {
  half: (dims) => `(embedding::halfvec(${dims})) halfvec_cosine_ops`,
  bits: (dims) => `(binary_quantize(embedding)::bit(${dims})) bit_hamming_ops`,
};
/** Session advisory lock of a pass (one pass in the fleet at a time). */
export const ORG_INDEX_LOCK_KEY = '1796206000000';

export function orgIndexName(orgId: string, kind: OrgIndexKind): string {
  if (!UUID.test(orgId)) throw new Error(`not an org id: ${orgId}`);
  return ORG_INDEX_PREFIX[kind] + orgId.replaceAll('-', '');
}

const OTHER: Record<OrgIndexKind, OrgIndexKind> = { half: 'bits', bits: 'half' };

export interface OrgIndexOptions {
  /** An org gets an index from this many chunks on, and keeps it until it falls under half. */
  minChunks: number;
  /** 0 = never. From this many chunks on the org's graph is of sign bits, until it falls under half (then half precision again). */
  bitsMinChunks: number;
  /** At most this many per-org indexes (the largest orgs): each one costs every insert a predicate check and every plan a look. */
  maxIndexes: number;
  /** maintenance_work_mem of a build (MB): a graph that does not fit is built far more slowly. */
  buildMemMb: number;
}

/** The pass's options from the service's settings (SEARCH_ORG_INDEX_*). */
export function orgIndexOptionsOf(search: SearchConfig): OrgIndexOptions {
  return {
    minChunks: search.orgIndexMinChunks,
    bitsMinChunks: search.orgIndexBitsMinChunks,
    maxIndexes: search.orgIndexMax,
    buildMemMb: search.orgIndexBuildMemMb,
  };
}

export interface OrgSize {
  orgId: string;
  chunks: number;
}
export interface ExistingIndex {
  name: string;
  valid: boolean;
}
export interface OrgIndexPlan {
  create: (OrgSize & { kind: OrgIndexKind })[];
  /** Dropped before the builds: invalid indexes and those of orgs that no longer get one. */
  drop: string[];
  /** An org's index of the kind it is leaving: it serves until the new one is built, then goes. */
  retire: string[];
}

/**
 * Which indexes to create and drop. `sizes` holds every org with at least minChunks / 2 chunks.
 * Eligible: an org at or over minChunks, or one that has a valid index and is still over half of
 * it (hysteresis: an org around the line does not flap). The largest maxIndexes eligible orgs keep
 * or get one; every other index, and every invalid one (a failed concurrent build), is dropped,
 * an invalid one to be built again. The kind follows the size with the same hysteresis: sign bits
 * from bitsMinChunks (unless 0), kept down to half of it. An org changing kind keeps its old index
 * until its new one is built (`retire`).
 */
export function planOrgIndexes(
  sizes: OrgSize[],
  existing: ExistingIndex[],
  opts: Pick<OrgIndexOptions, 'minChunks' | 'bitsMinChunks' | 'maxIndexes'>,
): OrgIndexPlan {
  const valid = new Set(existing.filter((e) => e.valid).map((e) => e.name));
  const has = (s: OrgSize, kind: OrgIndexKind) => valid.has(orgIndexName(s.orgId, kind));
  const kindOf = (s: OrgSize): OrgIndexKind =>
    opts.bitsMinChunks > 0 && s.chunks >= (has(s, 'bits') ? opts.bitsMinChunks / 2 : opts.bitsMinChunks)
      ? 'bits'
      : 'half';
  const wanted = sizes
    .filter((s) => s.chunks >= opts.minChunks || ((has(s, 'half') || has(s, 'bits')) && s.chunks >= opts.minChunks / 2))
    .sort((a, b) => b.chunks - a.chunks || a.orgId.localeCompare(b.orgId))
    .slice(0, Math.max(0, opts.maxIndexes))
    .map((s) => ({ ...s, kind: kindOf(s) }));
  const keep = new Set(wanted.map((s) => orgIndexName(s.orgId, s.kind)));
  const leaving = new Set(wanted.map((s) => orgIndexName(s.orgId, OTHER[s.kind])));
  const retire = existing.filter((e) => e.valid && leaving.has(e.name)).map((e) => e.name);
  return {
    create: wanted.filter((s) => !has(s, s.kind)),
    drop: existing.filter((e) => !e.valid || (!keep.has(e.name) && !retire.includes(e.name))).map((e) => e.name),
    retire,
  };
}

export interface OrgIndexPass {
  /** False when another process held the lock (nothing done). */
  ran: boolean;
  created: { name: string; chunks: number; ms: number }[];
  dropped: string[];
}

/** The per-org indexes that exist now, valid or not: partial HNSW indexes on private_chunks named as orgIndexName() names them. */
export async function existingOrgIndexes(c: pg.ClientBase): Promise<ExistingIndex[]> {
  const { rows } = await c.query<{ name: string; valid: boolean }>(
    `SELECT ic.relname AS name, i.indisvalid AS valid
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_catalog.pg_am am ON am.oid = ic.relam
      WHERE i.indrelid = 'public.private_chunks'::regclass AND am.amname = 'hnsw' AND i.indpred IS NOT NULL
        AND ic.relname ~ $1
      ORDER BY 1`,
    [ORG_INDEX_NAME],
  );
  return rows;
}

/**
 * One pass on `c`, a session of the owner role outside any transaction (CREATE/DROP INDEX
 * CONCURRENTLY cannot run in one): drops first, then builds, largest org first, retiring an org's
 * index of the kind it left right after its new one is built. Concurrent builds take no lock that blocks the org's reads or
 * writes. `log` hears each step.
 */
export async function maintainOrgIndexes(
  c: pg.ClientBase,
  opts: OrgIndexOptions,
  log: (msg: string) => void = () => undefined,
): Promise<OrgIndexPass> {
  const pass: OrgIndexPass = { ran: false, created: [], dropped: [] };
  const { rows: lock } = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock($1::bigint) AS ok`, [
    ORG_INDEX_LOCK_KEY,
  ]);
  if (!lock[0].ok) return pass;
  pass.ran = true;
  try {
    const { rows } = await c.query<{ org_id: string; chunks: string }>(
      `SELECT org_id, chunks FROM search_org_sizes($1)`,
      [Math.max(1, Math.floor(opts.minChunks / 2))],
    );
    const plan = planOrgIndexes(
      rows.map((r) => ({ orgId: r.org_id, chunks: Number(r.chunks) })),
      await existingOrgIndexes(c),
      opts,
    );
    for (const name of plan.drop) {
      // names come from the catalog and have the per-org shape (existingOrgIndexes); quoted all the same
      await c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${pg.escapeIdentifier(name)}`);
      pass.dropped.push(name);
      log(`dropped ${name}`);
    }
    // the embedding column's dimension (its typmod), for the index expression
    const retire = async (name: string) => {
      await c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${pg.escapeIdentifier(name)}`);
      pass.dropped.push(name);
      log(`dropped ${name} (its org changed kind)`);
    };
    const dims = plan.create.length ? await embeddingDims(c) : 0;
    if (plan.create.length)
      await c.query(`SELECT set_config('maintenance_work_mem', $1, false)`, [`${opts.buildMemMb}MB`]);
    for (const org of plan.create) {
      const name = orgIndexName(org.orgId, org.kind); // throws unless a uuid: the literal below is hex and dashes
      const t0 = performance.now();
      // DDL takes no parameters: the org is a literal, a uuid the database itself answered (checked above).
      // ef_construction 200, not the shared index's 64: a better graph is what lets a small search
      // ef reach recall 0.98 (100,000-chunk org, full-precision graph, ef_search 64: recall 0.955
      // built with 64, 0.990 with 200; bench:search), bought once per build (about 3x its time).
      // On the expression match_private_chunks orders by: only this index can serve that order (on
      // the plain column the planner may prefer the shared index).
      await c.query(
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${pg.escapeIdentifier(name)} ON public.private_chunks
           USING hnsw (${ORG_INDEX_KEY[org.kind](dims)}) WITH (m = 16, ef_construction = 200)
           WHERE org_id = ${pg.escapeLiteral(org.orgId)}::uuid`,
      );
      const ms = performance.now() - t0;
      pass.created.push({ name, chunks: org.chunks, ms });
      log(`created ${name} (${org.chunks} chunks) in ${(ms / 1000).toFixed(1)} s`);
      // the org's index of the other kind goes as soon as its replacement exists (a later build
      // that fails keeps no one's old graph alive)
      const old = orgIndexName(org.orgId, OTHER[org.kind]);
      if (plan.retire.includes(old)) await retire(old);
    }
    for (const name of plan.retire) if (!pass.dropped.includes(name)) await retire(name); // its new index was there already
  } finally {
    await c.query(`SELECT pg_advisory_unlock($1::bigint)`, [ORG_INDEX_LOCK_KEY]);
  }
  return pass;
}

async function embeddingDims(c: pg.ClientBase): Promise<number> {
  const { rows } = await c.query<{ dims: number }>(
    `SELECT atttypmod AS dims FROM pg_catalog.pg_attribute WHERE attrelid = 'public.private_chunks'::regclass AND attname = 'embedding'`,
  );
  const dims = Number(rows[0]?.dims);
  if (!Number.isInteger(dims) || dims < 1) throw new Error('private_chunks.embedding has no dimension');
  return dims;
}

/** One pass on a new connection to `url` (the owner role's, direct), closed after. */
export async function maintainOrgIndexesAt(
  url: string,
  opts: OrgIndexOptions,
  log?: (msg: string) => void,
): Promise<OrgIndexPass> {
  const c = new pg.Client({ connectionString: url, application_name: 'rocker-org-indexes' });
  await c.connect();
  try {
    return await maintainOrgIndexes(c, opts, log);
  } finally {
    await c.end();
  }
}
