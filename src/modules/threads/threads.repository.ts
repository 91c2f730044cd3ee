import { Injectable } from '@nestjs/common';
import { keysetPage } from '../../database/keyset-page.repository.js';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs, type Keyset } from '../../common/dto/page.dto.js';
import type { MessageDto, ThreadDto } from './dto/threads.dto.js';

const THREAD_COLS = `id, title, created_by, ${isoTs('created_at')}, ${isoTs('updated_at')}`;
const MESSAGE_COLS = `id, thread_id, role, content, created_by, ${isoTs('created_at')}`;

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
    return keysetPage(this.db, `SELECT ${THREAD_COLS} FROM rocker_threads WHERE org_id = $1`, [this.org()], limit, after);
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

  async addMessage(threadId: string, role: string, content: string): Promise<MessageDto | undefined> {
    const { orgId, userId } = this.db.context();
    // The thread is looked up under RLS first: another org's thread id finds nothing.
    return this.db.one(
      `INSERT INTO rocker_messages (org_id, thread_id, role, content, created_by)
       SELECT $1, t.id, $3, $4, $5 FROM rocker_threads t WHERE t.org_id = $1 AND t.id = $2
       RETURNING ${MESSAGE_COLS}`,
      [orgId, threadId, role, content, userId],
    );
  }

  listMessages(threadId: string, limit: number, after?: Keyset): Promise<MessageDto[]> {
    return after
      ? this.db.query(
          `SELECT ${MESSAGE_COLS} FROM rocker_messages WHERE org_id = $1 AND thread_id = $2 AND (created_at, id) > ($3::timestamptz, $4::uuid)
           ORDER BY created_at, id LIMIT $5`,
          [this.org(), threadId, after.createdAt, after.id, limit + 1],
        )
      : this.db.query(`SELECT ${MESSAGE_COLS} FROM rocker_messages WHERE org_id = $1 AND thread_id = $2 ORDER BY created_at, id LIMIT $3`, [
          this.org(),
          threadId,
          limit + 1,
        ]);
  }
}
