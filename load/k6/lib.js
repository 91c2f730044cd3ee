// Shared helpers of the k6 scripts (k6 is not installed on the build machine: `node --check` keeps them valid).
import http from 'k6/http';
import { check } from 'k6';

/** Both API instances (comma list): requests alternate between them, like a round-robin balancer. */
export const BASE_URLS = (__ENV.BASE_URLS || 'http://127.0.0.1:3000').split(',').map((s) => s.trim().replace(/\/$/, ''));

export function baseUrl() {
  return BASE_URLS[(__VU + __ITER) % BASE_URLS.length];
}

export function auth(token) {
  return { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
}

/** The noisy org's 429s are expected answers, not failures; its 5xx are. */
export const noisyExpected = http.expectedStatuses({ min: 200, max: 299 }, 429);

export function cheapRead(org, token, params = {}) {
  const res = http.get(`${baseUrl()}/v1/threads?limit=20`, { headers: auth(token), tags: { org, route: 'threads_list', kind: 'cheap' }, ...params });
  check(res, { 'no 5xx': (r) => r.status < 500 }, { org });
  return res;
}

export function knowledgeWrite(org, token, i, params = {}) {
  const body = JSON.stringify({ title: `${org} note ${i}`, text: `Note ${i} of ${org}: one tenant must not slow another down.` });
  const res = http.post(`${baseUrl()}/v1/knowledge`, body, { headers: auth(token), tags: { org, route: 'knowledge_create', kind: 'write' }, ...params });
  check(res, { 'no 5xx': (r) => r.status < 500 }, { org });
  return res;
}

/** Costly routes of the platform; COSTLY_ROUTES (comma list) picks which exist in the deployment under test. */
const COSTLY = {
  tts: { path: '/v1/tts', body: { text: 'Hello from the load test.' } },
  embeddings: { path: '/v1/embeddings', body: { input: 'a quiet tenant asks a short question' } },
  search: { path: '/v1/search/private', body: { query: 'fair queues', k: 5 } },
};
export const COSTLY_ROUTES = (__ENV.COSTLY_ROUTES || 'tts,embeddings').split(',').map((s) => s.trim()).filter((s) => COSTLY[s]);

export function costly(org, token, i, params = {}) {
  const name = COSTLY_ROUTES[i % COSTLY_ROUTES.length];
  if (!name) return cheapRead(org, token, params);
  const c = COSTLY[name];
  const res = http.post(`${baseUrl()}${c.path}`, JSON.stringify(c.body), { headers: auth(token), tags: { org, route: name, kind: 'costly' }, ...params });
  check(res, { 'no 5xx': (r) => r.status < 500 }, { org });
  return res;
}
