import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations/index.js';
/** One factory for every connection the project makes (app role, owner role, scripts, tests). */
export function createDataSource({ url, poolSize = 10, applicationName = 'rocker', acquireTimeoutMs = 5000, pipeline = false }) {
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
//# sourceMappingURL=data-source.js.map