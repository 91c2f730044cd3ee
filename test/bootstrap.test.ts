import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { buildApp } from './support/app.js';
import { createApp } from '../src/bootstrap.js';
import { routeMetadata } from '../src/common/decorators/route-metadata.js';
import { TenantGuard } from '../src/common/guards/tenant.guard.js';
import { AdmissionGuard } from '../src/common/guards/admission.guard.js';
import { RolesGuard } from '../src/common/guards/roles.guard.js';
import { SuperAdminGuard } from '../src/common/guards/super-admin.guard.js';
import { RateLimitGuard } from '../src/modules/limits/rate-limit.guard.js';

/**
 * The suites build the app from a testing module (support/app.ts, for Nest's overrides); main
 * builds it with NestFactory. Both must run the same configuration: same routes with the same
 * hooks in the same order, same plugins, same OpenAPI document, same answers.
 */
describe('the tests\' app is configured as production\'s (configureApp)', () => {
  let db: TestDb;
  let prod: NestFastifyApplication;
  let test: NestFastifyApplication;

  beforeAll(async () => {
    db = await createTestDb();
    const env = envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api' });
    prod = await createApp(env);
    test = await buildApp(env);
  });

  afterAll(async () => {
    await prod?.close();
    await test?.close();
    await db?.drop();
  });

  const fastify = (app: NestFastifyApplication) => app.getHttpAdapter().getInstance();

  it('same routes, each with the same hooks in the same order, and the same plugins', async () => {
    await Promise.all([fastify(prod).ready(), fastify(test).ready()]); // route hooks are listed once ready
    const routes = (app: NestFastifyApplication) => fastify(app).printRoutes({ commonPrefix: false, includeHooks: true, includeMeta: false });
    expect(routes(prod)).toContain('runMiddie()');
    expect(routes(test)).toBe(routes(prod));
    const plugins = (app: NestFastifyApplication) => fastify(app).printPlugins().replace(/\d+ ms/g, '');
    expect(plugins(test)).toBe(plugins(prod));
  });

  it('the guards read route metadata through the one memoised Reflector (RouteMetadata)', () => {
    for (const app of [prod, test]) {
      for (const guard of [TenantGuard, AdmissionGuard, RolesGuard, SuperAdminGuard])
        expect((app.get(guard) as unknown as { reflector: unknown }).reflector).toBe(routeMetadata);
      expect((app.get(RateLimitGuard) as unknown as { reflector: unknown }).reflector).toBe(routeMetadata);
    }
  });

  it('the same OpenAPI document', async () => {
    const doc = async (app: NestFastifyApplication) => (await app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    const a = await doc(prod);
    expect(Object.keys(a.paths)).toContain('/v1/threads');
    expect(await doc(test)).toEqual(a);
  });

  it.each([
    ['no token', { method: 'GET', url: '/v1/org' }],
    ['an unknown route', { method: 'GET', url: '/nope' }],
    ['malformed JSON', { method: 'POST', url: '/v1/threads', headers: { 'content-type': 'application/json' }, payload: '{"a":' }],
    ['JSON too deep', { method: 'POST', url: '/v1/threads', headers: { 'content-type': 'application/json' }, payload: '['.repeat(200) + ']'.repeat(200) }],
    ['a public route', { method: 'GET', url: '/health/live', headers: { 'x-request-id': 'req-same-0001' } }],
  ] as const)('the same answer to %s', async (_, req) => {
    const answer = async (app: NestFastifyApplication) => {
      const r = await app.inject(req);
      const body = r.headers['content-type']?.toString().includes('json') ? { ...r.json(), request_id: undefined } : r.body;
      return { status: r.statusCode, type: r.headers['content-type'], body, requestIdHeader: typeof r.headers['x-request-id'] };
    };
    const a = await answer(prod);
    expect(a.requestIdHeader).toBe('string');
    expect(await answer(test)).toEqual(a);
  });
});
