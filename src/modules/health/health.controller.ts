import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import type { RedisClient } from '../../redis/redis.factory.js';
import { Public } from '../../common/decorators/auth.decorators.js';
import { ProblemException } from '../../common/filters/problem.js';
import { REDIS } from '../../redis/redis.module.js';

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms).unref())]);

/** How long one readiness check answers every caller: probes of a process cost at most one check a second. */
export const READY_CHECK_TTL_MS = 1000;

type Check = 'database' | 'redis' | 'migrations';
/** Each dependency: null when up, else why it is down. */
type Snapshot = Record<Check, string | null>;

/**
 * Terminus's 503 as problem+json that names what is down (`detail`, and `checks` with each
 * dependency's state), so whoever reads a failing probe sees why.
 */
function notReady(e: unknown): unknown {
  if (!(e instanceof ServiceUnavailableException)) return e;
  const checks = (e.getResponse() as { details?: Record<string, { status: string; message?: string }> }).details ?? {};
  const down = Object.entries(checks)
    .filter(([, c]) => c.status !== 'up')
    .map(([name, c]) => `${name}: ${c.message ?? c.status}`);
  return new ProblemException(503, 'unavailable', `not ready: ${down.join(', ') || 'a dependency is down'}`, { checks }, { 'Retry-After': '5' });
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  private last?: { at: number; snapshot: Snapshot };
  private inflight?: Promise<Snapshot>;
  /** Migrations found applied once stay applied (a process never sees them go back). */
  private migrated = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  /** The process is up. No dependency is checked (a restart would not fix them). */
  @Get('live')
  @Public()
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Ready to serve: database reachable, Redis reachable, every migration applied. The route is
   * public, so its cost must not grow with its callers: one check at a time per process, its
   * answer shared by every caller for READY_CHECK_TTL_MS (a flood of probes takes at most one
   * database connection a second, never the tenants' pool).
   */
  @Get('ready')
  @Public()
  @HealthCheck()
  ready() {
    const up = (name: Check) => async () => {
      const down = (await this.snapshot())[name];
      const i = this.indicator.check(name);
      return down ? i.down({ message: down }) : i.up();
    };
    return this.health.check([up('database'), up('redis'), up('migrations')]).catch((e: unknown) => {
      throw notReady(e);
    });
  }

  /** The current check: the one in flight, else the last one while it is fresh, else a new one. */
  private snapshot(): Promise<Snapshot> {
    if (this.inflight) return this.inflight;
    if (this.last && Date.now() - this.last.at < READY_CHECK_TTL_MS) return Promise.resolve(this.last.snapshot);
    const inflight = this.check().then((snapshot) => {
      this.last = { at: Date.now(), snapshot }; // the age counts from the answer
      this.inflight = undefined;
      return snapshot;
    });
    this.inflight = inflight;
    return inflight;
  }

  private async check(): Promise<Snapshot> {
    const [database, redis, migrations] = await Promise.all([
      withTimeout(this.dataSource.query('SELECT 1'), 2000).then(
        () => null,
        () => 'unreachable',
      ),
      withTimeout(this.redis.ping(), 2000).then(
        () => null,
        () => 'unreachable',
      ),
      this.migrated
        ? null
        : withTimeout(this.dataSource.showMigrations(), 2000).then(
            (pending) => (pending ? 'migrations pending' : ((this.migrated = true), null)),
            () => 'unknown',
          ),
    ]);
    return { database, redis, migrations };
  }
}
