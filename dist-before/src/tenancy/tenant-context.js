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
import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import { tenantTxDuration } from '../common/metrics/metrics.js';
import { FairScheduler, fairKey, WorkClass } from '../common/fair/fair-scheduler.js';
import { DatabaseConfig, TenantContextConfig } from '../config/slices.js';
import { parseContextKeys, tenantBeginParams } from './context-mac.js';
export const ORG_ROLE_RANK = { viewer: 1, member: 2, admin: 3, owner: 4 };
/** Does the caller hold at least `role` in the current org? (The platform role is not an org role.) */
export function hasOrgRole(ctx, role) {
    return !!ctx?.role && ORG_ROLE_RANK[ctx.role] >= ORG_ROLE_RANK[role];
}
export const TENANT_KEY = 'tenant';
const BEGIN = `SELECT tenant_begin($1, $2, $3, $4, $5, $6, $7, $8)`;
const BEGIN_ASYNC_COMMIT = `SELECT tenant_begin($1, $2, $3, $4, $5, $6, $7, $8), set_config('synchronous_commit', 'off', true)`;
/** The open tenant transaction's connection, in the transaction's own CLS context. */
const TX_KEY = 'tenant_tx';
/** The actor role written to `app.actor_role`: the platform role wins over the org role. */
export function actorRole(ctx) {
    if (ctx.isSuperAdmin)
        return 'super_admin';
    return ctx.role ?? (ctx.userId ? 'user' : 'system');
}
/**
 * Runs work inside one database transaction whose first statement sets the tenant
 * (`tenant_begin()` → `set_config(..., true)`: transaction-local, so a pooled connection carries
 * nothing onward; it refuses a context this process did not sign, re-checks the caller's
 * membership and role, and marks the transaction so that policies trust these settings only).
 * Requests (TenantContextInterceptor) and queue jobs both come through here.
 */
let TenantTransactions = class TenantTransactions {
    constructor(cls, ds, databaseConfig, contextConfig) {
        this.cls = cls;
        this.databaseConfig = databaseConfig;
        this.contextConfig = contextConfig;
        this.pool = poolOf(ds);
        this.signingKey = parseContextKeys(contextConfig.keys)[0];
        this.connections = new FairScheduler({
            name: 'database',
            slots: Math.max(1, databaseConfig.poolSize - 2),
            maxQueuedPerOrg: databaseConfig.maxQueuedPerOrg,
        });
    }
    current() {
        return this.cls.isActive() ? this.cls.get(TENANT_KEY) : undefined;
    }
    /**
     * `asyncCommit`: this transaction's COMMIT does not wait for its WAL flush (`synchronous_commit =
     * off`, transaction-local). Only for bookkeeping that a later synchronous commit makes durable
     * anyway (WAL is flushed in order) and that is redone if a database crash loses it: a queue job's
     * start. It spares the shared WAL a flush per job, which a large backlog would otherwise queue
     * every request's commit behind.
     */
    run(ctx, fn, kind = 'request', opts = {}) {
        // Proves the context (signed, short-lived), re-checks membership and sets the tenant settings
        // with the transaction's mark in one statement (TenantBegin, VerifiedTenantContext migrations);
        // an asynchronous commit is set in the same statement.
        const setTenant = (client) => {
            const signed = { orgId: ctx.orgId, userId: ctx.userId, role: ctx.role, actorRole: actorRole(ctx), requestId: ctx.requestId };
            return client.query(opts.asyncCommit ? BEGIN_ASYNC_COMMIT : BEGIN, tenantBeginParams(this.signingKey, signed, Date.now() + this.contextConfig.ttlMs));
        };
        const inTx = () => 
        // A CLS context of its own (inheriting the caller's): two transactions run side by side in
        // one request never see each other's connection or tenant.
        this.cls.run({ ifNested: 'inherit' }, async () => {
            this.cls.set(TENANT_KEY, ctx);
            // A nested call joins the open transaction: the tenant is set again, on the same connection.
            const outer = this.cls.get(TX_KEY);
            if (outer) {
                await outer.send(() => setTenant(outer.client));
                return fn();
            }
            const client = await this.pool.connect();
            const tx = new OpenTx(client, setTenant);
            let broken;
            this.cls.set(TX_KEY, tx);
            try {
                const result = await fn();
                // A transaction no statement opened has nothing to commit.
                if (tx.begun)
                    await client.query('COMMIT');
                return result;
            }
            catch (e) {
                // Also after a failed START TRANSACTION (Postgres only warns when no transaction is open);
                // a connection that cannot even roll back is discarded, not returned to the pool.
                if (tx.begun)
                    await client.query('ROLLBACK').catch((re) => (broken = re));
                throw e;
            }
            finally {
                this.cls.set(TX_KEY, undefined);
                client.release(broken);
            }
        });
        const end = tenantTxDuration.startTimer({ kind });
        // Already inside a transaction (a nested call): it holds its connection, so it takes no slot.
        const nested = this.cls.isActive() && !!this.cls.get(TX_KEY);
        const inTurn = () => nested
            ? inTx()
            : this.connections.run(fairKey(ctx), inTx, {
                cls: kind === 'job' ? WorkClass.Job : WorkClass.Request,
                maxWaitMs: this.databaseConfig.poolTimeoutMs,
            });
        const run = this.cls.isActive() ? inTurn() : this.cls.run(inTurn);
        return run.finally(() => end());
    }
};
TenantTransactions = __decorate([
    Injectable(),
    __param(1, Inject(DataSource)),
    __param(2, Inject(DatabaseConfig)),
    __param(3, Inject(TenantContextConfig)),
    __metadata("design:paramtypes", [ClsService,
        DataSource,
        DatabaseConfig,
        TenantContextConfig])
], TenantTransactions);
export { TenantTransactions };
/**
 * The only way feature repositories reach the database: parameterised SQL on the current tenant
 * transaction. Outside one it throws instead of falling back to the pool (fail closed).
 */
let TenantDb = class TenantDb {
    constructor(cls) {
        this.cls = cls;
    }
    async query(sql, params = []) {
        const tx = this.cls.isActive() && this.cls.get(TENANT_KEY) ? this.cls.get(TX_KEY) : undefined;
        if (!tx)
            throw new Error('TenantDb used outside a tenant transaction');
        return (await tx.send(() => tx.client.query(sql, params))).rows;
    }
    async one(sql, params = []) {
        return (await this.query(sql, params))[0];
    }
    context() {
        return this.cls.get(TENANT_KEY);
    }
};
TenantDb = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [ClsService])
], TenantDb);
export { TenantDb };
/**
 * A tenant transaction's connection, opened lazily: its first statement leaves in the same write as
 * START TRANSACTION and the signed `tenant_begin()` (on a client in pg's pipeline mode, as
 * DatabaseModule's pool is: one round trip instead of three; on any other client pg's own queue
 * keeps the order). A request that runs no statement costs the database nothing. Fail closed: a
 * refused `tenant_begin()` aborts the transaction, so the statement behind it fails too, and the
 * refusal is what the caller sees.
 */
class OpenTx {
    constructor(client, setTenant) {
        this.client = client;
        this.setTenant = setTenant;
    }
    async send(statement) {
        if (this.begun) {
            await this.begun;
            return statement();
        }
        const stream = this.client.connection?.stream;
        let result;
        stream?.cork();
        try {
            this.begun = Promise.all([this.client.query('START TRANSACTION'), this.setTenant(this.client)]);
            result = statement();
        }
        finally {
            stream?.uncork();
        }
        try {
            await this.begun;
        }
        catch (e) {
            result.catch(() => undefined); // it fails behind the refusal; the refusal is the error
            throw e;
        }
        return result;
    }
}
/** The pg pool behind a TypeORM DataSource (its Postgres driver's `master`). */
function poolOf(ds) {
    const pool = ds.driver.master;
    if (!pool)
        throw new Error('the DataSource has no pg pool (not initialised, or not Postgres)');
    return pool;
}
//# sourceMappingURL=tenant-context.js.map