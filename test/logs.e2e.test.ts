import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import http from 'node:http';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { envVarsOf, startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { until } from './support/wait.js';

/**
 * The top-level keys of a JSON object as written, duplicates included (JSON.parse keeps only the
 * last of two equal keys, so the raw text is what shows a repeated field).
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      let k = j + 1;
      while (text[k] === ' ') k++;
      if (depth === 1 && text[k] === ':') keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      i = j;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return keys;
}

const duplicates = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);

/** The log lines of a real API process (its stdout, pino JSON), for a request with a tenant. */
describe('log lines of a running API process', () => {
  let db: TestDb;
  let api: ServiceProcess;
  let org: Awaited<ReturnType<typeof orgWithRoles>>;

  beforeAll(async () => {
    db = await createTestDb();
    // refusals paced (the last test): no other test here reaches a limit
    api = await startServiceProcess('api', envVarsOf(envFor(db.appUrl, db.ownerUrl, { LOG_LEVEL: 'info', RATE_LIMIT_REFUSAL_PACE_MS: '3000' })));
    org = await orgWithRoles(db.owner);
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  it('the key scanner sees a repeated key that JSON.parse hides', () => {
    expect(duplicates(topLevelKeys('{"a":1,"b":{"a":2},"c":"x\\":","a":3}'))).toEqual(['a']);
    expect(duplicates(topLevelKeys('{"a":[{"b":1},{"b":2}],"b":"}"}'))).toEqual([]);
  });

  it('a request\'s access log line carries request_id, org_id, actor_role and user_id, each once', async () => {
    const rid = `logtest-${Date.now()}`;
    const res = await fetch(`${api.url}/v1/threads`, { headers: { Authorization: `Bearer ${org.tokens.admin}`, 'X-Request-Id': rid } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(rid);
    const line = await until(
      () => api.stdout().split('\n').find((l) => l.includes(`"${rid}"`) && l.includes('"res"')),
      15_000,
      'the access log line',
      100,
    );
    expect(duplicates(topLevelKeys(line))).toEqual([]);
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({ request_id: rid, org_id: org.org.id, actor_role: 'admin', user_id: org.users.admin.id, res: { statusCode: 200 } });
    expect(line).not.toContain(org.tokens.admin); // the bearer token is redacted
  });

  it('no line the process wrote repeats a key', async () => {
    // a 404 and a 401 too: lines from the error paths
    await fetch(`${api.url}/v1/threads/00000000-0000-4000-8000-000000000000`, { headers: { Authorization: `Bearer ${org.tokens.member}` } });
    await fetch(`${api.url}/v1/threads`);
    const lines = await until(() => {
      const ls = api.stdout().split('\n').filter((l) => l.startsWith('{'));
      return ls.filter((l) => l.includes('"res"')).length >= 3 ? ls : undefined;
    }, 15_000, 'three access log lines', 100);
    const bad = lines.filter((l) => duplicates(topLevelKeys(l)).length).map((l) => `${duplicates(topLevelKeys(l))}: ${l.slice(0, 200)}`);
    expect(bad).toEqual([]);
  });

  it('a client that leaves while its refusal is paced gets an access line too: 499, request abandoned', async () => {
    const root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
    const E = await orgWithRoles(db.owner);
    const put = await fetch(`${api.url}/v1/admin/orgs/${E.org.id}/limits`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${root}`, 'content-type': 'application/json' },
      body: JSON.stringify({ api: { limit: 1, window_s: 60 } }),
    });
    expect(put.status).toBe(200);
    // the one request its bucket holds; the instance now knows the bucket empty
    expect((await fetch(`${api.url}/v1/org`, { headers: { Authorization: `Bearer ${E.tokens.member}` } })).status).toBe(200);

    const rid = `abandoned-${Date.now()}`;
    const { hostname, port } = new URL(api.url);
    const req = http.get({ host: hostname, port, path: '/v1/org', headers: { authorization: `Bearer ${E.tokens.member}`, 'x-request-id': rid } });
    req.on('error', () => undefined);
    const held = new RegExp(`rocker_ratelimit_held\\{org="${E.org.id}"\\} 1\\b`);
    await until(async () => {
      const m = await fetch(`${api.url}/metrics`, { headers: { Authorization: `Bearer ${TEST_ENV_VARS.METRICS_TOKEN}` } });
      return held.test(await m.text());
    }, 2_500, 'the request held (well inside the 3 s pace)', 50);
    req.destroy();
    const line = await until(() => api.stdout().split('\n').find((l) => l.includes(`"${rid}"`)), 2_500, 'the abandoned line', 50);
    expect(JSON.parse(line)).toMatchObject({ request_id: rid, org_id: E.org.id, msg: 'request abandoned', res: { statusCode: 499 } });
    expect(duplicates(topLevelKeys(line))).toEqual([]);
  });

  it('a client that leaves halfway through its JSON body is logged once, as abandoned (499, info), never as an error', async () => {
    const rid = `half-body-${Date.now()}`;
    const { hostname, port } = new URL(api.url);
    const req = http.request({
      host: hostname,
      port,
      method: 'POST',
      path: '/v1/threads',
      headers: { authorization: `Bearer ${org.tokens.member}`, 'content-type': 'application/json', 'content-length': 50, 'x-request-id': rid },
      agent: false, // a connection of its own: a pooled one would be connected already
    });
    req.on('error', () => undefined);
    req.write('{"title":"x"');
    // written before another request's connection opened, its part is read before that request is
    // answered: the service holds it, waiting for the rest of the body, when the client leaves
    const within = <T>(what: string, p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within 10 s`)), 10_000).unref())]);
    await within('connected', new Promise<void>((resolve) => req.once('socket', (s) => (s.connecting ? s.once('connect', () => resolve()) : resolve()))));
    await within('the part written', new Promise<void>((resolve) => req.write('', () => resolve())));
    // another org's request: the held one has its org's admission turn (taken before a small body
    // is read), which a request of the same org may wait for (a 60 s hang in clean-clone CI)
    const other = await orgWithRoles(db.owner);
    const probe = await fetch(`${api.url}/v1/org`, { headers: { Authorization: `Bearer ${other.tokens.member}` }, signal: AbortSignal.timeout(10_000) });
    expect(probe.status).toBe(200);
    req.destroy();
    const line = await until(() => api.stdout().split('\n').find((l) => l.includes(`"${rid}"`)), 5_000, 'the abandoned line', 50);
    expect(JSON.parse(line)).toMatchObject({ request_id: rid, org_id: org.org.id, msg: 'request abandoned', res: { statusCode: 499 } });
    // a later request's line is written after anything this one logs
    const after = `after-${rid}`;
    await fetch(`${api.url}/v1/org`, { headers: { Authorization: `Bearer ${org.tokens.member}`, 'X-Request-Id': after } });
    await until(() => api.stdout().includes(`"${after}"`), 5_000, 'the next request\'s line', 50);
    const mine = api.stdout().split('\n').filter((l) => l.includes(`"${rid}"`));
    expect(mine, mine.join('\n')).toHaveLength(1);
  });
});
