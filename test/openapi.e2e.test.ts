import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import type { paths } from './client/schema.js';
import { clientTypesFor, SCHEMA_PATH } from '../scripts/gen-client.js';

interface Operation { operationId?: string; tags?: string[]; responses: Record<string, { content?: Record<string, unknown> }> }

/** The OpenAPI document as served: every operation documents its client errors as problem+json. */
describe('OpenAPI document', () => {
  let db: TestDb;
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>> };
  let docText: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    docText = await (await fetch(`${t.url}/docs/openapi.json`)).text();
    doc = JSON.parse(docText) as typeof doc;
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('every operation documents at least one 4xx, and every 4xx/5xx is application/problem+json', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m]) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
        .map(([m, op]) => ({ name: `${m.toUpperCase()} ${path}`, op })),
    );
    expect(ops.length).toBeGreaterThan(40);
    // The probes take nothing a client sends (no token, no body, no parameter): they have no 4xx.
    const probes = ops.filter(({ op }) => op.tags?.includes('health')).map((o) => o.name);
    expect(probes.sort()).toEqual(['GET /health/live', 'GET /health/ready']);
    const no4xx = ops.filter(({ name, op }) => !probes.includes(name) && !Object.keys(op.responses).some((c) => /^4\d\d$/.test(c))).map((o) => o.name);
    expect(no4xx).toEqual([]);
    const notProblem = ops.flatMap(({ name, op }) =>
      Object.entries(op.responses)
        .filter(([c, r]) => /^[45]/.test(c) && !r.content?.['application/problem+json'])
        .map(([c]) => `${name} ${c}`),
    );
    expect(notProblem).toEqual([]);
  });
});

/**
 * A client generated from the served document (openapi-typescript → test/client/schema.d.ts, used
 * through openapi-fetch): a contract change that breaks clients fails here, by drift of the committed
 * types, by the type check of the calls below, or by the answers they get.
 */
describe('the typed client generated from /docs/openapi.json', () => {
  let db: TestDb;
  let t: TestApp;
  let org: Awaited<ReturnType<typeof orgWithRoles>>;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    org = await orgWithRoles(db.owner);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('reads the org, creates, reads, renames and lists a thread, and gets typed problems', async () => {
    const client = createClient<paths>({ baseUrl: t.url, headers: { Authorization: `Bearer ${org.tokens.admin}` } });
    const me = await client.GET('/v1/org');
    expect(me.response.status).toBe(200);
    expect(me.data).toMatchObject({ id: org.org.id, slug: org.org.slug, role: 'admin', is_super_admin: false });

    const created = await client.POST('/v1/threads', { body: { title: 'typed' } });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const read = await client.GET('/v1/threads/{id}', { params: { path: { id } } });
    expect(read.data?.title).toBe('typed');
    const renamed = await client.PATCH('/v1/threads/{id}', { params: { path: { id } }, body: { title: 'renamed' } });
    expect(renamed.data?.title).toBe('renamed');
    const list = await client.GET('/v1/threads', { params: { query: { limit: 10 } } });
    expect(list.data?.data.map((x) => x.id)).toEqual([id]);

    const missing = await client.GET('/v1/threads/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ status: 404, title: expect.any(String), request_id: expect.any(String) });
    const invalid = await client.POST('/v1/threads', { body: { title: '' } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error?.errors).toHaveProperty('title');
    const anonymous = await createClient<paths>({ baseUrl: t.url }).GET('/v1/org');
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('the committed schema types are what the served document generates (else: npm run gen:client)', async () => {
    const served = await (await fetch(`${t.url}/docs/openapi.json`)).text();
    expect((await clientTypesFor(served)) === readFileSync(SCHEMA_PATH, 'utf8'), 'test/client/schema.d.ts drifted: run npm run gen:client').toBe(true);
  }, 60_000);
});
