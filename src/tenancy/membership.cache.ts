import { Inject, Injectable } from '@nestjs/common';
import { DatabaseConfig, sessionUrl } from '../config/slices.js';
import { InvalidatedCache } from '../common/cache/invalidated-cache.js';
import { PgInvalidation } from '../common/cache/pg-invalidation.js';
import type { AuthRecord } from './membership.repository.js';

export const MEMBERSHIP_CACHE_TTL_MS = 60_000;
export const MEMBERSHIP_CACHE_MAX_USERS = 50_000;

/**
 * Each user's AuthRecord, keyed by user id. Every change to org_members or users.is_super_admin
 * fires pg_notify('rocker_auth', user_id) on commit (Foundation migration), whoever made it, so a
 * change reaches every instance within the 1 s SPEC §2 allows. LISTEN needs a session, so it goes
 * over DATABASE_DIRECT_URL when set (never through a transaction pooler). While the LISTEN connection is down
 * (it is retried every second) nothing is cached.
 */
@Injectable()
export class MembershipCache extends InvalidatedCache<AuthRecord> {
  constructor(@Inject(DatabaseConfig) databaseConfig: DatabaseConfig) {
    super(
      new PgInvalidation({
        connectionString: sessionUrl(databaseConfig),
        channel: 'rocker_auth',
        applicationName: 'rocker-auth-listener',
      }),
      {
        name: 'auth',
        ttlMs: MEMBERSHIP_CACHE_TTL_MS,
        maxEntries: MEMBERSHIP_CACHE_MAX_USERS,
        whenDown: 'bypass',
      },
    );
  }
}
