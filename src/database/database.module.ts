import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { DatabaseConfig, ProcessConfig } from '../config/slices.js';
import { createDataSource } from './data-source.js';

@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [DatabaseConfig, ProcessConfig],
      // A worker process connects as the worker role throughout (loadEnv requires its URL there).
      useFactory: async (db: DatabaseConfig, proc: ProcessConfig) =>
        createDataSource({
          url: proc.role === 'worker' ? db.workerUrl! : db.url,
          poolSize: db.poolSize,
          acquireTimeoutMs: db.poolTimeoutMs,
          applicationName: `rocker-${proc.role}`,
        }).initialize(),
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

/** The connection pool (the app role; the worker role in a worker process) and the AsyncLocalStorage context with its transaction plugin (TenantTransactions and TenantDb, in src/tenancy/, run on them). */
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
