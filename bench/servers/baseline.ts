import Fastify from 'fastify';
import pg from 'pg';
import { jwtVerify } from 'jose';
import { beginBenchTenant } from '../lib/context.js';

/**
 * The baseline for bench:overhead: bare Fastify + pg doing what the full stack does for
 * GET /v1/threads?limit=20 — verify the bearer token (jose, as the stack, without its cache), one
 * transaction, the same signed tenant_begin(), the same query — and nothing else (no guards,
 * validation, limiter, logging or metrics). BENCH_PREPARED=1: tenant_begin() and the query as named
 * prepared statements, as the stack sends them on a direct connection (DATABASE_PREPARED_STATEMENTS).
 */
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const orgId = process.env.BENCH_ORG_ID!;
const userId = process.env.BENCH_USER_ID!;
const prepared = process.env.BENCH_PREPARED === '1';
const secret = new TextEncoder().encode(process.env.JWT_SECRET);
const verifyOptions = { issuer: process.env.JWT_ISSUER, audience: process.env.JWT_AUDIENCE, algorithms: ['HS256'] };
const app = Fastify({ logger: false });

app.get('/v1/threads', async (req, reply) => {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const claims = token ? await jwtVerify(token, secret, verifyOptions).then((r) => r.payload, () => undefined) : undefined;
  if (claims?.sub !== userId) return reply.code(401).send({ title: 'unauthorized' });
  const c = await pool.connect();
  try {
    await c.query('START TRANSACTION');
    // the same signed tenant_begin() the full stack sends (the key is the benchmark's)
    await beginBenchTenant(c, orgId, { userId, role: 'owner' }, prepared ? 'tenant_begin' : undefined);
    const r = await c.query({
      name: prepared ? 'threads_page' : undefined,
      text: `SELECT id, title, created_by, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
              to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
         FROM rocker_threads ORDER BY rocker_threads.created_at DESC, rocker_threads.id DESC LIMIT $1`,
      values: [21],
    });
    await c.query('COMMIT');
    return { data: r.rows.slice(0, 20), next_cursor: null };
  } finally {
    c.release();
  }
});

const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${new URL(address).port}`);
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
