import type { QueryConfig } from 'pg';

/**
 * Names for the tenant path's SQL texts, so that pg sends each one as a named prepared statement:
 * parsed and planned once per connection, then only bound and executed (Postgres keeps a generic
 * plan once it costs no more than the custom ones). A list page on this box cost its backend 0.6 ms
 * of CPU unnamed and 0.25 ms named, most of it planning.
 *
 * The texts are the code's own constants (values always travel as parameters), so the set is small
 * and fixed; past `max` distinct texts a new one is sent unnamed rather than prepared on every
 * connection for good. Disabled (a transaction pooler that cannot keep a statement across
 * transactions), every statement is unnamed.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  /** Texts sent unnamed whatever the setting (plannedPerValue). */
  private readonly unnamed = new Set<string>();

  constructor(
    readonly enabled: boolean,
    private readonly max = 1000,
  ) {}

  /** The query for `text` with `values`: named when enabled and within the cap. */
  config(text: string, values: unknown[]): QueryConfig {
    if (!this.enabled) return { text, values };
    let name = this.names.get(text);
    if (name === undefined) {
      if (this.unnamed.has(text)) return { text, values };
      if (plannedPerValue(text)) {
        this.unnamed.add(text);
        return { text, values };
      }
      if (this.names.size >= this.max) return { text, values };
      name = `rocker_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    return { name, text, values };
  }
}

/**
 * A statement whose best plan depends on its values, sent unnamed (planned for them every time):
 * - a filter a parameter switches off (`$2::text IS NULL OR status = $2`). A custom plan drops the
 *   branch that does not apply and reads the index of the one that does; a generic plan cannot, so
 *   it walks whatever index serves both. Postgres moves a prepared statement to its generic plan
 *   once that looks no dearer than the custom plans so far: `GET /v1/ingest/jobs`'s statement did so
 *   after 16 pages, and an empty `?status=failed` page of an org of 200,000 jobs went from 0.3 ms to
 *   27-54 ms (ad hoc);
 * - a full-text match (`tsv @@ websearch_to_tsquery(...)`): how many rows its words match, and so
 *   whether the text index or the org's rows are the cheaper way in, is known only from the words.
 */
export function plannedPerValue(text: string): boolean {
  return /\bIS\s+NULL\s+OR\b/i.test(text) || text.includes('@@');
}

/**
 * Errors after which a connection's prepared statements cannot be trusted: a cached plan whose
 * result type a migration changed (0A000 "cached plan must not change result type"), or a statement
 * the server no longer holds (26000, e.g. a pooler swapped the server connection). The connection
 * is dropped from the pool instead of being reused, so the next transaction prepares afresh.
 */
export function spoilsPreparedStatements(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === '26000' || (code === '0A000' && /cached plan/.test(String((e as Error).message)));
}
