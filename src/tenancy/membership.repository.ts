import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import pg from 'pg';
import { DatabaseConfig } from '../config/slices.js';
import type { OrgRole } from './tenant-context.js';

export interface AuthRecord {
  userId: string;
  isSuperAdmin: boolean;
  memberships: { orgId: string; role: OrgRole }[];
}

const TTL_MS = 60_000;
const MAX_ENTRIES = 50_000;

/**
 * Who a verified user is, before any org is set: read through the narrow SECURITY DEFINER function
 * auth_context() (Foundation migration) and cached per instance.
 *
 * Why the cache is safe: (1) every change to org_members or users.is_super_admin fires
 * pg_notify('rocker_auth', user_id) on commit, and each instance LISTENs and drops that user at
 * once; while the LISTEN connection is down the cache is off. (2) Even a stale entry cannot grant
 * anything: the first statement of every tenant transaction, tenant_begin(), re-checks the
 * membership and role in the database (same round trip as set_config) and refuses with 403.
 */
@Injectable()
export class MembershipRepository implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(MembershipRepository.name);
  private readonly cache = new Map<string, { record: AuthRecord; at: number }>();
  private listener?: pg.Client;
  private listening = false;
  private generation = 0;
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DatabaseConfig) private readonly databaseConfig: DatabaseConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.listening = false;
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.databaseConfig.url, application_name: 'rocker-auth-listener' });
    const down = () => {
      if (this.listener !== client) return;
      this.listening = false;
      this.cache.clear();
      this.generation++;
      this.listener = undefined;
      client.end().catch(() => undefined);
      if (!this.closed) this.retry = setTimeout(() => void this.listen(), 1000);
    };
    client.on('error', down);
    client.on('end', down);
    client.on('notification', (n) => {
      this.generation++;
      if (n.payload) this.cache.delete(n.payload);
    });
    this.listener = client;
    try {
      await client.connect();
      await client.query('LISTEN rocker_auth');
      this.cache.clear();
      this.listening = true;
    } catch (e) {
      this.log.warn(`auth cache disabled until LISTEN works: ${(e as Error).message}`);
      down();
    }
  }

  async load(userId: string): Promise<AuthRecord | undefined> {
    const hit = this.listening ? this.cache.get(userId) : undefined;
    if (hit && Date.now() - hit.at < TTL_MS) return hit.record;
    const generation = this.generation;
    const rows: { user_id: string; is_super_admin: boolean; org_id: string | null; role: OrgRole | null }[] =
      await this.dataSource.query('SELECT user_id, is_super_admin, org_id, role FROM auth_context($1)', [userId]);
    if (rows.length === 0) return undefined;
    const record: AuthRecord = {
      userId: rows[0].user_id,
      isSuperAdmin: rows[0].is_super_admin,
      memberships: rows.filter((r) => r.org_id).map((r) => ({ orgId: r.org_id!, role: r.role! })),
    };
    // A change notified while we were reading would make this record stale: do not keep it.
    if (this.listening && generation === this.generation) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(userId, { record, at: Date.now() });
    }
    return record;
  }
}
