import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import type { RedisClient } from '../../redis/redis.factory.js';
import { Public } from '../../common/decorators/auth.decorators.js';
import { REDIS } from '../../redis/redis.module.js';

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms).unref())]);

@ApiTags('health')
@Controller('health')
export class HealthController {
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

  /** Ready to serve: database reachable, Redis reachable, every migration applied. */
  @Get('ready')
  @Public()
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const i = this.indicator.check('database');
        try {
          await withTimeout(this.dataSource.query('SELECT 1'), 2000);
          return i.up();
        } catch {
          return i.down({ message: 'unreachable' });
        }
      },
      async () => {
        const i = this.indicator.check('redis');
        try {
          await withTimeout(this.redis.ping(), 2000);
          return i.up();
        } catch {
          return i.down({ message: 'unreachable' });
        }
      },
      async () => {
        const i = this.indicator.check('migrations');
        try {
          const pending = await withTimeout(this.dataSource.showMigrations(), 2000);
          return pending ? i.down({ message: 'migrations pending' }) : i.up();
        } catch {
          return i.down({ message: 'unknown' });
        }
      },
    ]);
  }
}
