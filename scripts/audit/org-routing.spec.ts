import { describe, expect, it } from 'vitest';
import { checkStatement } from './check-org-routing.js';

/** $1 is the context's org in every case below; $2 and later are other values. */
const orgIsOne = (n: number) => n === 1;

describe(checkStatement.name, () => {
  it.each([
    ['filter', 'SELECT id FROM rocker_threads WHERE org_id = $1 AND id = $2'],
    ['filter, reversed', 'SELECT id FROM rocker_threads WHERE $1 = org_id AND id = $2'],
    ['aliased filter', 'SELECT c.id FROM private_chunks c WHERE c.org_id = $1'],
    ['only tenant table, unqualified', 'SELECT c.id FROM private_chunks c, websearch_to_tsquery($2) q WHERE org_id = $1'],
    ['join on org_id to a filtered table', 'SELECT m.id FROM rocker_threads t JOIN rocker_messages m ON m.org_id = t.org_id AND m.thread_id = t.id WHERE t.org_id = $1'],
    ['join to a global table', 'SELECT m.role FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1'],
    ['insert with VALUES', 'INSERT INTO rocker_threads (org_id, title) VALUES ($1, $2) RETURNING id'],
    ['insert with a cast', 'INSERT INTO rocker_threads (title, org_id) VALUES ($2, $1::uuid)'],
    ['insert ... select', 'INSERT INTO rocker_messages (org_id, thread_id) SELECT $1, t.id FROM rocker_threads t WHERE t.org_id = $1 AND t.id = $2'],
    ['upsert naming the table in its SET', 'INSERT INTO usage_daily (org_id, day) VALUES ($1, $2) ON CONFLICT (org_id, day) DO UPDATE SET amount = usage_daily.amount + 1'],
    ['update from a subquery, both filtered', "UPDATE ingest_jobs j SET status = 'x' FROM (SELECT id FROM ingest_jobs WHERE org_id = $1 AND id = $2) o WHERE j.org_id = $1 AND j.id = o.id"],
    ['a function of the org', 'SELECT id FROM match_private_chunks($1, $2::vector, $3)'],
    ['a global table', 'SELECT id FROM market_listings WHERE id = $2'],
    ['org_id in a comment or a string does not matter', "SELECT 'rocker_threads' AS t -- rocker_threads"],
  ])('routed: %s', (_name, sql) => {
    expect(checkStatement(sql, orgIsOne).unrouted).toEqual([]);
  });

  it.each([
    ['no filter', 'SELECT id FROM rocker_threads WHERE id = $2', ['rocker_threads']],
    ['filter on a value that is not the context org', 'SELECT id FROM rocker_threads WHERE org_id = $2', ['rocker_threads']],
    ['a filter only in a comment', 'SELECT id FROM rocker_threads WHERE id = $2 -- AND org_id = $1', ['rocker_threads']],
    ['a similar column', 'SELECT id FROM market_listings l JOIN knowledge_items k ON k.id = l.knowledge_item_id WHERE l.publisher_org_id = $1', ['knowledge_items']],
    ['the join target unfiltered', 'SELECT m.id FROM rocker_threads t JOIN rocker_messages m ON m.thread_id = t.id WHERE t.org_id = $1', ['rocker_messages']],
    ['unqualified filter with two aliased tables', 'SELECT 1 FROM rocker_threads t JOIN rocker_messages m ON m.thread_id = t.id WHERE org_id = $1', ['rocker_threads', 'rocker_messages']],
    ['insert without org_id', 'INSERT INTO rocker_threads (title) VALUES ($2)', ['rocker_threads']],
    ['insert with org_id from another value', 'INSERT INTO rocker_threads (org_id, title) VALUES ($2, $1)', ['rocker_threads']],
    ['insert ... select from an unfiltered table', 'INSERT INTO rocker_messages (org_id, thread_id) SELECT $1, t.id FROM rocker_threads t WHERE t.id = $2', ['rocker_threads']],
    ['update from a subquery filtered outside only', "UPDATE ingest_jobs j SET status = 'x' FROM (SELECT id FROM ingest_jobs WHERE id = $2) o WHERE j.org_id = $1 AND j.id = o.id", ['ingest_jobs']],
    ['delete', 'DELETE FROM knowledge_blobs WHERE knowledge_item_id = $2', ['knowledge_blobs']],
  ])('unrouted: %s', (_name, sql, tables) => {
    expect(checkStatement(sql, orgIsOne).unrouted.sort()).toEqual([...tables].sort());
  });
});
