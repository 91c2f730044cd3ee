import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CLAIM_LOCK_KEY, claimFunctionSql, DISPATCH_ROLE, dispatchFunctionGrants } from './1764100300000-IngestJobs.js';

const OLD = 'ingest_dispatch_claim(integer, integer, integer)';
const NEW = 'ingest_dispatch_claim(integer, integer, integer, boolean)';
const UNCLAIM = 'ingest_dispatch_unclaim(uuid[], uuid[])';

/**
 * A claim is one statement, committed before the jobs go to Redis; a failed send gives the rows
 * back with ingest_dispatch_unclaim.
 *
 * Why: the claim's advisory lock used to be held by a client-side transaction across the Redis
 * call, until the client sent COMMIT. A dispatcher in a process the OS ran rarely (a worker under
 * load, or at idle priority) then kept every other dispatcher waiting for the lock, each holding a
 * connection meanwhile (`npm run load:noisy`, pg_stat_activity: "idle in transaction" holders,
 * others on Lock:advisory). Now the lock lives only as long as the function runs on the server.
 *
 * `p_wait` false: when another claim holds the lock, fail at once with SQLSTATE 55P03
 * (lock_not_available) instead of waiting, so a refill can tell "busy" from "nothing to claim".
 * A row claimed but never sent (a crash between commit and send) is found by the reconciler, as a
 * row lost by Redis is.
 */
export class IngestClaimOneStatement1764100900000 implements MigrationInterface {
  name = 'IngestClaimOneStatement1764100900000';

  async up(q: QueryRunner): Promise<void> {
    const sql = [
      `GRANT CREATE ON SCHEMA public TO ${DISPATCH_ROLE}`,
      `DROP FUNCTION ${OLD}`,
      claimFunctionSql(
        'p_default_limit integer, p_window integer, p_max integer, p_wait boolean',
        `IF p_wait THEN
           PERFORM pg_advisory_xact_lock(${CLAIM_LOCK_KEY});
         ELSIF NOT pg_try_advisory_xact_lock(${CLAIM_LOCK_KEY}) THEN
           RAISE EXCEPTION 'another dispatcher is claiming' USING ERRCODE = 'lock_not_available';
         END IF;`,
      ),
      // Gives claimed rows back (the queue refused them): only rows still queued, and only the
      // dispatch mark, which the role may write and nothing else.
      `CREATE FUNCTION ${UNCLAIM.replace('(uuid[], uuid[])', '(p_org_ids uuid[], p_ids uuid[])')}
         RETURNS integer
         LANGUAGE sql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         WITH u AS (
           UPDATE public.ingest_jobs j SET dispatched_at = NULL
            WHERE j.org_id = ANY (p_org_ids) AND j.id = ANY (p_ids) AND j.status = 'queued' AND j.dispatched_at IS NOT NULL
           RETURNING 1)
         SELECT count(*)::integer FROM u
       $fn$`,
    ];
    for (const fn of [NEW, UNCLAIM]) sql.push(...dispatchFunctionGrants(fn));
    sql.push(`REVOKE CREATE ON SCHEMA public FROM ${DISPATCH_ROLE}`);
    for (const s of sql) await q.query(s);
  }

  async down(q: QueryRunner): Promise<void> {
    const sql = [
      `GRANT CREATE ON SCHEMA public TO ${DISPATCH_ROLE}`,
      `DROP FUNCTION ${UNCLAIM}`,
      `DROP FUNCTION ${NEW}`,
      claimFunctionSql(
        'p_default_limit integer, p_window integer, p_max integer',
        `PERFORM pg_advisory_xact_lock(${CLAIM_LOCK_KEY});`,
      ),
      ...dispatchFunctionGrants(OLD),
      `REVOKE CREATE ON SCHEMA public FROM ${DISPATCH_ROLE}`,
    ];
    for (const s of sql) await q.query(s);
  }
}
