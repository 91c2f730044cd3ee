import pg from 'pg';
import { signDevToken } from '../../src/tenancy/dev-token.js';

export interface BenchOrg {
  org: string;
  user: string;
  /** The owner's bearer token, its claim naming the org. */
  token: string;
}

export interface BenchOrgs {
  /** An org with an owner and 200 threads, and the owner's token. */
  make(slug: string): Promise<BenchOrg>;
  /** A user with no membership (or a super admin). */
  user(email: string, superAdmin?: boolean): Promise<string>;
  /** Runs `fn` on the owner connection in a transaction scoped to `org`. */
  asOrg(org: string, fn: (c: pg.Client) => Promise<unknown>): Promise<void>;
  close(): Promise<void>;
}

/** Fixtures for a benchmark's database, written as its owner role. */
export async function benchOrgs(
  ownerUrl: string,
  jwt: { JWT_SECRET: string; JWT_ISSUER: string; JWT_AUDIENCE: string },
): Promise<BenchOrgs> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  const asOrg = async (org: string, fn: (c: pg.Client) => Promise<unknown>) => {
    await owner.query('BEGIN');
    try {
      await owner.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
      await fn(owner);
      await owner.query('COMMIT');
    } catch (e) {
      await owner.query('ROLLBACK');
      throw e;
    }
  };
  const user = async (email: string, superAdmin = false) =>
    (
      await owner.query(`INSERT INTO users (email, is_super_admin) VALUES ($1, $2) RETURNING id`, [
        email,
        superAdmin,
      ])
    ).rows[0].id as string;
  const make = async (slug: string): Promise<BenchOrg> => {
    const org = (await owner.query(`INSERT INTO orgs (slug, name) VALUES ($1, $1) RETURNING id`, [slug]))
      .rows[0].id as string;
    const id = await user(`owner@${slug}.test`);
    await asOrg(org, async (c) => {
      await c.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [org, id]);
      await c.query(
        `INSERT INTO rocker_threads (org_id, title, created_by) SELECT $1, 'thread ' || g, $2 FROM generate_series(1, 200) g`,
        [org, id],
      );
    });
    return { org, user: id, token: await signDevToken(jwt, { sub: id, org_id: org }, 3600) };
  };
  return { make, user, asOrg, close: () => owner.end().catch(() => undefined) };
}
