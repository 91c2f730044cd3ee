import type { Keyset } from '../common/dto/page.dto.js';
import type { TenantDb } from '../tenancy/tenant-context.js';

/**
 * One page, newest first, by the (created_at, id) keyset, for the list routes' repositories.
 * `selectFrom` is constant SQL of the caller ("SELECT cols FROM table"), never input; the values
 * are parameters. limit + 1 rows, so pageOf() can tell whether more follow.
 */
export function keysetPage<T>(db: TenantDb, selectFrom: string, limit: number, after?: Keyset): Promise<T[]> {
  return after
    ? db.query<T>(`${selectFrom} WHERE (created_at, id) < ($1::timestamptz, $2::uuid) ORDER BY created_at DESC, id DESC LIMIT $3`, [
        after.createdAt,
        after.id,
        limit + 1,
      ])
    : db.query<T>(`${selectFrom} ORDER BY created_at DESC, id DESC LIMIT $1`, [limit + 1]);
}
