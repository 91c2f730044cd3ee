import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
/** Metered units (usage_daily.unit). */
export var UsageUnit;
(function (UsageUnit) {
    UsageUnit["TtsCharacters"] = "tts_characters";
    UsageUnit["EmbeddingInputs"] = "embedding_inputs";
    UsageUnit["CrawledPages"] = "crawled_pages";
    UsageUnit["OcrPages"] = "ocr_pages";
})(UsageUnit || (UsageUnit = {}));
export const USAGE_UNITS = Object.values(UsageUnit);
export const RATE_POLICIES = Object.values(RatePolicy);
/** Policies an org may override (`user` is the platform's, for callers without an org). */
export const ORG_POLICIES = RATE_POLICIES.filter((p) => p !== RatePolicy.User);
/**
 * The unit a policy's request cost is metered in (the general policies meter nothing). A search
 * embeds its query: one embedding input, billed and counted against that quota.
 */
export const POLICY_UNIT = {
    [RatePolicy.Search]: UsageUnit.EmbeddingInputs,
    [RatePolicy.Tts]: UsageUnit.TtsCharacters,
    [RatePolicy.Embeddings]: UsageUnit.EmbeddingInputs,
    [RatePolicy.Crawl]: UsageUnit.CrawledPages,
    [RatePolicy.Ocr]: UsageUnit.OcrPages,
};
/**
 * How many metered units make one rate-limit unit. TTS meters characters but is limited in
 * blocks of 100 characters, so "600 per minute" means 600 short requests (a 1,000-character
 * request costs 10). Embeddings: one per input (a batch of 100 costs 100).
 */
export const UNITS_PER_RATE_UNIT = {
    [RatePolicy.Api]: 1,
    [RatePolicy.User]: 1,
    [RatePolicy.Search]: 1,
    [RatePolicy.Tts]: 100,
    [RatePolicy.Embeddings]: 1,
    [RatePolicy.Crawl]: 1,
    [RatePolicy.Ocr]: 1,
};
/** Per-org caps on what is stored and queued (beside the rate limits and monthly quotas). */
export var OrgCap;
(function (OrgCap) {
    OrgCap["StoredChunks"] = "stored_chunks";
    OrgCap["QueuedJobs"] = "queued_jobs";
})(OrgCap || (OrgCap = {}));
export const ORG_CAPS = Object.values(OrgCap);
/**
 * Rates per window; each is a token bucket refilling at limit / window_s whose burst defaults to
 * the limit. `search`: 10 queries a second per org (each embeds its query and scans the index).
 * `user`: a caller without an org (marketplace search, accepting an invitation) gets one request
 * a second, 60 at once, for everything it does.
 */
export const BUILTIN_DEFAULTS = {
    [RatePolicy.Api]: { limit: 6000, window_s: 60, dry_run: false },
    [RatePolicy.User]: { limit: 60, window_s: 60, dry_run: false },
    [RatePolicy.Search]: { limit: 600, window_s: 60, dry_run: false },
    [RatePolicy.Tts]: { limit: 600, window_s: 60, dry_run: false, concurrency: 4 },
    [RatePolicy.Embeddings]: { limit: 3000, window_s: 60, dry_run: false },
    [RatePolicy.Crawl]: { limit: 60, window_s: 60, dry_run: false },
    [RatePolicy.Ocr]: { limit: 120, window_s: 60, dry_run: false },
};
/** Rate-limit units a request of `amount` metered units costs under `policy` (at least 1). */
export function rateCost(policy, amount) {
    return Math.max(1, Math.ceil(amount / UNITS_PER_RATE_UNIT[policy]));
}
/** Milliseconds from `now` to the start of the next UTC month (a monthly quota's window). */
export function msToMonthEnd(now = new Date()) {
    const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    return Math.max(1, next - now.getTime());
}
export function monthKey(now = new Date()) {
    return `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}
export function dayKey(now = new Date()) {
    return now.toISOString().slice(0, 10);
}
//# sourceMappingURL=limits.types.js.map