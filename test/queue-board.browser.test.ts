import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor, type User } from './support/fixtures.js';
import { until } from './support/wait.js';
import { JobKind } from '../src/modules/ingest/ingest.types.js';
import { ADMIN_COOKIE, AdminSessions } from '../src/modules/queue-board/admin-session.js';

/** Debian's chromium (scripts/setup.sh installs it); playwright-core drives it and downloads nothing. */
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A person opens the queue board in a real browser (headless Chromium over plain http on loopback). */
describe('queue board in a browser', () => {
  let db: TestDb;
  let t: TestApp;
  let browser: Browser;
  let root: User;
  let rootToken: string;
  let ownerToken: string;
  let ownerId: string;
  const contexts: BrowserContext[] = [];
  const context = async () => {
    const c = await browser.newContext();
    contexts.push(c);
    return c;
  };

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM}: run scripts/setup.sh (apt-get install chromium)`).toBe(true);
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    root = await createUser(db.owner, { superAdmin: true });
    rootToken = await tokenFor(root);
    const A = await orgWithRoles(db.owner);
    ownerToken = A.tokens.owner;
    ownerId = A.users.owner.id;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await db?.drop();
  });

  it('a super_admin opens /admin/queues, is sent to the sign-in form, signs in and sees every queue', async () => {
    const page = await (await context()).newPage();
    await page.goto(`${t.url}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', rootToken);
    await Promise.all([page.waitForURL(`${t.url}/admin/queues`), page.click('button[type=submit]')]);
    // The board's own UI (a React app) loads its queue list through /admin/queues/api with the cookie.
    for (const kind of Object.values(JobKind)) await page.getByText(kind, { exact: true }).first().waitFor({ timeout: 30_000 });
    const [cookie] = await page.context().cookies();
    // Chromium kept a Secure cookie from http://127.0.0.1 (loopback counts as a secure context).
    expect(cookie).toMatchObject({ name: ADMIN_COOKIE, path: '/admin', httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(cookie.expires * 1000 - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000 + 5000);
    // Its script cannot read it (HttpOnly), and the API does not take it as a credential.
    expect(await page.evaluate('document.cookie')).toBe('');
    const api = await page.evaluate(async () => (await fetch('/v1/org')).status);
    expect(api).toBe(401);
  }, 90_000);

  it('an org owner (not super_admin) signing in is refused and gets no cookie', async () => {
    const page = await (await context()).newPage();
    await page.goto(`${t.url}/admin/login`);
    await page.fill('#token', ownerToken);
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(res.status()).toBe(403);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not a platform super_admin/);
    expect(await page.context().cookies()).toEqual([]);
  });

  it('a validly signed cookie of a non-super_admin is refused by every board route', async () => {
    const c = await context();
    const sessions = AdminSessions.fromSecrets(undefined, TEST_ENV.JWT_SECRET)!;
    await c.addCookies([{ name: ADMIN_COOKIE, value: sessions.issue(ownerId), url: `${t.url}/admin`, httpOnly: true, secure: true, sameSite: 'Strict' }]);
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await c.request.get(`${t.url}${path}`);
      expect(res.status(), path).toBe(403);
      expect(res.headers()['content-type']).toMatch(/application\/problem\+json/);
    }
    // and a tampered or expired one is no session at all
    const forged = sessions.issue(root.id).replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    const expired = sessions.issue(root.id, Date.now() - 16 * 60 * 1000);
    for (const value of [forged, expired]) {
      await c.clearCookies();
      await c.addCookies([{ name: ADMIN_COOKIE, value, url: `${t.url}/admin`, httpOnly: true, secure: true, sameSite: 'Strict' }]);
      expect((await c.request.get(`${t.url}/admin/queues/api/queues`)).status()).toBe(401);
    }
  });

  it('a super_admin demoted after signing in loses the board on the next request', async () => {
    const demoted = await createUser(db.owner, { superAdmin: true });
    const page = await (await context()).newPage();
    await page.goto(`${t.url}/admin/login`);
    await page.fill('#token', await tokenFor(demoted));
    await Promise.all([page.waitForURL(`${t.url}/admin/queues`), page.click('button[type=submit]')]);
    expect((await page.context().request.get(`${t.url}/admin/queues/api/queues`)).status()).toBe(200);
    await db.owner.query(`UPDATE users SET is_super_admin = false WHERE id = $1`, [demoted.id]);
    await until(async () => (await page.context().request.get(`${t.url}/admin/queues/api/queues`)).status() === 403, 5_000, 'the demotion to take effect');
  });

  it('a sign-in posted from another site is refused (login CSRF)', async () => {
    const res = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ token: rootToken }),
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
