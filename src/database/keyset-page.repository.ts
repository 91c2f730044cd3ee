import type { Keyset } from '../common/dto/page.dto.js';
import type { TenantDb } from '../tenancy/tenant-context.js';

/**
 * One page, newest first, by the (created_at, id) keyset, for the list routes' repositories.
 * `selectWhere` is constant SQL of the caller ending in a WHERE condition ("SELECT cols FROM table
 * WHERE org_id = $1": a tenant table names the context's org, see docs/scaling.md), never input
 * (it comes first, for the org-routing audit); `table` is the table it reads; `params` are its
 * values, and the keyset and limit follow them. limit + 1 rows, so pageOf() can tell whether more
 * follow.
 *
 * The order names the table's columns: the select list answers `created_at` formatted as text
 * (isoTs), and a bare `ORDER BY created_at` sorts by that output column, so Postgres read and sorted
 * every row of the org for each page (an org of 200,000 rows: 65-130 ms a page) instead of reading
 * limit + 1 from the (org_id, created_at, id) index.
 */
export function keysetPage<T>(
  db: TenantDb,
  selectWhere: string,
  table: string,
  params: unknown[],
  limit: number,
  after?: Keyset,
): Promise<T[]> {
  const n = params.length;
  const order = `ORDER BY ${table}.created_at DESC, ${table}.id DESC`;
  return after
    ? db.query<T>(
        `${selectWhere} AND (${table}.created_at, ${table}.id) < ($${n + 1}::timestamptz, $${n + 2}::uuid) ${order} LIMIT $${n + 3}`,
        [...params, after.createdAt, after.id, limit + 1],
      )
    : db.query<T>(`${selectWhere} ${order} LIMIT $${n + 1}`, [...params, limit + 1]);
}
