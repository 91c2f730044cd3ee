import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { httpDuration } from '../../common/metrics/metrics.js';
import { installHttpMetrics, statusClass } from './http-metrics.js';

const count = async (labels: Record<string, string>): Promise<number> => {
  const data = await httpDuration.get();
  const hit = data.values.find(
    (v) => v.metricName === 'rocker_http_request_duration_seconds_count' && Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val),
  );
  return hit?.value ?? 0;
};

describe(installHttpMetrics.name, () => {
  let sut: FastifyInstance;

  beforeAll(async () => {
    sut = Fastify();
    installHttpMetrics(sut);
    sut.addHook('preHandler', async (req) => {
      const org = req.headers['x-test-org'];
      if (typeof org === 'string') (req as typeof req & { tenant?: unknown }).tenant = { orgId: org };
    });
    sut.get('/items/:id', async () => ({ ok: true }));
    sut.get('/boom', async (_req, reply) => reply.status(503).send({}));
    await sut.ready();
  });

  afterAll(() => sut.close());

  it('labels by route template, method, status class and org', async () => {
    const before = await count({ route: '/items/:id', method: 'GET', status_class: '2xx', org: 'org-spec-1' });
    await sut.inject({ method: 'GET', url: '/items/123?q=secret', headers: { 'x-test-org': 'org-spec-1' } });
    await sut.inject({ method: 'GET', url: '/items/456', headers: { 'x-test-org': 'org-spec-1' } });
    expect(await count({ route: '/items/:id', method: 'GET', status_class: '2xx', org: 'org-spec-1' })).toBe(before + 2);
    const raw = (await httpDuration.get()).values.filter((v) => String(v.labels.route).includes('123'));
    expect(raw).toEqual([]);
  });

  it('counts unknown routes under one label and error answers by class, without an org', async () => {
    const before404 = await count({ route: 'unmatched', status_class: '4xx', org: 'none' });
    const before5xx = await count({ route: '/boom', status_class: '5xx', org: 'none' });
    await sut.inject({ method: 'GET', url: '/nope/1' });
    await sut.inject({ method: 'GET', url: '/nope/2' });
    await sut.inject({ method: 'GET', url: '/boom' });
    expect(await count({ route: 'unmatched', status_class: '4xx', org: 'none' })).toBe(before404 + 2);
    expect(await count({ route: '/boom', status_class: '5xx', org: 'none' })).toBe(before5xx + 1);
  });
});

describe(statusClass.name, () => {
  it.each([
    [200, '2xx'],
    [204, '2xx'],
    [302, '3xx'],
    [401, '4xx'],
    [429, '4xx'],
    [503, '5xx'],
    [0, 'other'],
    [999, 'other'],
  ])('%i → %s', (code, cls) => {
    expect(statusClass(code)).toBe(cls);
  });
});
