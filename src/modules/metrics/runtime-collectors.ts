import type { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import { dbPoolConnections, redisUp } from '../../common/metrics/metrics.js';

interface PgPoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** The pg Pool under TypeORM's postgres driver (`driver.master`), if the source is initialised. */
function poolOf(dataSource: DataSource): PgPoolCounts | undefined {
  const master = (dataSource.driver as unknown as { master?: PgPoolCounts }).master;
  return dataSource.isInitialized && master && typeof master.totalCount === 'number' ? master : undefined;
}

/** rocker_db_pool_connections{state=total|idle|in_use|waiting} from the app-role pool. */
export function collectDbPool(dataSource: DataSource): void {
  const pool = poolOf(dataSource);
  if (!pool) return;
  dbPoolConnections.set({ state: 'total' }, pool.totalCount);
  dbPoolConnections.set({ state: 'idle' }, pool.idleCount);
  dbPoolConnections.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
  dbPoolConnections.set({ state: 'waiting' }, pool.waitingCount);
}

/** rocker_redis_up: 1 when PING answers within the timeout, else 0. */
export async function collectRedisUp(redis: Redis, timeoutMs = 500): Promise<void> {
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    redisUp.set(1);
  } catch {
    redisUp.set(0);
  }
}
