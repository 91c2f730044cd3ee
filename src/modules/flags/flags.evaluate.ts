import { createHash } from 'node:crypto';
import { FLAG_CATALOGUE, FLAG_KEYS, type FlagKey } from './flag-key.js';

/** A flag's global settings (a feature_flags row, or the catalogue default when there is none). */
export interface FlagSettings {
  default_enabled: boolean;
  rollout_percent: number;
}

export type FlagMap = Record<FlagKey, boolean>;

/**
 * The org's fixed bucket 0..99 for a flag: a hash of (flag key, org id), so an org that is in at
 * 30% is still in at 50%, and different flags roll out to different orgs.
 */
export function rolloutBucket(orgId: string, key: string): number {
  return createHash('sha256').update(`${key}:${orgId.toLowerCase()}`).digest().readUInt32BE(0) % 100;
}

export function defaultSettings(key: FlagKey): FlagSettings {
  return { default_enabled: FLAG_CATALOGUE[key].defaultEnabled, rollout_percent: 0 };
}

/** Override for the org, else the rollout bucket, else the flag's default. */
export function evaluateFlag(key: FlagKey, settings: FlagSettings | undefined, override: boolean | undefined, orgId: string | null): boolean {
  if (override !== undefined) return override;
  const s = settings ?? defaultSettings(key);
  if (s.rollout_percent >= 100) return true;
  if (orgId && s.rollout_percent > 0 && rolloutBucket(orgId, key) < s.rollout_percent) return true;
  return s.default_enabled;
}

export function evaluateAll(
  settings: ReadonlyMap<string, FlagSettings>,
  overrides: ReadonlyMap<string, boolean>,
  orgId: string | null,
): FlagMap {
  const out = {} as FlagMap;
  for (const key of FLAG_KEYS) out[key] = evaluateFlag(key, settings.get(key), overrides.get(key), orgId);
  return out;
}
