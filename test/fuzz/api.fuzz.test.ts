import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createTestDb, type TestDb } from '../support/db.js';
import { envFor } from '../support/env.js';
import { startApp, type TestApp } from '../support/app.js';
import { addMember, createOrg, createUser, orgWithRoles, tokenFor } from '../support/fixtures.js';
import { seedTenantRows } from '../support/tenant-rows.js';
import {
  collectIds,
  type Caller,
  type Fixture,
  type Operation,
  operationsOf,
  requestFor,
  type Sent,
} from './openapi-arbitraries.js';

/**
 * Property-based fuzzing of every operation in /docs/openapi.json: generated and mutated bodies,
 * query strings, path ids and headers, as callers of two orgs and a super_admin. Asserted: no 5xx,
 * problem+json on every 4xx, and no answer to one org's caller that carries the other org's ids
 * (beyond those the request itself sent). CI: a fixed seed and FUZZ_RUNS per operation;
 * `npm run fuzz` runs longer (FUZZ_RUNS, FUZZ_SEED).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
const REQUEST_TIMEOUT_MS = 20_000;

interface Finding {
  op: string;
  problem: string;
  sent: Omit<Sent, 'body'> & { body?: string };
  status: number;
  answer: string;
}

describe('API fuzzing from the OpenAPI document', () => {
  let db: TestDb;
  let t: TestApp;
  let fx: Fixture;
  let ops: Operation[];

  beforeAll(async () => {
    db = await createTestDb();
    // Dry-run limits: every request is still counted and answered with headers, none is refused,
    // so the runs reach the handlers instead of 429s.
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_DRY_RUN: 'api,search,embeddings,tts,crawl,ocr,user' }),
    );
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    const rootOrg = await createOrg(db.owner);
    const root = await createUser(db.owner, { superAdmin: true });
    await addMember(db.owner, rootOrg, root, 'owner');
    const rootToken = await tokenFor(root);

    const callers: Caller[] = [];
    for (const [org, tenant] of [
      ['A', A],
      ['B', B],
    ] as const) {
      for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
        callers.push({ name: `${org}.${role}`, org, token: tenant.tokens[role], orgId: tenant.org.id });
      }
    }
    callers.push({ name: 'root', org: 'root', token: rootToken, orgId: rootOrg.id });
    callers.push({ name: 'anonymous', org: 'none' });

    // Rows of both orgs, through the API and in every tenant table, whose ids must not cross over.
    const ids = { A: new Set<string>(), B: new Set<string>() };
    for (const [org, tenant] of [
      ['A', A],
      ['B', B],
    ] as const) {
      const api = async (method: string, path: string, body?: object) => {
        const res = await fetch(t.url + path, {
          method,
          headers: { authorization: `Bearer ${tenant.tokens.owner}`, 'content-type': 'application/json' },
          body: body ? JSON.stringify(body) : undefined,
        });
        expect(res.status, `${method} ${path}`).toBeLessThan(300);
        return (await res.json()) as Record<string, unknown>;
      };
      const thread = await api('POST', '/v1/threads', { title: `${org} fuzz thread` });
      await api('POST', `/v1/threads/${String(thread.id)}/messages`, {
        role: 'user',
        content: `${org} fuzz message`,
      });
      await api('POST', '/v1/knowledge', {
        title: `${org} fuzz knowledge`,
        text: `${org} fuzz text about rockets`,
      });
      for (const path of ['/v1/threads', '/v1/knowledge', '/v1/ingest/jobs', '/v1/org/members']) {
        for (const id of collectIds(await api('GET', path))) ids[org].add(id);
      }
      for (const id of collectIds(await seedTenantRows(db.owner, tenant.org))) ids[org].add(id);
      for (const u of Object.values(tenant.users)) ids[org].add(u.id);
    }
    // Org ids are public by design (a market listing names its publisher): rows and users are not.
    ids.A.delete(A.org.id);
    ids.B.delete(B.org.id);
    for (const id of ids.A) expect(ids.B.has(id)).toBe(false);

    fx = {
      callers,
      ids: { A: [...ids.A], B: [...ids.B] },
      orgIds: { A: A.org.id, B: B.org.id, root: rootOrg.id },
      userIds: [...Object.values(A.users), ...Object.values(B.users), root].map((u) => u.id),
    };
    const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as Record<string, unknown>;
    ops = operationsOf(doc);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('covers every operation of the document', () => {
    expect(ops.length).toBeGreaterThan(30);
    expect(ops.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'GET /v1/threads',
        'POST /v1/knowledge/upload',
        'POST /v1/tts',
        'PUT /v1/admin/orgs/{orgId}/limits',
      ]),
    );
  });

  it(
    `no 5xx, problem+json on every 4xx, no other org's ids (${RUNS} runs per operation, seed ${SEED})`,
    async () => {
      const findings: Finding[] = [];
      const stats: Record<string, Record<number, number>> = {};
      for (const [i, op] of ops.entries()) {
        const name = `${op.method} ${op.path}`;
        const result = await fc.check(
          fc.asyncProperty(requestFor(op, fx), async (sent) => {
            const problem = await probe(t.url, sent, fx, (status) => {
              const c = (stats[name] ??= {});
              c[status] = (c[status] ?? 0) + 1;
            });
            if (problem) findings.push({ op: name, ...problem });
            return !problem;
          }),
          // Shrinking over HTTP costs more than it tells: the first counterexample is reported as is.
          { numRuns: RUNS, seed: SEED + i, endOnFailure: true },
        );
        if (result.failed && !findings.some((f) => f.op === name)) {
          findings.push({
            op: name,
            problem: String(result.errorInstance),
            sent: { caller: '', method: op.method, url: op.path, headers: {} },
            status: 0,
            answer: '',
          });
        }
      }
      // Which answers the runs reached, per operation (a run of only 400s fuzzes the validator alone).
      if (process.env.FUZZ_STATS)
        console.log(
          Object.entries(stats)
            .map(([op, c]) => `${op} ${JSON.stringify(c)}`)
            .join('\n'),
        );
      const cut = (x: string) => (x.length > 400 ? `${x.slice(0, 400)}…(${x.length} chars)` : x);
      const shown = findings.map((f) => ({
        ...f,
        sent: { ...f.sent, url: cut(f.sent.url), body: cut(f.sent.body ?? '') },
      }));
      if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(shown, null, 1));
      expect(shown.map((f) => `${f.op}: ${f.problem}`)).toEqual([]);
    },
    240_000 + RUNS * 8_000,
  );
});

/** Sends one request; answers what is wrong with the response, or undefined. */
async function probe(
  base: string,
  sent: Sent,
  fx: Fixture,
  count: (status: number) => void,
): Promise<Omit<Finding, 'op'> | undefined> {
  const shown = {
    ...sent,
    body: typeof sent.body === 'string' ? sent.body.slice(0, 300) : sent.body ? '<multipart>' : undefined,
  };
  let res: Response;
  let text: string;
  try {
    res = await fetch(base + sent.url, {
      method: sent.method,
      headers: { ...sent.headers, 'x-request-id': `fuzz-${randomUUID()}` },
      body: sent.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = await res.text();
  } catch (e) {
    return { problem: `no answer: ${(e as Error).message}`, sent: shown, status: 0, answer: '' };
  }
  count(res.status);
  const answer = text.slice(0, 500);
  if (res.status >= 500) return { problem: `${res.status}`, sent: shown, status: res.status, answer };
  if (res.status >= 400) {
    const type = res.headers.get('content-type') ?? '';
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (
      !type.startsWith('application/problem+json') ||
      body?.status !== res.status ||
      typeof body.type !== 'string' ||
      typeof body.title !== 'string'
    ) {
      return { problem: `a ${res.status} that is not problem+json`, sent: shown, status: res.status, answer };
    }
  }
  // What the caller's org must never see: the other org's ids, unless the request itself named them.
  const caller = fx.callers.find((c) => c.name === sent.caller);
  const others =
    caller?.org === 'A'
      ? fx.ids.B
      : caller?.org === 'B'
        ? fx.ids.A
        : caller?.org === 'root' && !sent.url.startsWith('/v1/admin/')
          ? [...fx.ids.A, ...fx.ids.B]
          : [];
  const asked = JSON.stringify(sent).toLowerCase();
  const seen = (text + JSON.stringify([...res.headers])).toLowerCase();
  const leaked = others.filter((id) => seen.includes(id) && !asked.includes(id));
  if (leaked.length)
    return {
      problem: `answer carries another org's ids: ${leaked.join(', ')}`,
      sent: shown,
      status: res.status,
      answer,
    };
  return undefined;
}
