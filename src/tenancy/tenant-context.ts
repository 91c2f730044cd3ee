import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DataSource } from 'typeorm';
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { tenantTxDuration } from '../common/metrics/metrics.js';
import { FairScheduler, fairKey, WorkClass } from '../common/fair/fair-scheduler.js';
import { DatabaseConfig, preparedStatementsOn, TenantContextConfig } from '../config/slices.js';
import { spoilsPreparedStatements, StatementNames } from '../database/statement-names.js';
import { parseContextKeys, tenantBeginParams, type ContextKey } from './context-mac.js';

export type OrgRole = 'owner' | 'admin' | 'member' | 'viewer';
export const ORG_ROLE_RANK: Record<OrgRole, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

/** Does the caller hold at least `role` in the current org? (The platform role is not an org role.) */
export function hasOrgRole(ctx: Pick<TenantContext, 'role'> | undefined, role: OrgRole): boolean {
  return !!ctx?.role && ORG_ROLE_RANK[ctx.role] >= ORG_ROLE_RANK[role];
}

/** Who is acting, for which org. Lives in AsyncLocalStorage (nestjs-cls) for one request or job. */
export interface TenantContext {
  requestId: string;
  userId: string | null;
  orgId: string | null;
  role: OrgRole | null;
  isSuperAdmin: boolean;
}

export const TENANT_KEY = 'tenant';

const BEGIN = `SELECT tenant_begin($1, $2, $3, $4, $5, $6, $7, $8)`;
const BEGIN_ASYNC_COMMIT = `SELECT tenant_begin($1, $2, $3, $4, $5, $6, $7, $8), set_config('synchronous_commit', 'off', true)`;
/** Every statement unnamed (planned on each execution). */
const UNNAMED = new StatementNames(false);
/** The open tenant transaction's connection, in the transaction's own CLS context. */
const TX_KEY = 'tenant_tx';

/** What a tenant transaction serves, for rocker_tenant_tx_duration_seconds{kind}. */
export type TenantTxKind = 'request' | 'job';

/** The actor role written to `app.actor_role`: the platform role wins over the org role. */
export function actorRole(ctx: TenantContext): string {
  if (ctx.isSuperAdmin) return 'super_admin';
  return ctx.role ?? (ctx.userId ? 'user' : 'system');
}

/**
 * Runs work inside one database transaction whose first statement sets the tenant
 * (`tenant_begin()` → `set_config(..., true)`: transaction-local, so a pooled connection carries
 * nothing onward; it refuses a context this process did not sign, re-checks the caller's
 * membership and role, and marks the transaction so that policies trust these settings only).
 * Requests (TenantContextInterceptor) and queue jobs both come through here.
 */
@Injectable()
export class TenantTransactions {
  /**
   * The connection pool as a fair shared engine: a tenant transaction waits its org's turn for one
   * of the pool's connections (two are left for sign-in and health checks), request work before
   * job work, so one org's burst of slow queries cannot take every connection from the others.
   */
  readonly connections: FairScheduler;
  /** Signs every context this process opens (TENANT_CONTEXT_KEYS' first key). */
  private readonly signingKey: ContextKey;

  /** The DataSource's pg pool: the tenant transaction runs on a plain pg client (no ORM query runner on the hot path). */
  private readonly pool: Pool;
  /** Tenant statements as named prepared statements (DATABASE_PREPARED_STATEMENTS). */
  private readonly statements: StatementNames;

  constructor(
    private readonly cls: ClsService,
    @Inject(DataSource) ds: DataSource,
    @Inject(DatabaseConfig) private readonly databaseConfig: DatabaseConfig,
    @Inject(TenantContextConfig) private readonly contextConfig: TenantContextConfig,
  ) {
    this.pool = poolOf(ds);
    this.signingKey = parseContextKeys(contextConfig.keys)[0];
    this.statements = new StatementNames(preparedStatementsOn(databaseConfig));
    this.connections = new FairScheduler({
      name: 'database',
      slots: Math.max(1, databaseConfig.poolSize - 2),
      maxQueuedPerOrg: databaseConfig.maxQueuedPerOrg,
    });
  }

  current(): TenantContext | undefined {
    return this.cls.isActive() ? this.cls.get<TenantContext>(TENANT_KEY) : undefined;
  }

  /**
   * `asyncCommit`: this transaction's COMMIT does not wait for its WAL flush (`synchronous_commit =
   * off`, transaction-local). Only for bookkeeping that a later synchronous commit makes durable
   * anyway (WAL is flushed in order) and that is redone if a database crash loses it: a queue job's
   * start. It spares the shared WAL a flush per job, which a large backlog would otherwise queue
   * every request's commit behind.
   */
  run<T>(
    ctx: TenantContext,
    fn: () => Promise<T>,
    kind: TenantTxKind = 'request',
    opts: { asyncCommit?: boolean } = {},
  ): Promise<T> {
    // Jobs send their statements unnamed: a generic plan cached while ingest_jobs was small chose
    // its (org_id, status) index for a job's start and walked the org's whole backlog once thousands
    // of jobs arrived (bench:fairness: 2-25 ms a start, 0.85x the jobs/s; custom plans take the key).
    const statements = kind === 'request' ? this.statements : UNNAMED;
    // Proves the context (signed, short-lived), re-checks membership and sets the tenant settings
    // with the transaction's mark in one statement (TenantBegin, VerifiedTenantContext migrations);
    // an asynchronous commit is set in the same statement.
    const tenantBegin = (): QueryConfig => {
      const signed = { orgId: ctx.orgId, userId: ctx.userId, role: ctx.role, actorRole: actorRole(ctx), requestId: ctx.requestId };
      return statements.config(opts.asyncCommit ? BEGIN_ASYNC_COMMIT : BEGIN, tenantBeginParams(this.signingKey, signed, Date.now() + this.contextConfig.ttlMs));
    };
    const inTx = () =>
      // A CLS context of its own (inheriting the caller's): two transactions run side by side in
      // one request never see each other's connection or tenant.
      this.cls.run({ ifNested: 'inherit' }, async () => {
        this.cls.set(TENANT_KEY, ctx);
        // A nested call joins the open transaction: the tenant is set again, on the same connection.
        const outer = this.cls.get<OpenTx | undefined>(TX_KEY);
        if (outer) {
          await outer.send(() => outer.run(tenantBegin()));
          return fn();
        }
        const client = await this.pool.connect();
        const tx = new OpenTx(client, tenantBegin, statements);
        let broken: Error | undefined;
        this.cls.set(TX_KEY, tx);
        try {
          const result = await fn();
          // A transaction no statement opened has nothing to commit.
          if (tx.begun) await client.query('COMMIT');
          return result;
        } catch (e) {
          // Also after a failed START TRANSACTION (Postgres only warns when no transaction is open);
          // a connection that cannot even roll back is discarded, not returned to the pool.
          if (tx.begun) await client.query('ROLLBACK').catch((re: Error) => (broken = re));
          throw e;
        } finally {
          this.cls.set(TX_KEY, undefined);
          // a connection whose prepared statements went stale is replaced: a new one prepares afresh
          client.release(broken ?? tx.spoiled);
        }
      });
    const end = tenantTxDuration.startTimer({ kind });
    // Already inside a transaction (a nested call): it holds its connection, so it takes no slot.
    const nested = this.cls.isActive() && !!this.cls.get(TX_KEY);
    const inTurn = () =>
      nested
        ? inTx()
        : this.connections.run(fairKey(ctx), inTx, {
            cls: kind === 'job' ? WorkClass.Job : WorkClass.Request,
            maxWaitMs: this.databaseConfig.poolTimeoutMs,
          });
    const run = this.cls.isActive() ? inTurn() : this.cls.run(inTurn);
    return run.finally(() => end());
  }
}

/**
 * The only way feature repositories reach the database: parameterised SQL on the current tenant
 * transaction. Outside one it throws instead of falling back to the pool (fail closed).
 */
@Injectable()
export class TenantDb {
  constructor(private readonly cls: ClsService) {}

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const tx = this.cls.isActive() && this.cls.get(TENANT_KEY) ? this.cls.get<OpenTx | undefined>(TX_KEY) : undefined;
    if (!tx) throw new Error('TenantDb used outside a tenant transaction');
    return (await tx.send(() => tx.query(sql, params))).rows as T[];
  }

  async one<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  context(): TenantContext {
    return this.cls.get<TenantContext>(TENANT_KEY);
  }
}

/**
 * A tenant transaction's connection, opened lazily: its first statement leaves in the same write as
 * START TRANSACTION and the signed `tenant_begin()` (on a client in pg's pipeline mode, as
 * DatabaseModule's pool is: one round trip instead of three; on any other client pg's own queue
 * keeps the order). A request that runs no statement costs the database nothing. Fail closed: a
 * refused `tenant_begin()` aborts the transaction, so the statement behind it fails too, and the
 * refusal is what the caller sees.
 */
class OpenTx {
  begun: Promise<unknown> | undefined;

  constructor(
    readonly client: PoolClient,
    private readonly tenantBegin: () => QueryConfig,
    private readonly statements: StatementNames,
  ) {}

  /**
   * Set when a statement failed in a way that leaves this connection's prepared statements stale
   * (spoilsPreparedStatements): the connection is not returned to the pool, whatever the caller
   * did with the error.
   */
  spoiled: Error | undefined;

  /** A tenant statement on this transaction's connection (named when prepared statements are on). */
  query(sql: string, params: unknown[]): Promise<QueryResult> {
    return this.run(this.statements.config(sql, params));
  }

  /** One statement on this connection, tenant_begin() included: a stale prepared statement spoils it. */
  async run(config: QueryConfig): Promise<QueryResult> {
    try {
      return await this.client.query(config);
    } catch (e) {
      if (spoilsPreparedStatements(e)) this.spoiled ??= e as Error;
      throw e;
    }
  }

  async send<T>(statement: () => Promise<T>): Promise<T> {
    if (this.begun) {
      await this.begun;
      return statement();
    }
    const stream = (this.client as PoolClient & { connection?: { stream?: { cork(): void; uncork(): void } } }).connection?.stream;
    let result: Promise<T>;
    stream?.cork();
    try {
      this.begun = Promise.all([this.client.query('START TRANSACTION'), this.run(this.tenantBegin())]);
      result = statement();
    } finally {
      stream?.uncork();
    }
    try {
      await this.begun;
    } catch (e) {
      result.catch(() => undefined); // it fails behind the refusal; the refusal is the error
      throw e;
    }
    return result;
  }
}

/** The pg pool behind a TypeORM DataSource (its Postgres driver's `master`). */
function poolOf(ds: DataSource): Pool {
  const pool = (ds.driver as unknown as { master?: Pool }).master;
  if (!pool) throw new Error('the DataSource has no pg pool (not initialised, or not Postgres)');
  return pool;
}
