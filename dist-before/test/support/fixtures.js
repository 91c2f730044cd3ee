import { randomBytes } from 'node:crypto';
import { signDevToken } from '../../src/tenancy/dev-token.js';
import { asOrg } from './db.js';
import { TEST_ENV } from './env.js';
const suffix = () => randomBytes(4).toString('hex');
export async function createOrg(owner, slug = `org-${suffix()}`) {
    const r = await owner.query(`INSERT INTO orgs (slug, name) VALUES ($1, $1) RETURNING id`, [slug]);
    return { id: r.rows[0].id, slug };
}
export async function createUser(owner, opts = {}) {
    const email = opts.email ?? `u-${suffix()}@test.local`;
    const r = await owner.query(`INSERT INTO users (email, is_super_admin) VALUES ($1, $2) RETURNING id`, [email, opts.superAdmin ?? false]);
    return { id: r.rows[0].id, email };
}
export async function addMember(owner, org, user, role) {
    await asOrg(owner, org.id, (c) => c.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)`, [org.id, user.id, role]));
}
export function tokenFor(user, opts = {}) {
    return signDevToken(TEST_ENV, { sub: user.id, org_id: opts.orgId }, opts.ttl ?? 3600);
}
/** An org with one user per role, and their tokens. */
export async function orgWithRoles(owner) {
    const org = await createOrg(owner);
    const users = {};
    const tokens = {};
    for (const role of ['owner', 'admin', 'member', 'viewer']) {
        users[role] = await createUser(owner);
        await addMember(owner, org, users[role], role);
        tokens[role] = await tokenFor(users[role]);
    }
    return { org, users, tokens };
}
//# sourceMappingURL=fixtures.js.map