/**
 * Embeddings as Postgres reads them, built where the CPU can be spared: the UTF-8 bytes of a
 * `text[]` literal whose elements are pgvector literals (`{"[0.1,-0.2]","[…]"}`), sent as one
 * `bytea` parameter and read with `convert_from($n, 'UTF8')::text[]` (then `::vector` each). Numbers
 * print as JavaScript prints them (`pgvector.toSql` does the same), so Postgres reads the same
 * float4 values. Formatting is the expensive part (a 600-chunk item's vectors took the event loop
 * about 40 ms in one piece): long lists are formatted on the chunk engine's thread
 * (ChunkEngine.encodeVectors), short ones here.
 */
export function vectorsLiteral(flat, count, dim) {
    const parts = new Array(count);
    for (let i = 0; i < count; i++)
        parts[i] = `"[${flat.subarray(i * dim, (i + 1) * dim).join(',')}]"`;
    return new TextEncoder().encode(`{${parts.join(',')}}`);
}
/** The vectors in one Float32Array (row after row), for vectorsLiteral or a thread (transferable). */
export function packVectors(vectors) {
    const dim = vectors[0]?.length ?? 0;
    const flat = new Float32Array(vectors.length * dim);
    vectors.forEach((v, i) => {
        if (v.length !== dim)
            throw new Error(`vector ${i} has ${v.length} dimensions, not ${dim}`);
        flat.set(v, i * dim);
    });
    return { flat, count: vectors.length, dim };
}
/** Formats in place (short lists, and callers with no chunk engine). */
export function encodeVectors(vectors) {
    const { flat, count, dim } = packVectors(vectors);
    return { count, literal: vectorsLiteral(flat, count, dim) };
}
//# sourceMappingURL=vector-literal.js.map