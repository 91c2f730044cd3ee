import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { signDevToken } from '../../src/tenancy/dev-token.js';
import type { OrgRole } from '../../src/tenancy/tenant-context.js';
import { asOrg } from './db.js';
import { TEST_ENV } from './env.js';

export interface Org {
  id: string;
  slug: string;
}
export interface User {
  id: string;
  email: string;
}

const suffix = () => randomBytes(4).toString('hex');

export async function createOrg(owner: pg.Pool, slug = `org-${suffix()}`): Promise<Org> {
  const r = await owner.query<{ id: string }>(`INSERT INTO orgs (slug, name) VALUES ($1, $1) RETURNING id`, [slug]);
  return { id: r.rows[0].id, slug };
}

export async function createUser(owner: pg.Pool, opts: { superAdmin?: boolean; email?: string } = {}): Promise<User> {
  const email = opts.email ?? `u-${suffix()}@test.local`;
  const r = await owner.query<{ id: string }>(
    `INSERT INTO users (email, is_super_admin) VALUES ($1, $2) RETURNING id`,
    [email, opts.superAdmin ?? false],
  );
  return { id: r.rows[0].id, email };
}

export async function addMember(owner: pg.Pool, org: Org, user: User, role: OrgRole): Promise<void> {
  await asOrg(owner, org.id, (c) =>
    c.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)`, [org.id, user.id, role]),
  );
}

export function tokenFor(user: User, opts: { orgId?: string; ttl?: number } = {}): Promise<string> {
  return signDevToken(TEST_ENV, { sub: user.id, org_id: opts.orgId }, opts.ttl ?? 3600);
}

/** An org with one user per role, and their tokens. */
export async function orgWithRoles(owner: pg.Pool) {
  const org = await createOrg(owner);
  const users = {} as Record<OrgRole, User>;
  const tokens = {} as Record<OrgRole, string>;
  for (const role of ['owner', 'admin', 'member', 'viewer'] as OrgRole[]) {
    users[role] = await createUser(owner);
    await addMember(owner, org, users[role], role);
    tokens[role] = await tokenFor(users[role]);
  }
  return { org, users, tokens };
}
