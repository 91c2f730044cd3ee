import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';

/** Metered units (usage_daily.unit). */
export enum UsageUnit {
  TtsCharacters = 'tts_characters',
  EmbeddingInputs = 'embedding_inputs',
  CrawledPages = 'crawled_pages',
  OcrPages = 'ocr_pages',
}

export const USAGE_UNITS = Object.values(UsageUnit);
export const RATE_POLICIES = Object.values(RatePolicy);
/** Policies an org may override (`user` is the platform's, for callers without an org). */
export const ORG_POLICIES = RATE_POLICIES.filter(
  (p): p is Exclude<RatePolicy, RatePolicy.User> => p !== RatePolicy.User,
);

/**
 * The unit a policy's request cost is metered in (the general policies meter nothing). A search
 * embeds its query: one embedding input, billed and counted against that quota.
 */
export const POLICY_UNIT: Partial<Record<RatePolicy, UsageUnit>> = {
  [RatePolicy.Search]: UsageUnit.EmbeddingInputs,
  [RatePolicy.Tts]: UsageUnit.TtsCharacters,
  [RatePolicy.Embeddings]: UsageUnit.EmbeddingInputs,
  [RatePolicy.Crawl]: UsageUnit.CrawledPages,
  [RatePolicy.Ocr]: UsageUnit.OcrPages,
};

/**
 * How many metered units make one rate-limit unit. TTS meters characters but is limited in
 * blocks of 100 characters, so "600 per minute" means 600 short requests (a 1,000-character
 * request costs 10). Embeddings: one per input (a batch of 100 costs 100). Publish: chunks copied into
 * the marketplace, in blocks of 100 (a copy of an item's 2,000 chunks costs 20). Bytes: body
 * bytes, in KiB (a body of 300,000 bytes costs 293).
 */
export const UNITS_PER_RATE_UNIT: Record<RatePolicy, number> = {
  [RatePolicy.Api]: 1,
  [RatePolicy.User]: 1,
  [RatePolicy.Search]: 1,
  [RatePolicy.Tts]: 100,
  [RatePolicy.Embeddings]: 1,
  [RatePolicy.Crawl]: 1,
  [RatePolicy.Ocr]: 1,
  [RatePolicy.Publish]: 100,
  [RatePolicy.Bytes]: 1024,
};

export interface PolicyLimit {
  limit: number;
  window_s: number;
  /** Token-bucket capacity: how many pass at once from a full bucket (default: `limit`). */
  burst?: number;
  dry_run: boolean;
  /** In-flight streams per org (tts only). */
  concurrency?: number;
}

export interface EffectiveLimits {
  org_id: string;
  policies: Record<RatePolicy, PolicyLimit & { burst: number; source: 'default' | 'org' }>;
  /** Monthly quotas per unit; null = no quota. */
  quotas: Record<UsageUnit, number | null>;
  job_concurrency: number | null;
  /** Ingest job starts per second; null = the platform default (INGEST_ORG_RATE). */
  job_rate: number | null;
  /** What the org may keep: chunks in the vector index, ingest jobs waiting, bytes of documents and messages. */
  caps: Record<OrgCap, number>;
}

/** Per-org caps on what is stored and queued (beside the rate limits and monthly quotas). */
export enum OrgCap {
  StoredChunks = 'stored_chunks',
  QueuedJobs = 'queued_jobs',
  StoredBytes = 'stored_bytes',
}
export const ORG_CAPS = Object.values(OrgCap);

/** What org_limits.policies stores: only the fields an admin set. */
export interface StoredPolicies {
  [policy: string]: Partial<PolicyLimit> | Partial<Record<UsageUnit, number>> | Partial<Record<OrgCap, number>> | number | undefined;
  quotas?: Partial<Record<UsageUnit, number>>;
  job_rate?: number;
  caps?: Partial<Record<OrgCap, number>>;
}

/**
 * Rates per window; each is a token bucket refilling at limit / window_s whose burst defaults to
 * the limit. `search`: 10 queries a second per org (each embeds its query and scans the index).
 * `user`: a caller without an org (marketplace search, accepting an invitation) gets one request
 * a second, 60 at once, for everything it does. `publish`: 60,000 chunks copied into the
 * marketplace's shared index an hour (30 items of 2,000 chunks at once, then one every 2 minutes).
 * `bytes`: 256 MiB of request bodies a minute per org (about 4.4 MB/s, 25 uploads of the largest
 * size), 64 MiB at once: a flood of large JSON bodies within the `api` rate
 * otherwise received, parsed and stored 45 MB/s on one instance.
 */
export const BUILTIN_DEFAULTS: Record<RatePolicy, PolicyLimit> = {
  [RatePolicy.Api]: { limit: 6000, window_s: 60, dry_run: false },
  [RatePolicy.User]: { limit: 60, window_s: 60, dry_run: false },
  [RatePolicy.Search]: { limit: 600, window_s: 60, dry_run: false },
  [RatePolicy.Tts]: { limit: 600, window_s: 60, dry_run: false, concurrency: 4 },
  [RatePolicy.Embeddings]: { limit: 3000, window_s: 60, dry_run: false },
  [RatePolicy.Crawl]: { limit: 60, window_s: 60, dry_run: false },
  [RatePolicy.Ocr]: { limit: 120, window_s: 60, dry_run: false },
  [RatePolicy.Publish]: { limit: 600, window_s: 3600, dry_run: false },
  [RatePolicy.Bytes]: { limit: 256 * 1024, window_s: 60, burst: 64 * 1024, dry_run: false },
};

/** Rate-limit units a request of `amount` metered units costs under `policy` (at least 1). */
export function rateCost(policy: RatePolicy, amount: number): number {
  return Math.max(1, Math.ceil(amount / UNITS_PER_RATE_UNIT[policy]));
}

/** Milliseconds from `now` to the start of the next UTC month (a monthly quota's window). */
export function msToMonthEnd(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, next - now.getTime());
}

export function monthKey(now = new Date()): string {
  return `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function dayKey(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
