import { loadEnv } from './src/config/env.js';
import { createDataSource } from './src/database/data-source.js';
// The TypeORM CLI's data source: migrations run as the owner role, never as the app role.
const env = loadEnv();
export default createDataSource({
    url: env.DATABASE_OWNER_URL ?? env.DATABASE_URL,
    poolSize: 1,
    applicationName: 'rocker-migrate',
});
//# sourceMappingURL=ormconfig.js.map