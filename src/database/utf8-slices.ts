/**
 * SQL for slicing a document in Postgres: the byte position `p` (an SQL expression) in `doc` (a
 * bytea of `len` bytes) moved back to the first byte of the UTF-8 character it falls in
 * (continuation bytes are 10xxxxxx), so that every slice converts back to text on its own. For
 * repositories' constant SQL only: the arguments are SQL expressions, never input.
 */
export const utf8CutSql = (doc: string, len: string, p: string): string =>
  `CASE WHEN ${p} >= ${len} THEN ${len} WHEN get_byte(${doc}, ${p}) & 192 <> 128 THEN ${p}
        WHEN get_byte(${doc}, ${p} - 1) & 192 <> 128 THEN ${p} - 1
        WHEN get_byte(${doc}, ${p} - 2) & 192 <> 128 THEN ${p} - 2 ELSE ${p} - 3 END`;
