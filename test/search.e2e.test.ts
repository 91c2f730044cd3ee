import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import pg from 'pg';
import { asOrg, asTenant, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { TenantTransactions } from '../src/tenancy/tenant-context.js';
import { EmbedItemService } from '../src/modules/search/embed-item.service.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/** Private and market search through the API with the real local model (USE lite, 512-d). */
describe('search and marketplace', () => {
  let db: TestDb;
  let t: TestApp;
  let app: pg.Pool;
  let A: Tenant;
  let B: Tenant;
  const items: Record<string, string> = {};

  const as = (tok: string) => ({
    post: (path: string, body?: object) => request(t.url).post(path).set('Authorization', `Bearer ${tok}`).send(body),
    get: (path: string) => request(t.url).get(path).set('Authorization', `Bearer ${tok}`),
    del: (path: string) => request(t.url).delete(path).set('Authorization', `Bearer ${tok}`),
  });

  async function embed(orgId: string, itemId: string) {
    const tx = t.app.get(TenantTransactions);
    return tx.run({ requestId: 'test', userId: null, orgId, role: null, isSuperAdmin: false }, () =>
      t.app.get(EmbedItemService).embedItem(itemId),
    );
  }

  async function createItem(tenant: Tenant, title: string, text: string): Promise<string> {
    const id = (await as(tenant.tokens.owner).post('/v1/knowledge', { title, text }).expect(201)).body.id as string;
    await expect(embed(tenant.org.id, id)).resolves.toMatchObject({ status: 'ready' });
    return id;
  }

  beforeAll(async () => {
    db = await createTestDb();
    // No queue workers here (ROCKER_ROLE=api): these tests embed by hand, and the pipeline would race them.
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api' }));
    app = db.pool(db.appUrl, 2);
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
    // hybrid ranking is behind the hybrid_search flag (default off): on for everyone here
    const root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
    await request(t.url)
      .put('/v1/admin/flags/hybrid_search')
      .set('Authorization', `Bearer ${root}`)
      .send({ enabled: true, rollout_percent: 100 })
      .expect(200);
    items.aPassword = await createItem(
      A,
      'A help',
      'To reset your password, open the account settings and choose "forgot password". We email you a link.',
    );
    items.aWeather = await createItem(A, 'A weather', 'The forecast says heavy rain and strong winds along the coast tomorrow.');
    items.aCooking = await createItem(A, 'A cooking', 'Simmer the tomatoes with garlic and olive oil for twenty minutes to make the sauce.');
    items.bSecret = await createItem(
      B,
      'B secret',
      'B secret: how to change a forgotten password for the globex admin console, step by step.',
    );
  });

  afterAll(async () => {
    await app?.end();
    await t?.close();
    await db?.drop();
  });

  describe('private search', () => {
    it('ranks a paraphrase above unrelated text (semantic sanity with the local model)', async () => {
      const res = await as(A.tokens.viewer).post('/v1/search/private', { query: 'I forgot my login credentials, how can I change them?', k: 3 }).expect(200);
      expect(res.body.mode).toBe('vector');
      expect(res.body.data).toHaveLength(3);
      expect(res.body.data[0].knowledge_item_id).toBe(items.aPassword);
      expect(res.body.data[0].score).toBeGreaterThan(res.body.data[1].score);
      expect(Object.keys(res.body.data[0]).sort()).toEqual(['chunk_id', 'chunk_index', 'content', 'knowledge_item_id', 'score']);
    });

    it("never returns another org's chunks, however close they are", async () => {
      for (const mode of ['vector', 'hybrid']) {
        const res = await as(A.tokens.owner).post('/v1/search/private', { query: 'forgotten password admin console globex', k: 50, mode }).expect(200);
        expect(res.body.data.length).toBe(3); // all of A's chunks, none of B's
        expect(JSON.stringify(res.body)).not.toMatch(/B secret|globex/);
      }
      const b = await as(B.tokens.owner).post('/v1/search/private', { query: 'password', k: 5 }).expect(200);
      expect(b.body.data.map((h: { knowledge_item_id: string }) => h.knowledge_item_id)).toEqual([items.bSecret]);
    });

    it("match_private_chunks with B's id answers nothing while A is set", async () => {
      const vec = (await asOrg(db.owner, B.org.id, (c) => c.query(`SELECT embedding::text AS v FROM private_chunks LIMIT 1`))).rows[0].v;
      const asA = await asTenant(app, { orgId: A.org.id }, (c) => c.query(`SELECT * FROM match_private_chunks($1, $2::vector, 10)`, [B.org.id, vec]));
      expect(asA.rows).toHaveLength(0);
      // and nothing with no org set at all
      const none = await asTenant(app, { orgId: null }, (c) => c.query(`SELECT * FROM match_private_chunks($1, $2::vector, 10)`, [B.org.id, vec]));
      expect(none.rows).toHaveLength(0);
      const asB = await asTenant(app, { orgId: B.org.id }, (c) => c.query(`SELECT * FROM match_private_chunks($1, $2::vector, 10)`, [B.org.id, vec]));
      expect(asB.rows).toHaveLength(1);
    });

    it('hybrid mode fuses full-text and vector ranks', async () => {
      const res = await as(A.tokens.member).post('/v1/search/private', { query: 'tomatoes garlic', k: 2, mode: 'hybrid' }).expect(200);
      expect(res.body.mode).toBe('hybrid');
      expect(res.body.data[0].knowledge_item_id).toBe(items.aCooking);
      // found by both lists: 1/(60+1) + 1/(60+1)
      expect(res.body.data[0].score).toBeCloseTo(2 / 61, 6);
    });

    it('re-embedding leaves exactly one set of chunks and drops stale indexes', async () => {
      const long = Array.from({ length: 40 }, (_, i) => `Sentence ${i} explains one more detail of the onboarding process.`).join(' ');
      const id = await createItem(A, 'A long', long);
      const count = async () =>
        (await asOrg(db.owner, A.org.id, (c) => c.query(`SELECT count(*)::int AS n, max(chunk_index) AS m FROM private_chunks WHERE knowledge_item_id = $1`, [id]))).rows[0];
      const first = await count();
      expect(first.n).toBeGreaterThan(1);
      await expect(embed(A.org.id, id)).resolves.toEqual({ status: 'ready', chunks: first.n });
      expect(await count()).toEqual(first);
      // shorter text: the extra chunk indexes go away
      await asOrg(db.owner, A.org.id, (c) => c.query(`UPDATE knowledge_items SET content_text = 'Now it is short.' WHERE id = $1`, [id]));
      await expect(embed(A.org.id, id)).resolves.toEqual({ status: 'ready', chunks: 1 });
      expect(await count()).toEqual({ n: 1, m: 0 });
      const item = await as(A.tokens.owner).get(`/v1/knowledge/${id}`).expect(200);
      expect(item.body.status).toBe('ready');
      await as(A.tokens.owner).del(`/v1/knowledge/${id}`).expect(204);
    });

    it('an item with no text is marked failed; a deleted item is skipped', async () => {
      const id = (await as(A.tokens.owner).post('/v1/knowledge', { title: 'empty', html: '<p> </p>' }).expect(201)).body.id;
      await expect(embed(A.org.id, id)).resolves.toMatchObject({ status: 'failed' });
      expect((await as(A.tokens.owner).get(`/v1/knowledge/${id}`).expect(200)).body).toMatchObject({ status: 'failed' });
      await as(A.tokens.owner).del(`/v1/knowledge/${id}`).expect(204);
      await expect(embed(A.org.id, id)).resolves.toEqual({ status: 'missing' });
      // B cannot embed A's item either: it is invisible under B
      await expect(embed(B.org.id, items.aPassword)).resolves.toEqual({ status: 'missing' });
    });
  });

  describe('marketplace', () => {
    let listingId: string;

    it('only an admin of the item org may publish', async () => {
      const member = await as(A.tokens.member).post(`/v1/knowledge/${items.aWeather}/publish`);
      expect(member.status).toBe(403);
      const other = await as(B.tokens.owner).post(`/v1/knowledge/${items.aWeather}/publish`);
      expect(other.status).toBe(404);
      const res = await as(A.tokens.admin).post(`/v1/knowledge/${items.aWeather}/publish`).expect(201);
      expect(res.body).toMatchObject({ publisher_org_id: A.org.id, title: 'A weather', chunk_count: 1 });
      listingId = res.body.id;
      // publishing again refreshes the same listing
      const again = await as(A.tokens.owner).post(`/v1/knowledge/${items.aWeather}/publish`).expect(201);
      expect(again.body.id).toBe(listingId);
    });

    it('an item that is not embedded cannot be published (409)', async () => {
      const id = (await as(A.tokens.owner).post('/v1/knowledge', { title: 'raw', text: 'not embedded yet' }).expect(201)).body.id;
      const res = await as(A.tokens.owner).post(`/v1/knowledge/${id}/publish`);
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it("market search finds any org's published chunks and nothing unpublished", async () => {
      for (const tok of [B.tokens.viewer, A.tokens.viewer]) {
        const res = await as(tok).post('/v1/search/market', { query: 'storm and rain warning for the seaside', k: 10 }).expect(200);
        expect(res.body.data).toHaveLength(1);
        expect(res.body.data[0]).toMatchObject({ listing_id: listingId, content: expect.stringContaining('heavy rain') });
        expect(JSON.stringify(res.body)).not.toMatch(/password|tomatoes|B secret/);
      }
      const hybrid = await as(B.tokens.viewer).post('/v1/search/market', { query: 'rain', k: 5, mode: 'hybrid' }).expect(200);
      expect(hybrid.body.mode).toBe('hybrid');
      expect(hybrid.body.data.map((h: { listing_id: string }) => h.listing_id)).toEqual([listingId]);
    });

    it('lists listings with cursor pagination, to any signed-in user', async () => {
      await as(A.tokens.admin).post(`/v1/knowledge/${items.aCooking}/publish`).expect(201);
      await as(B.tokens.admin).post(`/v1/knowledge/${items.bSecret}/publish`).expect(201);
      const p1 = await as(B.tokens.viewer).get('/v1/market/listings?limit=2').expect(200);
      expect(p1.body.data).toHaveLength(2);
      expect(p1.body.next_cursor).toEqual(expect.any(String));
      const p2 = await as(B.tokens.viewer).get(`/v1/market/listings?limit=2&cursor=${p1.body.next_cursor}`).expect(200);
      expect(p2.body.data).toHaveLength(1);
      expect(p2.body.next_cursor).toBeNull();
      const ids = [...p1.body.data, ...p2.body.data].map((l: { id: string }) => l.id);
      expect(new Set(ids).size).toBe(3);
      expect(ids).toContain(listingId);
    });

    it("only the publishing org's admin may unpublish; unpublishing removes the chunks", async () => {
      expect((await as(A.tokens.member).del(`/v1/market/listings/${listingId}`)).status).toBe(403);
      expect((await as(B.tokens.owner).del(`/v1/market/listings/${listingId}`)).status).toBe(404);
      // the database refuses too, whatever the route does: B set, admin actor role
      const direct = await asTenant(app, { orgId: B.org.id, userId: B.users.owner.id, role: 'owner' }, async (c) => {
        return c.query(`DELETE FROM market_listings WHERE id = $1`, [listingId]);
      });
      expect(direct.rowCount).toBe(0);
      const stillThere = await as(B.tokens.viewer).post('/v1/search/market', { query: 'rain', k: 10 }).expect(200);
      expect(stillThere.body.data.some((h: { listing_id: string }) => h.listing_id === listingId)).toBe(true);

      await as(A.tokens.admin).del(`/v1/market/listings/${listingId}`).expect(204);
      const after = await as(B.tokens.viewer).post('/v1/search/market', { query: 'storm and rain warning for the seaside', k: 50 }).expect(200);
      expect(after.body.data.some((h: { listing_id: string }) => h.listing_id === listingId)).toBe(false);
      expect(JSON.stringify(after.body)).not.toMatch(/heavy rain/);
      expect((await as(A.tokens.admin).del(`/v1/market/listings/${listingId}`)).status).toBe(404);
    });

    it('market writes from a member actor are refused by the database', async () => {
      await expect(
        asTenant(app, { orgId: A.org.id, userId: A.users.member.id, role: 'member' }, async (c) => {
          await c.query(`INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) VALUES ($1, gen_random_uuid(), 'x')`, [A.org.id]);
        }),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(
        asTenant(app, { orgId: A.org.id, userId: A.users.admin.id, role: 'admin' }, async (c) => {
          await c.query(`INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) VALUES ($1, gen_random_uuid(), 'x')`, [B.org.id]);
        }),
      ).rejects.toMatchObject({ code: '42501' });
    });

    const marketHas = async (listingId: string) => {
      const res = await as(B.tokens.viewer).post('/v1/search/market', { query: 'lighthouse keeper logbook on the northern cape', k: 50 }).expect(200);
      return res.body.data.some((h: { listing_id: string }) => h.listing_id === listingId);
    };
    const listingsOf = async (itemId: string) =>
      (await db.owner.query(`SELECT count(*)::int AS n FROM market_listings WHERE knowledge_item_id = $1`, [itemId])).rows[0].n as number;

    it('deleting a published item: a member gets 409 and nothing changes; an admin deletes it and its listing with it', async () => {
      const id = await createItem(A, 'A lighthouse', 'The lighthouse keeper logbook records every ship passing the northern cape.');
      const listingId = (await as(A.tokens.admin).post(`/v1/knowledge/${id}/publish`).expect(201)).body.id as string;
      expect(await marketHas(listingId)).toBe(true);

      const refused = await as(A.tokens.member).del(`/v1/knowledge/${id}`);
      expect(refused.status).toBe(409);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(refused.body.detail).toContain(listingId);
      await as(A.tokens.member).get(`/v1/knowledge/${id}`).expect(200);
      expect(await marketHas(listingId)).toBe(true);

      await as(A.tokens.admin).del(`/v1/knowledge/${id}`).expect(204);
      await as(A.tokens.admin).get(`/v1/knowledge/${id}`).expect(404);
      expect(await listingsOf(id)).toBe(0);
      expect(await marketHas(listingId)).toBe(false);
      const listed = await as(B.tokens.viewer).get('/v1/market/listings?limit=100').expect(200);
      expect(listed.body.data.some((l: { id: string }) => l.id === listingId)).toBe(false);
    });

    it('a member may delete an unpublished item (204)', async () => {
      const id = (await as(A.tokens.member).post('/v1/knowledge', { title: 'A draft', text: 'a draft nobody published' }).expect(201)).body.id as string;
      await as(A.tokens.member).del(`/v1/knowledge/${id}`).expect(204);
      await as(A.tokens.member).get(`/v1/knowledge/${id}`).expect(404);
    });

    it('no listing outlives its item, whatever path deletes it (foreign key, cascading past RLS)', async () => {
      const id = await createItem(A, 'A lighthouse 2', 'A second lighthouse keeper logbook from the northern cape, kept by night.');
      const listingId = (await as(A.tokens.admin).post(`/v1/knowledge/${id}/publish`).expect(201)).body.id as string;
      // plain SQL as the app role with a member actor: RLS would not let this actor delete the listing itself
      const deleted = await asTenant(app, { orgId: A.org.id, userId: A.users.member.id, role: 'member' }, async (c) => {
        expect((await c.query(`DELETE FROM market_listings WHERE id = $1`, [listingId])).rowCount).toBe(0);
        return c.query(`DELETE FROM knowledge_items WHERE id = $1`, [id]);
      });
      expect(deleted.rowCount).toBe(1);
      expect(await listingsOf(id)).toBe(0);
      expect((await db.owner.query(`SELECT count(*)::int AS n FROM market_chunks WHERE listing_id = $1`, [listingId])).rows[0].n).toBe(0);
      expect(await marketHas(listingId)).toBe(false);
    });

    it('a listing cannot name an item its org does not have', async () => {
      await expect(
        asTenant(app, { orgId: A.org.id, userId: A.users.admin.id, role: 'admin' }, async (c) => {
          await c.query(`INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) VALUES ($1, $2, 'x')`, [A.org.id, items.bSecret]);
        }),
      ).rejects.toMatchObject({ code: '23503' });
    });
  });

  describe('POST /v1/embeddings', () => {
    it('answers the OpenAI shape for a string and for an array', async () => {
      const one = await as(A.tokens.viewer).post('/v1/embeddings', { input: 'hello world', model: 'text-embedding-3-small' }).expect(200);
      expect(one.body).toMatchObject({ object: 'list', model: 'universal-sentence-encoder-lite', usage: { prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) } });
      expect(one.body.data).toHaveLength(1);
      expect(one.body.data[0]).toMatchObject({ object: 'embedding', index: 0 });
      expect(one.body.data[0].embedding).toHaveLength(512);
      expect(one.body.usage.prompt_tokens).toBeGreaterThan(0);

      const many = await as(A.tokens.viewer).post('/v1/embeddings', { input: ['first text', 'second text', 'third'] }).expect(200);
      expect(many.body.data.map((d: { index: number }) => d.index)).toEqual([0, 1, 2]);
      // same input, same vector (deterministic model), whether alone or in a batch
      const again = await as(A.tokens.viewer).post('/v1/embeddings', { input: ['first text'] }).expect(200);
      again.body.data[0].embedding.forEach((x: number, i: number) => expect(x).toBeCloseTo(many.body.data[0].embedding[i], 4));

      const b64 = await as(A.tokens.viewer).post('/v1/embeddings', { input: 'hello world', encoding_format: 'base64' }).expect(200);
      const decoded = new Float32Array(Uint8Array.from(Buffer.from(b64.body.data[0].embedding, 'base64')).buffer);
      expect(decoded.length).toBe(512);
      expect(decoded[0]).toBeCloseTo(one.body.data[0].embedding[0], 5);
    });

    it.each([
      ['no input', {}],
      ['empty string', { input: '' }],
      ['blank string', { input: '   ' }],
      ['empty array', { input: [] }],
      ['numbers', { input: [1, 2, 3] }],
      ['too many inputs', { input: Array.from({ length: 257 }, () => 'x') }],
      ['too long input', { input: 'x'.repeat(20_001) }],
      ['wrong dimensions', { input: 'x', dimensions: 1536 }],
      ['unknown field', { input: 'x', temperature: 1 }],
    ])('%s → 400 problem+json', async (_name, body) => {
      const res = await as(A.tokens.viewer).post('/v1/embeddings', body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });

  describe('bad search input', () => {
    it.each([
      ['k = 0', { query: 'x', k: 0 }],
      ['k = 51', { query: 'x', k: 51 }],
      ['k not an integer', { query: 'x', k: 2.5 }],
      ['k a string', { query: 'x', k: 'ten' }],
      ['empty query', { query: '' }],
      ['blank query', { query: '  \n ' }],
      ['query not a string', { query: ['a'] }],
      ['huge query', { query: 'word '.repeat(1000) }],
      ['unknown mode', { query: 'x', mode: 'magic' }],
    ])('%s → 400 problem+json on both indices', async (_name, body) => {
      for (const path of ['/v1/search/private', '/v1/search/market']) {
        const res = await as(A.tokens.viewer).post(path, body);
        expect(res.status, path).toBe(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 400, request_id: expect.any(String) });
      }
    });

    it('a body over the limit is 413, no token is 401', async () => {
      const res = await as(A.tokens.viewer).post('/v1/search/private', { query: 'x'.repeat(2 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const anon = await request(t.url).post('/v1/search/market').send({ query: 'rain' });
      expect(anon.status).toBe(401);
    });
  });

  it('a text changed while the model ran is embedded as it is now (told by its md5 in Postgres), an unchanged one as planned', async () => {
    const id = (await as(A.tokens.owner).post('/v1/knowledge', { title: 'moving', text: 'Old words about tides.' }).expect(201)).body.id as string;
    const tx = t.app.get(TenantTransactions);
    const embedder = t.app.get(EmbedItemService);
    const ctx = { requestId: 'test', userId: null, orgId: A.org.id, role: null, isSuperAdmin: false };
    const chunks = () => asOrg(db.owner, A.org.id, async (c) => (await c.query(`SELECT content FROM private_chunks WHERE knowledge_item_id = $1 ORDER BY chunk_index`, [id])).rows.map((r) => r.content as string));

    const same = (await tx.run(ctx, () => embedder.plan(id)))!;
    await tx.run(ctx, async () => embedder.write(same, await embedder.vectors(same)));
    expect(await chunks()).toEqual(['Old words about tides.']);

    const stale = (await tx.run(ctx, () => embedder.plan(id)))!;
    const vectors = await embedder.vectors(stale);
    await asOrg(db.owner, A.org.id, (c) => c.query(`UPDATE knowledge_items SET content_text = 'New words about dunes.' WHERE id = $1`, [id]));
    await expect(tx.run(ctx, () => embedder.write(stale, vectors))).resolves.toMatchObject({ status: 'ready' });
    expect(await chunks()).toEqual(['New words about dunes.']);
  });
});
