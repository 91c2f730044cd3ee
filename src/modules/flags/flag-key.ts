/** Every feature flag the code knows. A key not listed here is refused (400) by the admin routes. */
export enum FlagKey {
  HybridSearch = 'hybrid_search',
  TtsStreaming = 'tts_streaming',
  MarketPublish = 'market_publish',
}

export interface FlagDefinition {
  description: string;
  /** Used until a super_admin writes the flag's row in feature_flags. */
  defaultEnabled: boolean;
}

export const FLAG_CATALOGUE: Record<FlagKey, FlagDefinition> = {
  [FlagKey.HybridSearch]: { description: 'Hybrid (vector + full-text) ranking in search', defaultEnabled: false },
  [FlagKey.TtsStreaming]: { description: 'Stream TTS audio as soon as the first sentence is ready', defaultEnabled: true },
  [FlagKey.MarketPublish]: { description: 'Publishing knowledge to the marketplace', defaultEnabled: true },
};

export const FLAG_KEYS: FlagKey[] = Object.values(FlagKey);

export function isFlagKey(value: unknown): value is FlagKey {
  return typeof value === 'string' && (FLAG_KEYS as string[]).includes(value);
}
