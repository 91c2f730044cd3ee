import pg from 'pg';
import { loadEnv } from '../src/config/env.js';
/**
 * npm run seed: demo orgs acme and globex, alice@acme.test (acme owner), bob@globex.test
 * (globex owner), root@platform.test (super_admin), some knowledge. Idempotent. Runs as the owner
 * role, and still sets the org per transaction: RLS is forced for the owner too.
 */
async function main() {
    const env = loadEnv();
    if (env.NODE_ENV === 'production')
        throw new Error('npm run seed refuses to run in production');
    const client = new pg.Client({ connectionString: env.DATABASE_OWNER_URL ?? env.DATABASE_URL });
    await client.connect();
    try {
        const upsertOrg = async (slug, name) => (await client.query(`INSERT INTO orgs (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO UPDATE SET name = excluded.name RETURNING id`, [slug, name])).rows[0].id;
        const upsertUser = async (email, superAdmin = false) => (await client.query(`INSERT INTO users (email, display_name, is_super_admin) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO UPDATE SET is_super_admin = excluded.is_super_admin RETURNING id`, [email, email.split('@')[0], superAdmin])).rows[0].id;
        const acme = await upsertOrg('acme', 'Acme Corp');
        const globex = await upsertOrg('globex', 'Globex Inc');
        const alice = await upsertUser('alice@acme.test');
        const bob = await upsertUser('bob@globex.test');
        await upsertUser('root@platform.test', true);
        for (const [org, user, docs] of [
            [acme, alice, ['Acme rockets are assembled in Tucson from recycled anvils.', 'Acme support answers within one business day.']],
            [globex, bob, ['Globex builds hammocks for volcano lairs.', 'Globex offices close on the first Friday of each month.']],
        ]) {
            await client.query('BEGIN');
            await client.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
            await client.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner') ON CONFLICT DO NOTHING`, [org, user]);
            for (const [i, text] of docs.entries()) {
                const item = await client.query(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text, created_by)
           SELECT $1, $2, 'text', $3, $4 WHERE NOT EXISTS (SELECT 1 FROM knowledge_items WHERE title = $2) RETURNING id`, [org, `Seed note ${i + 1}`, text, user]);
                // Its embed job goes through the same outbox as the API's (the workers pick it up).
                if (item.rows[0]) {
                    await client.query(`INSERT INTO ingest_jobs (org_id, kind, payload, knowledge_item_id, idempotency_key)
             VALUES ($1, 'embed', jsonb_build_object('knowledge_item_id', $2::text), $2::uuid, 'embed:' || $2::text) ON CONFLICT DO NOTHING`, [org, item.rows[0].id]);
                }
            }
            await client.query('COMMIT');
        }
        console.log('seeded: orgs acme, globex; users alice@acme.test, bob@globex.test, root@platform.test');
    }
    finally {
        await client.end();
    }
}
main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
//# sourceMappingURL=seed.js.map