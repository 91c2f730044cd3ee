import { createHash } from 'node:crypto';
import { FLAG_CATALOGUE, FLAG_KEYS } from './flag-key.js';
/**
 * The org's fixed bucket 0..99 for a flag: a hash of (flag key, org id), so an org that is in at
 * 30% is still in at 50%, and different flags roll out to different orgs.
 */
export function rolloutBucket(orgId, key) {
    return createHash('sha256').update(`${key}:${orgId.toLowerCase()}`).digest().readUInt32BE(0) % 100;
}
export function defaultSettings(key) {
    return { default_enabled: FLAG_CATALOGUE[key].defaultEnabled, rollout_percent: 0 };
}
/** Override for the org, else the rollout bucket, else the flag's default. */
export function evaluateFlag(key, settings, override, orgId) {
    if (override !== undefined)
        return override;
    const s = settings ?? defaultSettings(key);
    if (s.rollout_percent >= 100)
        return true;
    if (orgId && s.rollout_percent > 0 && rolloutBucket(orgId, key) < s.rollout_percent)
        return true;
    return s.default_enabled;
}
export function evaluateAll(settings, overrides, orgId) {
    const out = {};
    for (const key of FLAG_KEYS)
        out[key] = evaluateFlag(key, settings.get(key), overrides.get(key), orgId);
    return out;
}
//# sourceMappingURL=flags.evaluate.js.map