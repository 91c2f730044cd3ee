import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../tenancy/tenant-context.js';

/** org_storage: each org's stored bytes, kept by Postgres triggers (migration OrgStoredBytes); the app role only reads it. */
@Injectable()
export class StoredBytesRepository {
  constructor(private readonly db: TenantDb) {}

  /** The org's stored bytes, read in the caller's tenant transaction. */
  async used(): Promise<number> {
    const row = await this.db.one<{ bytes: string }>(`SELECT coalesce(sum(bytes), 0) AS bytes FROM org_storage WHERE org_id = $1`, [
      this.db.context().orgId,
    ]);
    return Number(row!.bytes);
  }
}
