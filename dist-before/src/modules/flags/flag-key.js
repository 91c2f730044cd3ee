/** Every feature flag the code knows. A key not listed here is refused (400) by the admin routes. */
export var FlagKey;
(function (FlagKey) {
    FlagKey["HybridSearch"] = "hybrid_search";
    FlagKey["TtsStreaming"] = "tts_streaming";
    FlagKey["MarketPublish"] = "market_publish";
})(FlagKey || (FlagKey = {}));
export const FLAG_CATALOGUE = {
    [FlagKey.HybridSearch]: { description: 'Hybrid (vector + full-text) ranking in search', defaultEnabled: false },
    [FlagKey.TtsStreaming]: { description: 'Stream TTS audio as soon as the first sentence is ready', defaultEnabled: true },
    [FlagKey.MarketPublish]: { description: 'Publishing knowledge to the marketplace', defaultEnabled: true },
};
export const FLAG_KEYS = Object.values(FlagKey);
export function isFlagKey(value) {
    return typeof value === 'string' && FLAG_KEYS.includes(value);
}
//# sourceMappingURL=flag-key.js.map