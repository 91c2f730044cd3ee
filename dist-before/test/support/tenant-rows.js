import { asOrg } from './db.js';
import { createUser } from './fixtures.js';
/**
 * One row in every tenant table for an org, written as the owner with the org set.
 * The RLS suite checks that every table with an org_id column has a row here: a new tenant
 * table must add its fixture below, so that its isolation is tested too.
 */
export async function seedTenantRows(owner, org) {
    const user = await createUser(owner);
    const root = await createUser(owner, { superAdmin: true });
    return asOrg(owner, org.id, async (c) => {
        const ids = {};
        const one = async (table, sql, params) => {
            ids[table] = (await c.query(sql, params)).rows[0].id;
        };
        await c.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'member')`, [org.id, user.id]);
        ids.org_members = user.id;
        await one('rocker_threads', `INSERT INTO rocker_threads (org_id, title) VALUES ($1, 'fixture') RETURNING id`, [org.id]);
        await one('rocker_messages', `INSERT INTO rocker_messages (org_id, thread_id, role, content) VALUES ($1, $2, 'user', 'fixture') RETURNING id`, [org.id, ids.rocker_threads]);
        await one('knowledge_items', `INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'fixture', 'text', 'fixture') RETURNING id`, [org.id]);
        await one('private_chunks', `INSERT INTO private_chunks (org_id, knowledge_item_id, chunk_index, content, embedding)
       VALUES ($1, $2, 0, 'fixture', array_fill(0.1::real, ARRAY[512])::vector) RETURNING id`, [org.id, ids.knowledge_items]);
        await c.query(`INSERT INTO knowledge_blobs (org_id, knowledge_item_id, mime_type, data) VALUES ($1, $2, 'image/png', '\\x89504e47'::bytea)`, [org.id, ids.knowledge_items]);
        ids.knowledge_blobs = ids.knowledge_items;
        await one('ingest_jobs', `INSERT INTO ingest_jobs (org_id, kind, payload, knowledge_item_id, idempotency_key) VALUES ($1, 'embed', '{}', $2, 'fixture') RETURNING id`, [org.id, ids.knowledge_items]);
        await c.query(`SELECT set_config('app.actor_role', 'super_admin', true)`);
        await c.query(`INSERT INTO org_limits (org_id, job_concurrency) VALUES ($1, 3)`, [org.id]);
        ids.org_limits = org.id;
        await c.query(`SELECT set_config('app.actor_role', '', true)`);
        // Flag writes need the super_admin actor AND a user id that is a super_admin in the database.
        await c.query(`SELECT set_config('app.actor_role', 'super_admin', true), set_config('app.user_id', $1, true)`, [root.id]);
        await c.query(`INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, 'hybrid_search', true)`, [org.id]);
        ids.feature_flag_overrides = org.id;
        await c.query(`SELECT set_config('app.actor_role', '', true), set_config('app.user_id', '', true)`);
        await c.query(`INSERT INTO usage_daily (org_id, day, unit, amount) VALUES ($1, '2026-01-01', 'tts_characters', 1)`, [org.id]);
        ids.usage_daily = org.id;
        await one('org_invitations', `INSERT INTO org_invitations (org_id, email, role, token_hash, expires_at)
       VALUES ($1, 'fixture@test.local', 'member', sha256(convert_to(gen_random_uuid()::text, 'UTF8')), now() + interval '1 day')
       RETURNING id`, [org.id]);
        await one('outbox_events', `INSERT INTO outbox_events (org_id, topic, payload) VALUES ($1, 'fixture', '{}') RETURNING id`, [org.id]);
        // org_audit_log: its rows come from the triggers on org_members and org_invitations above.
        ids.org_audit_log = org.id;
        // New tenant tables: add a fixture row here.
        return ids;
    });
}
//# sourceMappingURL=tenant-rows.js.map