/** Longest piece handed to the engine at once; a run-on sentence is cut at a space before it. */
export const MAX_PIECE = 400;
/**
 * Splits text into sentences (after . ! ? … and line breaks), so that audio can start after the
 * first one. Over-long sentences are cut at word boundaries.
 */
export function splitSentences(text) {
    const out = [];
    const parts = text.replace(/\r\n?/g, '\n').split(/(?<=[.!?…。！？])\s+|\n+/u);
    for (const raw of parts) {
        let s = raw.trim();
        while (s.length > MAX_PIECE) {
            let cut = s.lastIndexOf(' ', MAX_PIECE);
            if (cut < MAX_PIECE / 2)
                cut = MAX_PIECE;
            out.push(s.slice(0, cut).trim());
            s = s.slice(cut).trim();
        }
        if (s)
            out.push(s);
    }
    return out;
}
//# sourceMappingURL=sentences.js.map