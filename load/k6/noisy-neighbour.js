// k6 noisy-neighbour scenario: a steady quiet org, a noisy org at 10x its quota on cheap and costly
// routes across both API instances, and an ingest backlog from the noisy org.
//
//   k6 run -e BASE_URLS=http://api-1:3000,http://api-2:3000 \
//          -e QUIET_TOKEN=... -e NOISY_TOKEN=... \
//          -e NOISY_LIMIT=50 -e WINDOW_S=10 -e QUIET_P95_MS=250 load/k6/noisy-neighbour.js
//
// PHASE=alone runs the quiet org only (the baseline: note its p95, then set QUIET_P95_MS to 1.25x it).
// Set the noisy org's quota first (super_admin): PUT /v1/admin/orgs/:orgId/limits {"api":{"limit":NOISY_LIMIT,"window_s":WINDOW_S}}.
import { Counter } from 'k6/metrics';
import { cheapRead, costly, knowledgeWrite, noisyExpected } from './lib.js';

const QUIET_TOKEN = __ENV.QUIET_TOKEN;
const NOISY_TOKEN = __ENV.NOISY_TOKEN;
const PHASE = __ENV.PHASE || 'flood';
const DURATION = __ENV.DURATION || '60s';
const QUIET_RPS = Number(__ENV.QUIET_RPS || 10);
const NOISY_LIMIT = Number(__ENV.NOISY_LIMIT || 50);
const WINDOW_S = Number(__ENV.WINDOW_S || 10);
const FLOOD_FACTOR = Number(__ENV.FLOOD_FACTOR || 10);
const BACKLOG = Number(__ENV.BACKLOG || 2000);
const QUIET_P95_MS = Number(__ENV.QUIET_P95_MS || 250);
const QUIET_P99_MS = Number(__ENV.QUIET_P99_MS || QUIET_P95_MS * 1.5 / 1.25);

// 10x the noisy org's quota, split: cheap reads 60%, costly 30%, writes 10%.
const floodRps = (FLOOD_FACTOR * NOISY_LIMIT) / WINDOW_S;

const quiet429 = new Counter('quiet_429');
const noisy5xx = new Counter('noisy_5xx');
const noisy429 = new Counter('noisy_429');

const steady = (exec, rate, extra = {}) => ({
  executor: 'constant-arrival-rate',
  exec,
  rate: Math.max(1, Math.round(rate)),
  timeUnit: '1s',
  duration: DURATION,
  preAllocatedVUs: Math.max(5, Math.round(rate)),
  maxVUs: Math.max(50, Math.round(rate * 10)),
  ...extra,
});

const scenarios = {
  quiet_reads: steady('quietReads', QUIET_RPS, { tags: { org: 'quiet' } }),
  quiet_writes: steady('quietWrites', Math.max(1, QUIET_RPS / 10), { tags: { org: 'quiet' } }),
};
if (PHASE === 'flood') {
  Object.assign(scenarios, {
    noisy_cheap: steady('noisyCheap', floodRps * 0.6, { tags: { org: 'noisy' } }),
    noisy_costly: steady('noisyCostly', floodRps * 0.3, { tags: { org: 'noisy' } }),
    noisy_writes: steady('noisyWrites', floodRps * 0.1, { tags: { org: 'noisy' } }),
    // The ingest backlog: BACKLOG knowledge items as fast as 16 VUs go (set the noisy quota after it, or raise it for it).
    noisy_backlog: { executor: 'shared-iterations', exec: 'noisyBacklog', vus: 16, iterations: BACKLOG, maxDuration: DURATION, tags: { org: 'noisy' } },
  });
}

export const options = {
  scenarios,
  thresholds: {
    'http_req_duration{org:quiet}': [`p(95)<${QUIET_P95_MS}`, `p(99)<${QUIET_P99_MS}`],
    'http_req_failed{org:quiet}': ['rate==0'],
    quiet_429: ['count==0'],
    noisy_5xx: ['count==0'],
    // The noisy org must be limited when it floods (only meaningful in the flood phase).
    ...(PHASE === 'flood' ? { noisy_429: ['count>0'] } : {}),
  },
};

function countQuiet(res) {
  if (res.status === 429) quiet429.add(1);
}
function countNoisy(res) {
  if (res.status >= 500 || res.status === 0) noisy5xx.add(1);
  if (res.status === 429) noisy429.add(1);
}

export function quietReads() {
  countQuiet(cheapRead('quiet', QUIET_TOKEN));
}
export function quietWrites() {
  countQuiet(knowledgeWrite('quiet', QUIET_TOKEN, __ITER));
}
export function noisyCheap() {
  countNoisy(cheapRead('noisy', NOISY_TOKEN, { responseCallback: noisyExpected }));
}
export function noisyCostly() {
  countNoisy(costly('noisy', NOISY_TOKEN, __ITER, { responseCallback: noisyExpected }));
}
export function noisyWrites() {
  countNoisy(knowledgeWrite('noisy', NOISY_TOKEN, __ITER, { responseCallback: noisyExpected }));
}
export function noisyBacklog() {
  countNoisy(knowledgeWrite('noisy', NOISY_TOKEN, __ITER, { responseCallback: noisyExpected }));
}
