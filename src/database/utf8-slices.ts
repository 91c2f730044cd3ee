/**
 * The byte position `p` (an SQL expression) in `d.doc` (a bytea of `d.len` bytes) moved back to the
 * first byte of the UTF-8 character it falls in (continuation bytes are 10xxxxxx), so that every
 * slice converts back to text on its own.
 */
const cut = (p: string): string =>
  `CASE WHEN ${p} >= d.len THEN d.len WHEN get_byte(d.doc, ${p}) & 192 <> 128 THEN ${p}
        WHEN get_byte(d.doc, ${p} - 1) & 192 <> 128 THEN ${p} - 1
        WHEN get_byte(d.doc, ${p} - 2) & 192 <> 128 THEN ${p} - 2 ELSE ${p} - 3 END`;

/**
 * SQL slicing documents in Postgres, around a repository's own literal source (so the audits read
 * its org condition):
 *
 *   SELECT ${UTF8_SLICE} FROM (SELECT id, doc, octet_length(doc) AS len FROM (SELECT id,
 *   convert_to(col, 'UTF8') AS doc FROM t WHERE org_id = $1 ... OFFSET 0) converted) d
 *   ${utf8SliceJoins('$3')}
 *
 * gives rows (id, k, s), s the k-th slice of at most $3 bytes, cut at a character's start and
 * converted back to text. Each document is read and converted once (the OFFSET 0 keeps the source
 * from being merged into the slicing, which would convert it again for every slice).
 */
export const UTF8_SLICE = `d.id, k, convert_from(substring(d.doc FROM c.a + 1 FOR c.b - c.a), 'UTF8') AS s`;

/** The slicing's joins; `sliceBytes` is the SQL parameter of the slice size (e.g. `$3`), never input. */
export const utf8SliceJoins = (sliceBytes: string): string =>
  `CROSS JOIN LATERAL generate_series(0, (d.len - 1) / ${sliceBytes}) AS k
   CROSS JOIN LATERAL (SELECT ${cut(`k * ${sliceBytes}`)} AS a, ${cut(`(k + 1) * ${sliceBytes}`)} AS b) c`;
