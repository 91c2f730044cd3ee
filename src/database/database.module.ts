import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { DatabaseConfig, ProcessConfig, sessionUrl, sessionWorkerUrl } from '../config/slices.js';
import { createDataSource } from './data-source.js';
import { listenSelfTest } from './listen-self-test.js';

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
          pipeline: true,
        }).initialize(),
    },
  ],
  exports: [DataSource],
})
class DataSourceModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(DatabaseConfig) private readonly db: DatabaseConfig,
    @Inject(ProcessConfig) private readonly proc: ProcessConfig,
  ) {}

  /**
   * Boot stops here if LISTEN would lose notifications (DATABASE_URL or DATABASE_WORKER_URL behind
   * PgBouncer without DATABASE_DIRECT_URL): the membership cache listens as the app role, the
   * dispatcher (where workers run) as the worker role.
   */
  async onModuleInit(): Promise<void> {
    const urls = new Map<string, 'DATABASE_URL' | 'DATABASE_WORKER_URL'>([[sessionUrl(this.db), 'DATABASE_URL']]);
    const worker = this.proc.role !== 'api' ? sessionWorkerUrl(this.db) : undefined;
    if (worker && !urls.has(worker)) urls.set(worker, 'DATABASE_WORKER_URL');
    for (const [listenUrl, name] of urls)
      await listenSelfTest({ listenUrl, notifier: this.ds, direct: !!this.db.directUrl, name });
  }
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** The connection pool (the app role; the worker role in a worker process) and the AsyncLocalStorage context (TenantTransactions and TenantDb, in src/tenancy/, run on them). */
@Global()
@Module({
  imports: [
    DataSourceModule,
    ClsModule.forRoot({
      global: true,
      middleware: { mount: true, generateId: true, idGenerator: (req: { id?: string }) => String(req.id ?? '') },
    }),
  ],
  exports: [DataSourceModule],
})
export class DatabaseModule {}
