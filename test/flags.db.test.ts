import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { beginTenant, createTestDb, type TestDb } from './support/db.js';
import { addMember, createOrg, createUser, type Org, type User } from './support/fixtures.js';

interface Actor {
  orgId?: string | null;
  userId?: string | null;
  role: string;
}

const ORG_ROLES = ['owner', 'admin', 'member', 'viewer'];

/**
 * One transaction as the given role: as the app role, through a signed tenant_begin() as
 * TenantTransactions opens it (an impossible context is refused there, SQLSTATE RKA01/RKA02); as
 * the owner role, with the settings alone (which the policies trust for the owner only).
 */
async function as<T>(pool: pg.Pool, a: Actor, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    if ((await c.query(`SELECT current_user AS u`)).rows[0].u === 'rocker_owner') {
      await c.query(
        `SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true), set_config('app.actor_role', $3, true),
                set_config('app.request_id', 'db-test', true)`,
        [a.orgId ?? '', a.userId ?? '', a.role],
      );
    } else {
      await beginTenant(c, {
        orgId: a.orgId ?? null,
        userId: a.userId ?? null,
        role: ORG_ROLES.includes(a.role) ? a.role : null,
        actorRole: a.role || 'system',
        requestId: 'db-test',
      });
    }
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  } finally {
    c.release();
  }
}

/** Settles a statement as "refused" (SQLSTATE), or the number of rows it touched. */
const outcome = (p: Promise<pg.QueryResult>) =>
  p.then(
    (r) => ({ rows: r.rowCount ?? 0, code: undefined as string | undefined }),
    (e: { code?: string }) => ({ rows: 0, code: e.code }),
  );

/** Flag tables at the database, as the app role: a route that forgot @SuperAdmin() still cannot write. */
describe('feature flag tables as the app role', () => {
  let db: TestDb;
  let app: pg.Pool;
  let a: Org;
  let b: Org;
  let root: User;
  let owner: User;

  const snapshot = async () =>
    (
      await db.owner.query(
        `SELECT (SELECT coalesce(jsonb_agg(f ORDER BY key), '[]') FROM feature_flags f) AS flags,
                (SELECT count(*)::int FROM feature_flag_audit) AS audit`,
      )
    ).rows[0];
  const overridesOf = async (org: Org) =>
    (await as(db.owner, { orgId: org.id, role: '' }, (c) => c.query(`SELECT flag_key, enabled FROM feature_flag_overrides ORDER BY 1`))).rows;

  beforeAll(async () => {
    db = await createTestDb();
    app = db.pool(db.appUrl, 2);
    a = await createOrg(db.owner);
    b = await createOrg(db.owner);
    root = await createUser(db.owner, { superAdmin: true });
    owner = await createUser(db.owner);
    await addMember(db.owner, a, owner, 'owner');
    await as(app, { userId: root.id, role: 'super_admin' }, async (c) => {
      await c.query(`INSERT INTO feature_flags (key, default_enabled, rollout_percent) VALUES ('hybrid_search', false, 10)`);
      await c.query(`INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, 'hybrid_search', true), ($2, 'hybrid_search', false)`, [a.id, b.id]);
    });
  });

  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  const nonSuperAdmins = (): [string, Actor][] => [
    ['org owner with its org', { orgId: a.id, userId: owner.id, role: 'owner' }],
    ['member role', { orgId: a.id, userId: owner.id, role: 'member' }],
    ['system (no user)', { orgId: a.id, role: 'system' }],
    ['nothing set', { role: '' }],
    ['forged super_admin actor, user not a super_admin', { orgId: a.id, userId: owner.id, role: 'super_admin' }],
    ['super_admin user without the super_admin actor', { orgId: a.id, userId: root.id, role: 'owner' }],
  ];

  it('direct writes by anyone but a super_admin fail or touch nothing', async () => {
    const before = { ...(await snapshot()), a: await overridesOf(a), b: await overridesOf(b) };
    for (const [name, actor] of nonSuperAdmins()) {
      const stmts: [string, string, unknown[]][] = [
        ['insert flag', `INSERT INTO feature_flags (key, default_enabled) VALUES ('tts_streaming', false)`, []],
        ['upsert flag', `INSERT INTO feature_flags (key, default_enabled) VALUES ('hybrid_search', true) ON CONFLICT (key) DO UPDATE SET default_enabled = true`, []],
        ['update flag', `UPDATE feature_flags SET rollout_percent = 100`, []],
        ['delete flag', `DELETE FROM feature_flags`, []],
        ['insert own override', `INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, 'tts_streaming', false)`, [a.id]],
        ['insert other override', `INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, 'tts_streaming', false)`, [b.id]],
        ['update overrides', `UPDATE feature_flag_overrides SET enabled = NOT enabled`, []],
        ['delete overrides', `DELETE FROM feature_flag_overrides`, []],
        ['insert audit', `INSERT INTO feature_flag_audit (actor_user_id, flag_key, action) VALUES ($1, 'hybrid_search', 'update')`, [owner.id]],
        ['update audit', `UPDATE feature_flag_audit SET after = '{}'`, []],
        ['delete audit', `DELETE FROM feature_flag_audit`, []],
      ];
      for (const [what, sql, params] of stmts) {
        const r = await outcome(as(app, actor, (c) => c.query(sql, params)));
        // refused by a policy or a grant (42501), or the forged context by tenant_begin() itself
        if (r.code) expect(['42501', 'RKA01', 'RKA02'], `${name}: ${what}: ${r.code}`).toContain(r.code);
        else expect(r.rows, `${name}: ${what}`).toBe(0);
      }
    }
    expect({ ...(await snapshot()), a: await overridesOf(a), b: await overridesOf(b) }).toEqual(before);
  });

  it('everyone reads flags; an org reads only its own overrides; a super_admin reads all', async () => {
    const flags = await as(app, { orgId: a.id, userId: owner.id, role: 'owner' }, (c) => c.query(`SELECT key FROM feature_flags`));
    expect(flags.rows).toEqual([{ key: 'hybrid_search' }]);
    const own = await as(app, { orgId: a.id, userId: owner.id, role: 'owner' }, (c) => c.query(`SELECT org_id FROM feature_flag_overrides`));
    expect(own.rows).toEqual([{ org_id: a.id }]);
    const none = await as(app, { userId: owner.id, role: 'user' }, (c) => c.query(`SELECT org_id FROM feature_flag_overrides`));
    expect(none.rows).toEqual([]);
    const all = await as(app, { userId: root.id, role: 'super_admin' }, (c) => c.query(`SELECT org_id FROM feature_flag_overrides`));
    expect(all.rows.map((r) => r.org_id).sort()).toEqual([a.id, b.id].sort());
    const audit = await as(app, { orgId: a.id, userId: owner.id, role: 'owner' }, (c) => c.query(`SELECT id FROM feature_flag_audit`));
    expect(audit.rows).toEqual([]);
  });

  it("a super_admin's write leaves one audit row with actor, before, after and request id", async () => {
    const n0 = (await snapshot()).audit;
    await as(app, { userId: root.id, role: 'super_admin' }, (c) => c.query(`UPDATE feature_flags SET rollout_percent = 40 WHERE key = 'hybrid_search'`));
    const rows = (await db.owner.query(`SELECT * FROM feature_flag_audit ORDER BY id DESC LIMIT 1`)).rows;
    expect((await snapshot()).audit).toBe(n0 + 1);
    expect(rows[0]).toMatchObject({
      actor_user_id: root.id,
      flag_key: 'hybrid_search',
      target_org_id: null,
      action: 'update',
      request_id: 'db-test',
      before: expect.objectContaining({ rollout_percent: 10 }),
      after: expect.objectContaining({ rollout_percent: 40 }),
    });
  });

  it('the audit log is append-only, for the owner role too', async () => {
    await expect(db.owner.query(`UPDATE feature_flag_audit SET after = NULL`)).rejects.toMatchObject({ code: '42501' });
    await expect(db.owner.query(`DELETE FROM feature_flag_audit`)).rejects.toMatchObject({ code: '42501' });
    await expect(db.owner.query(`TRUNCATE feature_flag_audit`)).rejects.toMatchObject({ code: '42501' });
  });

  it('refuses a rollout outside 0..100 and a malformed key', async () => {
    const su = { userId: root.id, role: 'super_admin' };
    await expect(as(app, su, (c) => c.query(`UPDATE feature_flags SET rollout_percent = 101`))).rejects.toMatchObject({ code: '23514' });
    await expect(as(app, su, (c) => c.query(`INSERT INTO feature_flags (key) VALUES ('Bad Key')`))).rejects.toMatchObject({ code: '23514' });
  });
});
