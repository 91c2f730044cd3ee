export const PG_HOST = process.env.TEST_PG_HOST ?? '127.0.0.1:5432';
export const ADMIN_URL = process.env.PG_ADMIN_URL ?? `postgres://postgres@${PG_HOST}/postgres`;
/** PgBouncer (transaction pooling) that setup starts; TEST_VIA_PGBOUNCER=1 sends the app role's connections through it. */
export const PGBOUNCER_HOST = process.env.TEST_PGBOUNCER_HOST ?? '127.0.0.1:6432';
export const VIA_PGBOUNCER = process.env.TEST_VIA_PGBOUNCER === '1';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const PASSWORDS = {
    rocker_owner: 'rocker_owner',
    rocker_app: 'rocker_app',
    rocker_worker: 'rocker_worker',
    postgres: '',
};
export function dbUrl(db, role) {
    const pw = PASSWORDS[role] ? `:${PASSWORDS[role]}` : '';
    return `postgres://${role}${pw}@${PG_HOST}/${db}`;
}
/** The same database and role through PgBouncer. */
export function pooledUrl(url) {
    const u = new URL(url);
    u.host = PGBOUNCER_HOST;
    return u.toString();
}
/** A URL through PgBouncer, turned back into the direct one (the session work's DATABASE_DIRECT_URL). */
export function directUrl(url) {
    const u = new URL(url);
    if (u.host === PGBOUNCER_HOST)
        u.host = PG_HOST;
    return u.toString();
}
export const isPooled = (url) => new URL(url).host === PGBOUNCER_HOST;
//# sourceMappingURL=urls.js.map