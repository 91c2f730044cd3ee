import pg from 'pg';
import { loadEnv } from '../src/config/env.js';
import { signDevToken } from '../src/tenancy/dev-token.js';
import { parseArgs } from './lib/args.js';
/** npm run token -- --user <email> [--org <slug>] [--ttl 1h] : a development JWT. */
function ttlSeconds(s) {
    const m = /^(\d+)([smhd]?)$/.exec(s);
    if (!m)
        throw new Error(`--ttl must look like 90s, 15m, 1h or 2d`);
    return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
}
async function main() {
    const env = loadEnv();
    if (env.NODE_ENV === 'production')
        throw new Error('npm run token refuses to run in production');
    const args = parseArgs(process.argv.slice(2));
    if (!args.user)
        throw new Error('usage: npm run token -- --user <email> [--org <slug>] [--ttl 1h]');
    const client = new pg.Client({ connectionString: env.DATABASE_OWNER_URL ?? env.DATABASE_URL });
    await client.connect();
    try {
        const user = await client.query('SELECT id FROM users WHERE email = lower($1)', [args.user]);
        if (!user.rows[0])
            throw new Error(`no user ${args.user} (run npm run seed?)`);
        let orgId;
        if (args.org) {
            const org = await client.query('SELECT id FROM orgs WHERE slug = $1', [args.org]);
            if (!org.rows[0])
                throw new Error(`no org ${args.org}`);
            orgId = org.rows[0].id;
        }
        const claims = { sub: user.rows[0].id, org_id: orgId, email: args.user.toLowerCase() };
        console.log(await signDevToken(env, claims, ttlSeconds(args.ttl ?? '1h')));
    }
    finally {
        await client.end();
    }
}
main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
//# sourceMappingURL=token.js.map