import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { ENV, type Env } from '../config/env.js';
import { createDataSource } from './data-source.js';

@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [ENV],
      useFactory: async (env: Env) =>
        createDataSource({ url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, acquireTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS, applicationName: `rocker-${env.ROCKER_ROLE}` }).initialize(),
    },
  ],
  exports: [DataSource],
})
class DataSourceModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** The app-role connection pool and the AsyncLocalStorage context with its transaction plugin (TenantTransactions and TenantDb, in src/tenancy/, run on them). */
@Global()
@Module({
  imports: [
    DataSourceModule,
    ClsModule.forRoot({
      global: true,
      middleware: { mount: true, generateId: true, idGenerator: (req: { id?: string }) => String(req.id ?? '') },
      plugins: [
        new ClsPluginTransactional({
          imports: [DataSourceModule],
          adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource }),
        }),
      ],
    }),
  ],
  exports: [DataSourceModule],
})
export class DatabaseModule {}
