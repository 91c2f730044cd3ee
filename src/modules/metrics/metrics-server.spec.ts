import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gauge } from 'prom-client';
import { serveMetrics, type MetricsServer } from './metrics-server.js';
import { onScrape } from './scrape-hooks.js';

const TOKEN = 'worker-metrics-token-0123456789';

describe(serveMetrics.name, () => {
  let sut: MetricsServer;
  let ready = true;
  let base: string;
  const probe = new Gauge({ name: 'rocker_spec_probe', help: 'set by a scrape hook in this spec' });
  let scrapes = 0;
  const off = onScrape(() => {
    scrapes += 1;
    probe.set(scrapes);
  });
  const offFailing = onScrape(() => {
    throw new Error('a broken hook never fails the scrape');
  });

  beforeAll(async () => {
    sut = await serveMetrics({ port: 0, host: '127.0.0.1', token: TOKEN, ready: async () => ready });
    base = `http://127.0.0.1:${sut.port}`;
  });

  afterAll(async () => {
    off();
    offFailing();
    await sut.close();
  });

  it('refuses /metrics without its token (401 problem+json)', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.text()).not.toContain('rocker_');
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('serves the default registry with scrape hooks run first', async () => {
    const res = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(new RegExp(`^rocker_spec_probe ${scrapes}$`, 'm'));
    expect(text).toContain('rocker_http_request_duration_seconds');
    expect(text).toContain('rocker_process_cpu_user_seconds_total');
  });

  it('answers the health probes; readiness follows the callback', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    ready = false;
    expect((await fetch(`${base}/health/ready`)).status).toBe(503);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });
});
