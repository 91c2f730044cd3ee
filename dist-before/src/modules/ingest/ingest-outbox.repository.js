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
import { Inject, Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { DatabaseConfig, IngestConfig, ProcessConfig, sessionWorkerUrl } from '../../config/slices.js';
/** SQLSTATE lock_not_available: ingest_dispatch_claim(..., p_wait => false) found another claim running. */
const LOCK_BUSY = '55P03';
/**
 * The dispatcher's only access to Postgres outside a tenant transaction: it calls the SECURITY
 * DEFINER functions of the IngestJobs, IngestClaimOneStatement and IngestLeases migrations (owned by
 * rocker_dispatch), which see routing columns of every org and nothing else. No table is read or
 * written here directly. Only the worker role (DATABASE_WORKER_URL) may call them (WorkerRole
 * migration), so every connection here is the worker role's, in an all-in-one process too.
 *
 * Claims go over a connection of their own (not the request pool), with synchronous_commit off
 * for that session (a session setting, so it is a direct connection, DATABASE_DIRECT_URL when set,
 * like the LISTEN one: a transaction pooler would drop the setting): a claim lost in a database crash is claimed again, and the queue drops the
 * duplicate by job id (or the worker skips a row that is no longer queued).
 */
let IngestOutboxRepository = class IngestOutboxRepository {
    constructor(ingestConfig, databaseConfig, processConfig) {
        this.ingestConfig = ingestConfig;
        this.databaseConfig = databaseConfig;
        this.processConfig = processConfig;
        this.logger = new Logger('IngestOutbox');
        this.listener = null;
        this.claimer = null;
        this.stopped = false;
        this.pool = new pg.Pool({
            connectionString: this.workerUrl(),
            max: 2,
            idleTimeoutMillis: 30_000,
            connectionTimeoutMillis: databaseConfig.poolTimeoutMs,
            application_name: `rocker-${processConfig.role}-dispatch`,
        });
        this.pool.on('error', () => undefined); // an idle client lost: the next query reconnects
    }
    workerUrl() {
        if (!this.databaseConfig.workerUrl)
            throw new Error('DATABASE_WORKER_URL is required where workers run');
        return this.databaseConfig.workerUrl;
    }
    /** The worker role on a direct connection (DATABASE_DIRECT_URL's server), for LISTEN and the claim session. */
    sessionUrl() {
        this.workerUrl();
        return sessionWorkerUrl(this.databaseConfig);
    }
    /**
     * Claims rows (one statement: the claim lock is held only while it runs on the server), then
     * hands them to `send`. If `send` throws (Redis down), the rows are given back and stay
     * undispatched. With `wait` false, answers null at once when another claim is running.
     */
    async claim(send, max, wait = true) {
        const client = await this.claimClient();
        let rows;
        try {
            rows = (await client.query(`SELECT * FROM ingest_dispatch_claim($1, $2, $3, $4)`, [
                this.ingestConfig.orgConcurrency,
                this.ingestConfig.dispatchWindow,
                max,
                wait,
            ])).rows;
        }
        catch (e) {
            if (e.code === LOCK_BUSY)
                return null;
            throw e;
        }
        if (!rows.length)
            return 0;
        try {
            await send(rows);
        }
        catch (e) {
            // If this fails too, the reconciler re-sends the rows once they have been dispatched a while.
            await client
                .query(`SELECT ingest_dispatch_unclaim($1::uuid[], $2::uuid[])`, [
                [...new Set(rows.map((r) => r.org_id))],
                rows.map((r) => r.id),
            ])
                .catch(() => undefined);
            throw e;
        }
        return rows.length;
    }
    /** The claim connection, (re)connected on demand; dropped on error so the next claim reconnects. */
    claimClient() {
        if (this.claimer)
            return this.claimer;
        if (this.stopped)
            return Promise.reject(new Error('the dispatcher is shutting down'));
        const client = new pg.Client({
            connectionString: this.sessionUrl(),
            application_name: `rocker-${this.processConfig.role}-dispatch`,
            options: '-c synchronous_commit=off',
        });
        const drop = () => {
            if (this.claimer === connecting)
                this.claimer = null;
            client.end().catch(() => undefined);
        };
        client.on('error', drop);
        client.on('end', drop);
        const connecting = client.connect().then(() => client, (e) => {
            drop();
            throw e;
        });
        this.claimer = connecting;
        return connecting;
    }
    async dispatchedQueued(olderThanMs, max) {
        return (await this.pool.query(`SELECT * FROM ingest_dispatched_queued($1, $2)`, [olderThanMs, max])).rows;
    }
    /**
     * Running rows whose lease expired (their worker died, or lost Postgres for longer than the
     * lease) go back to queued and undispatched, under a new epoch: ingest_reap_expired. Answers how many.
     */
    async reapExpired(max) {
        const [row] = (await this.pool.query(`SELECT ingest_reap_expired($1) AS n`, [max])).rows;
        return row?.n ?? 0;
    }
    async stats() {
        return (await this.pool.query(`SELECT * FROM ingest_queue_stats()`)).rows;
    }
    /**
     * LISTEN ingest_jobs on a dedicated connection (re-established after errors); calls `onNotify`
     * at each commit that queued ('new') or finished ('done') a job.
     */
    async listen(onNotify) {
        if (this.stopped)
            return;
        const client = new pg.Client({
            connectionString: this.sessionUrl(),
            application_name: `rocker-${this.processConfig.role}-listen`,
        });
        const retry = () => {
            if (this.listener !== client)
                return;
            this.listener = null;
            client.end().catch(() => undefined);
            if (!this.stopped)
                setTimeout(() => void this.listen(onNotify), 1000).unref();
        };
        this.listener = client;
        client.on('error', retry);
        client.on('end', retry);
        client.on('notification', (n) => onNotify(n.payload === 'done' ? 'done' : 'new'));
        try {
            await client.connect();
            await client.query('LISTEN ingest_jobs');
            onNotify('new'); // anything committed while we were not listening
        }
        catch (e) {
            this.logger.warn(`LISTEN failed, retrying: ${e.message}`);
            retry();
        }
    }
    async onApplicationShutdown() {
        this.stopped = true;
        const l = this.listener;
        this.listener = null;
        const c = this.claimer;
        this.claimer = null;
        await l?.end().catch(() => undefined);
        await c?.then((client) => client.end()).catch(() => undefined);
        await this.pool.end().catch(() => undefined);
    }
};
IngestOutboxRepository = __decorate([
    Injectable(),
    __param(0, Inject(IngestConfig)),
    __param(1, Inject(DatabaseConfig)),
    __param(2, Inject(ProcessConfig)),
    __metadata("design:paramtypes", [IngestConfig,
        DatabaseConfig,
        ProcessConfig])
], IngestOutboxRepository);
export { IngestOutboxRepository };
//# sourceMappingURL=ingest-outbox.repository.js.map