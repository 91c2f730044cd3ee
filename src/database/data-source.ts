import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations/index.js';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  acquireTimeoutMs?: number;
  /**
   * pg's pipeline mode on the pool's clients: statements issued without waiting leave at once, so a
   * caller can send several in one round trip (the tenant transaction's START TRANSACTION and
   * tenant_begin()). Awaited one by one, statements behave as without it.
   */
  pipeline?: boolean;
}

/** One factory for every connection the project makes (app role, owner role, scripts, tests). */
export function createDataSource({ url, poolSize = 10, applicationName = 'rocker', acquireTimeoutMs = 5000, pipeline = false }: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    entities: [],
    applicationName,
    extra: { max: poolSize, connectionTimeoutMillis: acquireTimeoutMs, idleTimeoutMillis: 30000, pipeline },
  });
}
