/**
 * One page, newest first, by the (created_at, id) keyset, for the list routes' repositories.
 * `selectWhere` is constant SQL of the caller ending in a WHERE condition ("SELECT cols FROM table
 * WHERE org_id = $1": a tenant table names the context's org, see docs/scaling.md), never input;
 * `params` are its values, and the keyset and limit follow them. limit + 1 rows, so pageOf() can
 * tell whether more follow.
 */
export function keysetPage(db, selectWhere, params, limit, after) {
    const n = params.length;
    return after
        ? db.query(`${selectWhere} AND (created_at, id) < ($${n + 1}::timestamptz, $${n + 2}::uuid) ORDER BY created_at DESC, id DESC LIMIT $${n + 3}`, [...params, after.createdAt, after.id, limit + 1])
        : db.query(`${selectWhere} ORDER BY created_at DESC, id DESC LIMIT $${n + 1}`, [...params, limit + 1]);
}
//# sourceMappingURL=keyset-page.repository.js.map