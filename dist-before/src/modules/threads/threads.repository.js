var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { keysetPage } from '../../database/keyset-page.repository.js';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs } from '../../common/dto/page.dto.js';
const THREAD_COLS = `id, title, created_by, ${isoTs('created_at')}, ${isoTs('updated_at')}`;
const MESSAGE_COLS = `id, thread_id, role, content, created_by, ${isoTs('created_at')}`;
/**
 * rocker_threads and rocker_messages; every query runs in the tenant transaction (RLS scopes it) and
 * names the context's org as well (org_id = $n: a second wall, and one shard under Citus).
 */
let ThreadsRepository = class ThreadsRepository {
    constructor(db) {
        this.db = db;
    }
    async create(title) {
        const { orgId, userId } = this.db.context();
        return (await this.db.one(`INSERT INTO rocker_threads (org_id, title, created_by) VALUES ($1, $2, $3) RETURNING ${THREAD_COLS}`, [orgId, title, userId]));
    }
    org() {
        return this.db.context().orgId;
    }
    list(limit, after) {
        return keysetPage(this.db, `SELECT ${THREAD_COLS} FROM rocker_threads WHERE org_id = $1`, [this.org()], limit, after);
    }
    get(id) {
        return this.db.one(`SELECT ${THREAD_COLS} FROM rocker_threads WHERE org_id = $1 AND id = $2`, [this.org(), id]);
    }
    update(id, title) {
        return this.db.one(`UPDATE rocker_threads SET title = coalesce($3, title), updated_at = clock_timestamp() WHERE org_id = $1 AND id = $2 RETURNING ${THREAD_COLS}`, [this.org(), id, title ?? null]);
    }
    async delete(id) {
        return (await this.db.query(`DELETE FROM rocker_threads WHERE org_id = $1 AND id = $2 RETURNING id`, [this.org(), id])).length > 0;
    }
    async addMessage(threadId, role, content) {
        const { orgId, userId } = this.db.context();
        // The thread is looked up under RLS first: another org's thread id finds nothing.
        return this.db.one(`INSERT INTO rocker_messages (org_id, thread_id, role, content, created_by)
       SELECT $1, t.id, $3, $4, $5 FROM rocker_threads t WHERE t.org_id = $1 AND t.id = $2
       RETURNING ${MESSAGE_COLS}`, [orgId, threadId, role, content, userId]);
    }
    listMessages(threadId, limit, after) {
        return after
            ? this.db.query(`SELECT ${MESSAGE_COLS} FROM rocker_messages WHERE org_id = $1 AND thread_id = $2 AND (created_at, id) > ($3::timestamptz, $4::uuid)
           ORDER BY created_at, id LIMIT $5`, [this.org(), threadId, after.createdAt, after.id, limit + 1])
            : this.db.query(`SELECT ${MESSAGE_COLS} FROM rocker_messages WHERE org_id = $1 AND thread_id = $2 ORDER BY created_at, id LIMIT $3`, [
                this.org(),
                threadId,
                limit + 1,
            ]);
    }
};
ThreadsRepository = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [TenantDb])
], ThreadsRepository);
export { ThreadsRepository };
//# sourceMappingURL=threads.repository.js.map