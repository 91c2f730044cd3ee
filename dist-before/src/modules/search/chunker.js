export const DEFAULT_CHUNK_OPTIONS = { maxChars: 1000, overlapChars: 200 };
const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
/**
 * Intl.Segmenter slows down far worse than linearly on one long input (measured here, one
 * paragraph: 100 K characters 0.4 s, 200 K 32 s, 400 K 135 s), so a paragraph is segmented in
 * windows of this many characters: each window's last sentence, possibly cut by the window's end,
 * is segmented again at the start of the next. Linear (6 M characters in about 20 s on this
 * loaded machine), and the same sentences as one pass for any sentence shorter than a window.
 */
export const SEGMENT_WINDOW = 16_384;
/** The sentence segments of a paragraph, window by window (see SEGMENT_WINDOW). */
export function* segments(paragraph, window = SEGMENT_WINDOW) {
    let start = 0;
    while (start < paragraph.length) {
        if (paragraph.length - start <= window) {
            for (const { segment } of segmenter.segment(paragraph.slice(start)))
                yield segment;
            return;
        }
        const win = paragraph.slice(start, start + window);
        const segs = [];
        let last = 0;
        for (const { segment, index } of segmenter.segment(win)) {
            segs.push(segment);
            last = index;
        }
        if (segs.length <= 1) {
            // One sentence longer than the window (it is cut at word boundaries later anyway): cut it at
            // the window's last space.
            const space = win.lastIndexOf(' ');
            const n = space > 0 ? space + 1 : window;
            yield win.slice(0, n);
            start += n;
            continue;
        }
        for (let i = 0; i < segs.length - 1; i++)
            yield segs[i];
        start += last;
    }
}
/** Sentences of a text, whitespace-normalised; a sentence longer than max is cut at word boundaries. */
export function sentences(text, maxChars) {
    const out = [];
    for (const paragraph of text.split(/\n\s*\n/)) {
        for (const segment of segments(paragraph)) {
            const s = segment.replace(/\s+/g, ' ').trim();
            if (!s)
                continue;
            if (s.length <= maxChars)
                out.push(s);
            else
                out.push(...splitLong(s, maxChars));
        }
    }
    return out;
}
function splitLong(s, maxChars) {
    const out = [];
    let cur = '';
    for (const word of s.split(' ')) {
        // A single word longer than the limit (a URL, a hash) is cut hard.
        for (let w = word; w.length; w = w.slice(maxChars)) {
            const piece = w.slice(0, maxChars);
            if (!cur)
                cur = piece;
            else if (cur.length + 1 + piece.length <= maxChars)
                cur += ' ' + piece;
            else {
                out.push(cur);
                cur = piece;
            }
        }
    }
    if (cur)
        out.push(cur);
    return out;
}
/**
 * Sentence-aware chunks: sentences are packed up to maxChars; the next chunk starts with the
 * previous chunk's last sentences (up to overlapChars) so an idea cut at a boundary is found
 * whole in one of them. Deterministic: same text and options, same chunks.
 */
export function chunkText(text, opts = DEFAULT_CHUNK_OPTIONS) {
    const { maxChars, overlapChars } = opts;
    if (maxChars < 1 || overlapChars < 0 || overlapChars >= maxChars)
        throw new RangeError('need 0 <= overlapChars < maxChars');
    const sents = sentences(text, maxChars);
    const chunks = [];
    let i = 0;
    while (i < sents.length) {
        const parts = [];
        let len = 0;
        // Overlap: walk back over the previous chunk's tail (only when a chunk came before).
        if (chunks.length) {
            let j = i;
            let olen = 0;
            while (j > 0 && olen + sents[j - 1].length + 1 <= overlapChars) {
                olen += sents[j - 1].length + 1;
                j--;
            }
            for (let t = j; t < i; t++) {
                parts.push(sents[t]);
                len += (len ? 1 : 0) + sents[t].length;
            }
        }
        const start = i;
        while (i < sents.length && len + (len ? 1 : 0) + sents[i].length <= maxChars) {
            len += (len ? 1 : 0) + sents[i].length;
            parts.push(sents[i]);
            i++;
        }
        if (i === start) {
            // The overlap left no room for the next sentence: drop the overlap for this chunk.
            parts.length = 0;
            parts.push(sents[i]);
            i++;
        }
        chunks.push(parts.join(' '));
    }
    return chunks;
}
//# sourceMappingURL=chunker.js.map