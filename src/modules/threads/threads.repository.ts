import { Injectable } from '@nestjs/common';
import { keysetPage } from '../../database/keyset-page.repository.js';
import { UTF8_SLICE, utf8SliceJoins } from '../../database/utf8-slices.js';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs, type Keyset } from '../../common/dto/page.dto.js';
import type { MessageDto, ThreadDto } from './dto/threads.dto.js';

const THREAD_COLS = `id, title, created_by, ${isoTs('created_at')}, ${isoTs('updated_at')}`;
const MESSAGE_COLS = `id, thread_id, role, content, created_by, ${isoTs('created_at')}`;

/** Message content a page carries before it stops (at least one message, whatever its size). */
export const MESSAGE_PAGE_BYTES = 256 * 1024;

/** A message of a page: its content is null when it is `sliced` (read with messageSlices()). */
export interface MessageRow extends Omit<MessageDto, 'content'> {
  content: string | null;
  /** The content's size in UTF-8 bytes. */
  bytes: number;
  sliced: boolean;
}

/**
 * rocker_threads and rocker_messages; every query runs in the tenant transaction (RLS scopes it) and
 * names the context's org as well (org_id = $n: a second wall, and one shard under Citus).
 */
@Injectable()
export class ThreadsRepository {
  constructor(private readonly db: TenantDb) {}

  async create(title: string): Promise<ThreadDto> {
    const { orgId, userId } = this.db.context();
    return (await this.db.one<ThreadDto>(
      `INSERT INTO rocker_threads (org_id, title, created_by) VALUES ($1, $2, $3) RETURNING ${THREAD_COLS}`,
      [orgId, title, userId],
    ))!;
  }

  private org(): string {
    return this.db.context().orgId!;
  }

  list(limit: number, after?: Keyset): Promise<ThreadDto[]> {
    return keysetPage(this.db, `SELECT ${THREAD_COLS} FROM rocker_threads WHERE org_id = $1`, 'rocker_threads', [this.org()], limit, after);
  }

  get(id: string): Promise<ThreadDto | undefined> {
    return this.db.one(`SELECT ${THREAD_COLS} FROM rocker_threads WHERE org_id = $1 AND id = $2`, [this.org(), id]);
  }

  update(id: string, title: string | undefined): Promise<ThreadDto | undefined> {
    return this.db.one(
      `UPDATE rocker_threads SET title = coalesce($3, title), updated_at = clock_timestamp() WHERE org_id = $1 AND id = $2 RETURNING ${THREAD_COLS}`,
      [this.org(), id, title ?? null],
    );
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query(`DELETE FROM rocker_threads WHERE org_id = $1 AND id = $2 RETURNING id`, [this.org(), id])).length > 0;
  }

  /**
   * Stores the message unless the org's stored bytes (org_storage) plus `adding` would pass `cap`;
   * `used` is the org's count read by the same statement, `message` undefined when nothing was
   * stored (no such thread, or no room). Role and content are not read back: they are stored as
   * sent, and a long message read back was a second copy of it on the event loop (the driver's
   * buffers and a string): with the body's own buffers, a flood of long messages set off a full
   * garbage collection every 0.4 s (docs/performance.md, "Request bytes").
   */
  async addMessage(
    threadId: string,
    role: string,
    content: string,
    adding: number,
    cap: number,
  ): Promise<{ used: number; message: MessageDto | undefined }> {
    const { orgId, userId } = this.db.context();
    // The thread is looked up under RLS first: another org's thread id finds nothing.
    const row = await this.db.one<Omit<MessageDto, 'role' | 'content'> & { used: string }>(
      `WITH room AS (SELECT coalesce(sum(bytes), 0) AS used FROM org_storage WHERE org_id = $1),
       added AS (
         INSERT INTO rocker_messages (org_id, thread_id, role, content, created_by)
         SELECT $1, t.id, $3, $4, $5 FROM rocker_threads t, room
          WHERE t.org_id = $1 AND t.id = $2 AND room.used + $6 <= $7
         RETURNING id, thread_id, created_by, ${isoTs('created_at')})
       SELECT room.used, added.* FROM room LEFT JOIN added ON true`,
      [orgId, threadId, role, content, userId, adding, cap],
    );
    const { used, id, thread_id, created_by, created_at } = row!;
    const message = id ? { id, thread_id, role, content, created_by, created_at } : undefined;
    return { used: Number(used), message };
  }

  /**
   * One page of a thread's messages, oldest first, by the (created_at, id) keyset: up to `limit`
   * messages, but a page stops once the content ahead of a message reaches MESSAGE_PAGE_BYTES (a
   * message can be 100,000 characters, so 100 of them would be a 30 MB answer built on the event
   * loop). `fit` is how many rows belong on the page; a row after them (without its content) only
   * tells that more follow. A message over `inlineBytes` comes without its content (`sliced`):
   * messageSlices() reads it.
   */
  async listMessages(
    threadId: string,
    limit: number,
    after: Keyset | undefined,
    inlineBytes: number,
  ): Promise<{ rows: MessageRow[]; fit: number }> {
    const keyset = after ? `AND (created_at, id) > ($6::timestamptz, $7::uuid)` : '';
    const rows = await this.db.query<MessageRow & { fits: boolean }>(
      `WITH page AS (
         SELECT ${MESSAGE_COLS}, octet_length(content) AS bytes,
                coalesce(sum(octet_length(content)) OVER (ORDER BY created_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ahead
           FROM rocker_messages WHERE org_id = $1 AND thread_id = $2 ${keyset}
          ORDER BY rocker_messages.created_at, rocker_messages.id LIMIT $3)
       SELECT id, thread_id, role, CASE WHEN ahead < $4 AND bytes <= $5 THEN content END AS content, created_by, created_at,
              bytes, ahead < $4 AND bytes > $5 AS sliced, ahead < $4 AS fits
         FROM page
        WHERE ahead < $4 OR ahead = (SELECT min(ahead) FROM page WHERE ahead >= $4)
        ORDER BY created_at, id`,
      [this.org(), threadId, limit + 1, MESSAGE_PAGE_BYTES, inlineBytes, ...(after ? [after.createdAt, after.id] : [])],
    );
    const fit = Math.min(limit, rows.filter((r) => r.fits).length);
    return { rows: rows.map(({ fits: _, ...m }) => m), fit };
  }

  /**
   * The content of these messages of the thread in slices of at most `sliceBytes`, each cut at a
   * character's start and converted in Postgres, so no message is one multi-hundred-KB string on
   * the event loop; a message not found has no entry.
   */
  async messageSlices(threadId: string, ids: string[], sliceBytes: number): Promise<Map<string, string[]>> {
    const rows = await this.db.query<{ id: string; k: number; s: string }>(
      `SELECT ${UTF8_SLICE}
         FROM (SELECT id, doc, octet_length(doc) AS len
                 FROM (SELECT id, convert_to(content, 'UTF8') AS doc FROM rocker_messages
                        WHERE org_id = $1 AND thread_id = $2 AND id = ANY($3::uuid[]) OFFSET 0) converted) d
        ${utf8SliceJoins('$4')}`,
      [this.org(), threadId, ids, sliceBytes],
    );
    const out = new Map<string, string[]>();
    for (const r of rows.sort((a, b) => a.k - b.k)) {
      const slices = out.get(r.id) ?? [];
      slices.push(r.s);
      out.set(r.id, slices);
    }
    return out;
  }
}
