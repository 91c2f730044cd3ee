import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DatabaseConfig, SearchConfig, TenantContextConfig } from '../../config/slices.js';
import { parseContextKeys } from '../../tenancy/context-mac.js';
import { maintainOrgIndexesAt, orgIndexOptionsOf, signedTenantOpener, type OrgIndexPass } from './org-indexes.js';

/**
 * Runs the per-org index pass (org-indexes.ts) every SEARCH_ORG_INDEX_INTERVAL_MS in a worker
 * process, as the owner role on its own connection (DATABASE_OWNER_URL: the owner owns
 * private_chunks; the app and worker roles can create no index). The pass's advisory lock keeps it
 * to one process in the fleet; passes of one process never overlap. A pass that fails is logged
 * and tried again at the next tick: the search stays correct without an index (it uses the
 * shared one, or exact search), only slower.
 */
@Injectable()
export class OrgIndexMaintainer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OrgIndexMaintainer');
  private timer?: NodeJS.Timeout;
  private running: Promise<OrgIndexPass | undefined> | null = null;

  constructor(
    @Inject(SearchConfig) private readonly searchConfig: SearchConfig,
    @Inject(DatabaseConfig) private readonly databaseConfig: DatabaseConfig,
    @Inject(TenantContextConfig) private readonly contextConfig: TenantContextConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.searchConfig.orgIndexIntervalMs) return;
    if (!this.databaseConfig.ownerUrl) {
      this.logger.warn('per-org search indexes are not maintained: DATABASE_OWNER_URL is not set');
      return;
    }
    this.timer = setInterval(() => void this.runOnce(), this.searchConfig.orgIndexIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    // Not awaited: a build takes minutes. It finishes server-side, or is left invalid (never
    // used by the search) and dropped and built again by the next pass.
    clearInterval(this.timer);
  }

  /** One pass now, or the one already running. Undefined when it failed (logged). */
  runOnce(): Promise<OrgIndexPass | undefined> {
    this.running ??= maintainOrgIndexesAt(
      this.databaseConfig.ownerUrl!,
      orgIndexOptionsOf(this.searchConfig),
      (msg) => this.logger.log(msg),
      // calibration reads each org's rows in the org's own signed context
      signedTenantOpener(parseContextKeys(this.contextConfig.keys)[0], this.contextConfig.ttlMs),
    )
      .catch((e: Error) => {
        this.logger.warn(`per-org index pass failed: ${e.message}`);
        return undefined;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}
