import { Injectable } from '@nestjs/common';
import { ProblemException } from '../../common/filters/problem.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { StoredBytesRepository } from './stored-bytes.repository.js';
import { LimitsService } from './limits.service.js';
import { OrgCap } from './limits.types.js';

/** What a row costs besides its documents, as migration OrgStoredBytes counts it. */
export const STORED_ROW_BYTES = 256;
/** What an ingest job's row costs besides its payload and texts, as migration OrgStoredItemRows counts it. */
export const STORED_JOB_ROW_BYTES = 512;

/**
 * The org's cap on what it keeps in bytes (caps.stored_bytes): item text and HTML and their other
 * columns, ingest jobs, uploads waiting for OCR, thread messages and titles, invitations and the
 * audit and outbox rows beside them (migrations OrgStoredBytes, OrgStoredRows, OrgStoredItemRows). Postgres keeps each org's total in org_storage (kept by triggers, a
 * few rows per org summed by one index range); this refuses a write that would take the org past
 * its cap. Soft by a few requests under concurrency, as the other caps (a read, then a write).
 */
@Injectable()
export class StoredBytes {
  constructor(
    private readonly repo: StoredBytesRepository,
    private readonly tenants: TenantTransactions,
    private readonly limits: LimitsService,
  ) {}

  /**
   * 429 quota-exceeded when `incoming` more bytes (what the write will store, rows counted as the
   * trigger counts them) would take the org past its cap. No Retry-After: room comes from deleting
   * items, threads or messages, or a higher cap. In the caller's tenant transaction.
   */
  async assertRoom(incoming: number, rows = 1): Promise<void> {
    const cap = await this.cap();
    const used = await this.repo.used();
    const adding = incoming + rows * STORED_ROW_BYTES;
    if (used + adding > cap) throw this.refusal(used, adding, cap);
  }

  /** The caller's org's cap (its limits, cached). */
  async cap(): Promise<number> {
    const ctx = this.tenants.current();
    if (!ctx?.orgId) throw new Error('stored bytes are checked inside a tenant transaction');
    return (await this.limits.forTenant(ctx)).caps[OrgCap.StoredBytes];
  }

  /** The answer to a write of `adding` bytes refused at `used` (for a write that checked its room in its own statement). */
  refusal(used: number, adding: number, cap: number): ProblemException {
    return new ProblemException(
      429,
      'quota-exceeded',
      `storing ${adding} more bytes would take the org past its cap of ${cap} stored bytes (${used} stored): delete items, threads or messages first, or have the cap raised`,
      { cap: OrgCap.StoredBytes, limit: cap, used },
    );
  }
}
