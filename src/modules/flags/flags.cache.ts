import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ProcessConfig, RedisConfig } from '../../config/slices.js';
import { REDIS, redisOptions } from '../../redis/redis.module.js';
import type { FlagMap } from './flags.evaluate.js';

/** Safety net only: invalidation is by message; an entry never outlives this. */
export const FLAG_CACHE_TTL_MS = 30_000;
export const FLAG_CACHE_MAX_ORGS = 10_000;

/** Key of the cache entry used when the request has no org. */
const NO_ORG = '';

interface Entry {
  flags: FlagMap;
  expires: number;
}

/**
 * Per-instance cache of each org's effective flags, keyed by org id (no entry can answer for
 * another org). Writers publish on `<REDIS_PREFIX>:flags:invalidate` after their transaction
 * commits; every instance drops the entry (or all of them) on the message.
 *
 * The cache is used only while this instance's subscription is live: when the subscriber
 * connection is down, reads go to the database every time (a missed message can never leave a
 * stale entry), and on re-subscribe everything cached before is dropped. A generation counter
 * stops a load that raced an invalidation from storing what it read.
 */
@Injectable()
export class FlagsCache implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(FlagsCache.name);
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private live = false;
  private sub?: Redis;
  readonly channel: string;

  constructor(
    @Inject(RedisConfig) private readonly redisConfig: RedisConfig,
    @Inject(ProcessConfig) private readonly processConfig: ProcessConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.channel = `${redisConfig.prefix}:flags:invalidate`;
  }

  onModuleInit(): void {
    const sub = this.createSubscriber();
    this.sub = sub;
    sub.on('error', () => undefined); // reported by health; here it only means "no cache"
    sub.on('close', () => this.goOffline());
    sub.on('end', () => this.goOffline());
    sub.on('ready', () => void this.subscribe(sub));
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
  }

  /** A dedicated connection: a subscribed ioredis client can run no other command. */
  protected createSubscriber(): Redis {
    return new Redis(this.redisConfig.url, { ...redisOptions(this.processConfig.role), connectionName: `rocker-${this.processConfig.role}-flags-sub` });
  }

  onApplicationShutdown(): void {
    this.goOffline();
    this.sub?.disconnect();
  }

  /** True while invalidation messages reach this instance (the cache is in use). */
  isLive(): boolean {
    return this.live;
  }

  get(orgId: string | null): FlagMap | undefined {
    if (!this.live) return undefined;
    const key = orgId ?? NO_ORG;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.flags;
  }

  /** Call before loading from the database; pass the result to set(). */
  begin(): number {
    return this.generation;
  }

  set(orgId: string | null, flags: FlagMap, generation: number): void {
    if (!this.live || generation !== this.generation) return;
    const key = orgId ?? NO_ORG;
    this.entries.delete(key);
    if (this.entries.size >= FLAG_CACHE_MAX_ORGS) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { flags, expires: Date.now() + FLAG_CACHE_TTL_MS });
  }

  /**
   * Drops the entry of one org (an override changed) or all entries (a flag's settings changed),
   * here and, through Redis, on every other instance. Call after the write committed.
   */
  async invalidate(orgId: string | null): Promise<void> {
    this.drop(orgId);
    try {
      await this.redis.publish(this.channel, JSON.stringify({ org: orgId }));
    } catch {
      // Instances whose subscription is down read the database anyway; the others keep an entry
      // for at most FLAG_CACHE_TTL_MS.
      this.log.warn('flag invalidation could not be published (Redis unavailable)');
    }
  }

  private onMessage(message: string): void {
    let org: unknown;
    try {
      org = (JSON.parse(message) as { org?: unknown }).org ?? null;
    } catch {
      org = null; // unreadable: drop everything
    }
    this.drop(typeof org === 'string' ? org : null);
  }

  private drop(orgId: string | null): void {
    this.generation++;
    if (orgId === null) this.entries.clear();
    else this.entries.delete(orgId);
  }

  private goOffline(): void {
    this.live = false;
    this.drop(null);
  }

  private async subscribe(sub: Redis): Promise<void> {
    try {
      await sub.subscribe(this.channel);
      this.drop(null); // anything cached before may have missed messages
      this.live = true;
    } catch {
      this.goOffline();
    }
  }
}
