/** Reciprocal rank fusion constant (Cormack et al.: 60 works well across collections). */
export const RRF_K = 60;
/**
 * Fuses ranked lists (best first) into one: score(d) = Σ 1 / (RRF_K + rank_i(d)), ranks from 1.
 * Ties keep the order of first appearance, so the result is deterministic.
 */
export function reciprocalRankFusion(lists, key, k = RRF_K) {
    const acc = new Map();
    let seen = 0;
    for (const list of lists) {
        list.forEach((item, idx) => {
            const id = key(item);
            const cur = acc.get(id) ?? { item, score: 0, first: seen++ };
            cur.score += 1 / (k + idx + 1);
            acc.set(id, cur);
        });
    }
    return [...acc.values()].sort((a, b) => b.score - a.score || a.first - b.first).map(({ item, score }) => ({ item, score }));
}
//# sourceMappingURL=rrf.js.map