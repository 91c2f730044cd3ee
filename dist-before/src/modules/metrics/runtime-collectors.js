import pg from 'pg';
import { dbPoolConnections, dbUp, redisUp } from '../../common/metrics/metrics.js';
import { onScrape } from './scrape-hooks.js';
/** The pg Pool under TypeORM's postgres driver (`driver.master`), if the source is initialised. */
function poolOf(dataSource) {
    const master = dataSource.driver.master;
    return dataSource.isInitialized && master && typeof master.totalCount === 'number' ? master : undefined;
}
/** rocker_db_pool_connections{state=total|idle|in_use|waiting} from the app-role pool. */
export function collectDbPool(dataSource) {
    const pool = poolOf(dataSource);
    if (!pool)
        return;
    dbPoolConnections.set({ state: 'total' }, pool.totalCount);
    dbPoolConnections.set({ state: 'idle' }, pool.idleCount);
    dbPoolConnections.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
    dbPoolConnections.set({ state: 'waiting' }, pool.waitingCount);
}
/** rocker_redis_up: 1 when PING answers within the timeout, else 0. */
export async function collectRedisUp(redis, timeoutMs = 500) {
    try {
        await Promise.race([
            redis.ping(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
        ]);
        redisUp.set(1);
    }
    catch {
        redisUp.set(0);
    }
}
/**
 * rocker_db_up: a fresh connection (not one from the pool) answers SELECT 1. Outside the pool on
 * purpose: a saturated pool is not a database outage, and rocker_db_pool_connections shows that.
 */
export async function collectDbUp(databaseUrl, timeoutMs = 2000) {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: 'rocker-metrics' });
    client.on('error', () => undefined);
    try {
        await client.connect();
        await client.query('SELECT 1');
        dbUp.set(1);
    }
    catch {
        dbUp.set(0);
    }
    finally {
        await client.end().catch(() => undefined);
    }
}
/**
 * Registers the DB pool, database-up and Redis-up gauges as scrape hooks, for any process (the API
 * through MetricsModule, the worker next to serveMetrics). Returns the function that unregisters them.
 */
export function registerRuntimeCollectors(deps) {
    const offs = [
        onScrape(() => collectDbPool(deps.dataSource)),
        onScrape(() => collectRedisUp(deps.redis)),
        onScrape(() => collectDbUp(deps.databaseUrl)),
    ];
    return () => offs.forEach((off) => off());
}
//# sourceMappingURL=runtime-collectors.js.map