var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Global, Inject, Module } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { DatabaseConfig, ProcessConfig, sessionUrl, sessionWorkerUrl } from '../config/slices.js';
import { createDataSource } from './data-source.js';
import { listenSelfTest } from './listen-self-test.js';
let DataSourceModule = class DataSourceModule {
    constructor(ds, db, proc) {
        this.ds = ds;
        this.db = db;
        this.proc = proc;
    }
    /**
     * Boot stops here if LISTEN would lose notifications (DATABASE_URL or DATABASE_WORKER_URL behind
     * PgBouncer without DATABASE_DIRECT_URL): the membership cache listens as the app role, the
     * dispatcher (where workers run) as the worker role.
     */
    async onModuleInit() {
        const urls = new Map([[sessionUrl(this.db), 'DATABASE_URL']]);
        const worker = this.proc.role !== 'api' ? sessionWorkerUrl(this.db) : undefined;
        if (worker && !urls.has(worker))
            urls.set(worker, 'DATABASE_WORKER_URL');
        for (const [listenUrl, name] of urls)
            await listenSelfTest({ listenUrl, notifier: this.ds, direct: !!this.db.directUrl, name });
    }
    async onApplicationShutdown() {
        if (this.ds.isInitialized)
            await this.ds.destroy();
    }
};
DataSourceModule = __decorate([
    Global(),
    Module({
        providers: [
            {
                provide: DataSource,
                inject: [DatabaseConfig, ProcessConfig],
                // A worker process connects as the worker role throughout (loadEnv requires its URL there).
                useFactory: async (db, proc) => createDataSource({
                    url: proc.role === 'worker' ? db.workerUrl : db.url,
                    poolSize: db.poolSize,
                    acquireTimeoutMs: db.poolTimeoutMs,
                    applicationName: `rocker-${proc.role}`,
                    pipeline: true,
                }).initialize(),
            },
        ],
        exports: [DataSource],
    }),
    __param(0, Inject(DataSource)),
    __param(1, Inject(DatabaseConfig)),
    __param(2, Inject(ProcessConfig)),
    __metadata("design:paramtypes", [DataSource,
        DatabaseConfig,
        ProcessConfig])
], DataSourceModule);
/** The connection pool (the app role; the worker role in a worker process) and the AsyncLocalStorage context (TenantTransactions and TenantDb, in src/tenancy/, run on them). */
let DatabaseModule = class DatabaseModule {
};
DatabaseModule = __decorate([
    Global(),
    Module({
        imports: [
            DataSourceModule,
            ClsModule.forRoot({
                global: true,
                middleware: { mount: true, generateId: true, idGenerator: (req) => String(req.id ?? '') },
            }),
        ],
        exports: [DataSourceModule],
    })
], DatabaseModule);
export { DatabaseModule };
//# sourceMappingURL=database.module.js.map