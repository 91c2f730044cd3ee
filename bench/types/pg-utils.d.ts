// pg's own parameter serialiser (not part of its typed API), used by bench:embed-write to cost the
// text path the way pg runs it.
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}
