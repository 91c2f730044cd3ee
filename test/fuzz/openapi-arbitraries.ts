import fc from 'fast-check';

/** fast-check arbitraries for requests to the operations of an OpenAPI 3 document. */

type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query' | 'header'; required: boolean; schema: Schema }[];
  json?: Schema;
  multipart?: Schema;
  /** The whole document, for $refs. */
  doc: Schema;
}

export interface Caller {
  name: string;
  org: 'A' | 'B' | 'root' | 'none';
  token?: string;
  orgId?: string;
}

export interface Fixture {
  callers: Caller[];
  /** Row and user ids of each org (not the org ids themselves). */
  ids: { A: string[]; B: string[] };
  orgIds: { A: string; B: string; root: string };
  userIds: string[];
}

export interface Sent {
  caller: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | FormData;
}

const UUID_G = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export function collectIds(value: unknown): string[] {
  return [...new Set((JSON.stringify(value).match(UUID_G) ?? []).map((s) => s.toLowerCase()))];
}

export function operationsOf(doc: Schema): Operation[] {
  const deref = (s: Schema | undefined, seen = 0): Schema => {
    if (!s) return {};
    if (s.$ref && seen < 20)
      return deref(
        s.$ref
          .split('/')
          .slice(1)
          .reduce((o: Schema, k: string) => o?.[k], doc),
        seen + 1,
      );
    return s;
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Schema) => {
        const d = deref(p);
        return { name: d.name, in: d.in, required: !!d.required, schema: d.schema ?? {} };
      });
      const content = deref(op.requestBody)?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        params: params.filter((p) => ['path', 'query', 'header'].includes(p.in)),
        json: content['application/json']?.schema,
        multipart: content['multipart/form-data']?.schema,
        doc,
      });
    }
  }
  return ops;
}

function resolve(s: Schema, doc: Schema): Schema {
  let out = s;
  for (let i = 0; out?.$ref && i < 20; i++)
    out = out.$ref
      .split('/')
      .slice(1)
      .reduce((o: Schema, k: string) => o?.[k], doc);
  return out ?? {};
}

// ---- junk -------------------------------------------------------------------------------------

const nasty = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\uffff',
  '🚀👩‍👩‍👧',
  'ﷺ',
  '%00',
  '%',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"; DROP TABLE orgs; --',
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  'null',
  'true',
  '-1',
  '0',
  '1e309',
  '-0',
  'NaN',
  'Infinity',
  '9'.repeat(40),
  '2026-01-01T00:00:00+23:00',
  '0000-00-00',
  '2026-02-30',
  '10000-01-01',
  'infinity',
  '-infinity',
  'epoch',
  'allballs',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '{00000000-0000-4000-8000-000000000000}',
  '00000000000040008000000000000000',
  'http://127.0.0.1:1/',
  'http://169.254.169.254/latest/meta-data/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'a'.repeat(1000),
  '\\',
  '[]',
  '{}',
  '!(a & b) | "c" <-> d:*',
  '*',
  '__proto__',
  'constructor',
];

const huge = fc.constantFrom(10_000, 70_000, 300_000, 1_100_000).map((n) => 'x'.repeat(n));
const hugeWords = fc
  .constantFrom(20_000, 200_000)
  .map((n) => Array.from({ length: n }, (_, i) => `w${i}`).join(' '));

/** Some of the time, else null (fc.option's freq is the odds of null, the other way round). */
const sometimes = <T>(arb: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | null> =>
  fc.oneof(
    { weight: Math.round((1 - p) * 100), arbitrary: fc.constant(null) },
    { weight: Math.round(p * 100), arbitrary: arb },
  );

export const junkString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nasty) },
  { weight: 2, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: hugeWords },
);

/** For URLs: mostly short, so that most requests get past the router's length limits. */
const urlJunk: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nasty) },
  { weight: 2, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
  { weight: 1, arbitrary: fc.constantFrom(120, 1000, 20_000).map((n) => 'x'.repeat(n)) },
);

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: junkString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      1e308,
      -1e308,
      2 ** 53 + 1,
      2 ** 31,
      -(2 ** 31) - 1,
      0.5,
      [],
      {},
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.array(junkString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 3000 }, (_, i) => `s${i}`)) },
);

/** Header values must be printable ASCII, or the client refuses to send them. */
const headerJunk = fc.oneof(
  fc.constantFrom(
    '',
    'nope',
    '0',
    '-1',
    "' OR 1=1",
    'a'.repeat(8000),
    '00000000-0000-0000-0000-000000000000',
  ),
  fc.stringMatching(/^[!-~][ -~]{0,60}$/),
);

// ---- values from schemas ----------------------------------------------------------------------

interface Pools {
  ids: string[];
  fx: Fixture;
}

function fromSchema(s0: Schema, doc: Schema, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(s0, doc);
  const value = ((): fc.Arbitrary<unknown> => {
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.const !== undefined) return fc.constant(s.const);
    const alts = s.oneOf ?? s.anyOf;
    if (alts?.length) return fc.oneof(...alts.map((a: Schema) => fromSchema(a, doc, pools, depth + 1)));
    if (s.allOf?.length) {
      const merged = s.allOf
        .map((a: Schema) => resolve(a, doc))
        .reduce(
          (m: Schema, a: Schema) => ({
            ...m,
            ...a,
            properties: { ...m.properties, ...a.properties },
            required: [...(m.required ?? []), ...(a.required ?? [])],
          }),
          { type: 'object' },
        );
      return fromSchema(merged, doc, pools, depth + 1);
    }
    const type = Array.isArray(s.type)
      ? s.type[0]
      : (s.type ?? (s.properties ? 'object' : s.items ? 'array' : undefined));
    switch (type) {
      case 'string':
        return stringFor(s, pools);
      case 'integer':
        return fc.integer({ min: s.minimum ?? -5, max: s.maximum ?? Math.max(100, s.minimum ?? 0) });
      case 'number':
        return fc.double({ min: s.minimum ?? -5, max: s.maximum ?? 1000, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return depth > 4
          ? fc.constant([])
          : fc.array(fromSchema(s.items ?? {}, doc, pools, depth + 1), {
              minLength: s.minItems ?? 0,
              maxLength: Math.min(s.maxItems ?? 4, 4),
            });
      case 'object': {
        if (depth > 4) return fc.constant({});
        const props = Object.fromEntries(
          Object.entries<Schema>(s.properties ?? {}).map(([k, v]) => [
            k,
            fromSchema(v, doc, pools, depth + 1),
          ]),
        );
        const record = fc.record(props, {
          requiredKeys: (s.required ?? []).filter((k: string) => k in props),
        });
        const extra =
          s.additionalProperties && typeof s.additionalProperties === 'object'
            ? s.additionalProperties
            : undefined;
        if (!extra) return record;
        return fc
          .tuple(
            record,
            fc.dictionary(
              fc.constantFrom('api', 'search', 'tts', 'embeddings', 'crawl', 'ocr', 'user', 'x'),
              fromSchema(extra, doc, pools, depth + 1),
              { maxKeys: 3 },
            ),
          )
          .map(([r, d]) => ({ ...d, ...r }));
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  })();
  return s.nullable ? fc.option(value, { nil: null, freq: 5 }) : value;
}

function stringFor(s: Schema, pools: Pools): fc.Arbitrary<string> {
  switch (s.format) {
    case 'uuid':
      return fc.oneof(fc.constantFrom(...pools.ids), fc.uuid());
    case 'uri':
    case 'url':
      return fc.oneof(
        fc.webUrl(),
        fc.constantFrom(
          'http://127.0.0.1:1/x',
          'http://localhost/',
          'http://[::1]/',
          'https://example.invalid/a',
          'http://10.0.0.1/',
        ),
      );
    case 'email':
      return fc.emailAddress();
    case 'date-time':
      return fc
        .date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') })
        .map((d) => d.toISOString().slice(0, 10));
    case 'binary':
      return fc.string();
  }
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, 200);
  return fc.string({ minLength: min, maxLength: Math.max(min, max), unit: 'grapheme-ascii' });
}

/** A valid-looking value, changed in one place: a wrong type, a missing or extra field, junk, a huge string. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const o = value as Record<string, unknown>;
    const options: fc.Arbitrary<unknown>[] = [
      fc
        .tuple(
          fc.constantFrom('org_id', 'id', 'publisher_org_id', '__proto__', 'constructor', 'x'),
          junkValue,
        )
        .map(([k, v]) => ({ ...o, [k]: v })),
      junkValue,
    ];
    if (keys.length) {
      options.push(
        fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(o).filter(([kk]) => kk !== k))),
      );
      options.push(fc.tuple(fc.constantFrom(...keys), junkValue).map(([k, v]) => ({ ...o, [k]: v })));
      options.push(fc.constantFrom(...keys).chain((k) => mutate(o[k]).map((v) => ({ ...o, [k]: v }))));
    }
    return fc.oneof(...options);
  }
  if (Array.isArray(value)) {
    return fc.oneof(
      junkValue,
      fc.array(junkValue, { maxLength: 5 }),
      value.length
        ? fc
            .nat(value.length - 1)
            .chain((i) => mutate(value[i]).map((v) => value.map((x, j) => (i === j ? v : x))))
        : fc.constant([null]),
    );
  }
  return junkValue;
}

function valueFor(schema: Schema, doc: Schema, pools: Pools): fc.Arbitrary<unknown> {
  const valid = fromSchema(schema, doc, pools);
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: valid.chain(mutate) });
}

// ---- requests ---------------------------------------------------------------------------------

function cursorArb(pools: Pools): fc.Arbitrary<string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const emitted = fc
    .date({ noInvalidDate: true, min: new Date('1970-01-01'), max: new Date('2100-01-01') })
    .map((d) => d.toISOString().replace('Z', '000Z'));
  const ts = fc.oneof(
    emitted,
    // what the API emits with the zone changed: Postgres reads offsets up to ±15:59, refuses the rest
    fc
      .tuple(
        emitted,
        fc.constantFrom('+', '-'),
        fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 16, max: 99 })),
        fc.constantFrom(0, 30, 59, 60, 99),
      )
      .map(
        ([t, sign, h, m]) =>
          `${t.slice(0, -1)}${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
      ),
    fc.constantFrom(
      '2026-01-01T00:00:00.000001+23:00',
      '2026-01-01T00:00:00+99:99',
      '294277-01-01T00:00:00Z',
      '2026-02-30T00:00:00.000000Z',
      'infinity',
      'now',
      '',
    ),
    urlJunk,
  );
  const id = fc.oneof(fc.constantFrom(...pools.ids), fc.uuid(), urlJunk);
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(ts, id).map(([t, i]) => b64(`${t}|${i}`)) },
    urlJunk,
    fc.string().map(b64),
    fc.constant('1').map(b64),
  );
}

function pathValue(name: string, pools: Pools): fc.Arbitrary<string> {
  const { fx } = pools;
  const pool =
    name === 'orgId'
      ? [...Object.values(fx.orgIds)]
      : name === 'userId'
        ? fx.userIds
        : name === 'key'
          ? ['hybrid_search', 'tts_streaming', 'market_publish', 'fuzz_flag']
          : pools.ids;
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...pool) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: urlJunk },
  );
}

export function requestFor(op: Operation, fx: Fixture): fc.Arbitrary<Sent> {
  const doc = op.doc;
  const pools: Pools = { ids: [...fx.ids.A, ...fx.ids.B], fx };
  const caller = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...fx.callers.filter((c) => c.org === 'A' || c.org === 'B')) },
    { weight: 2, arbitrary: fc.constantFrom(...fx.callers.filter((c) => c.org === 'root')) },
    { weight: 1, arbitrary: fc.constantFrom(...fx.callers.filter((c) => c.org === 'none')) },
  );
  const pathParams = op.params.filter((p) => p.in === 'path');
  const path = fc
    .tuple(...pathParams.map((p) => pathValue(p.name, pools)))
    .map((values) =>
      pathParams.reduce(
        (acc, p, i) => acc.replace(`{${p.name}}`, encodeURIComponent(wellFormed(values[i]))),
        op.path,
      ),
    );
  const queryParams = op.params.filter((p) => p.in === 'query');
  const query = fc
    .tuple(
      fc.tuple(
        ...queryParams.map((p) =>
          fc.option(
            p.name === 'cursor' ? cursorArb(pools) : fc.oneof(fromSchema(p.schema, doc, pools), urlJunk),
            { freq: 2 },
          ),
        ),
      ),
      sometimes(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom('limit', 'cursor', 'org_id', 'from', 'to', '__proto__', 'a[b]'),
            fc.string(),
          ),
          urlJunk,
          { maxKeys: 3 },
        ),
        0.2,
      ),
    )
    .map(([values, extra]) => {
      const q = new URLSearchParams();
      queryParams.forEach((p, i) => {
        const v = values[i];
        if (v === null || v === undefined) return;
        for (const one of Array.isArray(v) ? v : [v])
          q.append(p.name, typeof one === 'object' ? JSON.stringify(one) : String(one));
      });
      for (const [k, v] of Object.entries(extra ?? {})) q.append(k, v);
      const s = q.toString();
      return s ? `?${s}` : '';
    });
  const orgHeader = (c: Caller) =>
    fc.option(
      fc.oneof(
        fc.constant(c.orgId ?? fx.orgIds.A),
        fc.constantFrom(...Object.values(fx.orgIds)),
        fc.uuid(),
        headerJunk,
      ),
      { freq: 2 },
    );
  const jsonType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-16',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
        'application/merge-patch+json',
        'application/json;;;',
      ),
    },
  );
  const rawJunk = fc.oneof(
    fc.constantFrom(
      '{"title":',
      '[]',
      'null',
      '""',
      '0',
      '{}',
      '{"a":1,"a":2}',
      '\u0000',
      '{"__proto__":{"admin":true}}',
    ),
    fc.string(),
    fc.json(),
  );
  const body: fc.Arbitrary<{ body?: string | FormData; type?: string }> = op.multipart
    ? fc.oneof(
        { weight: 4, arbitrary: multipartBody() },
        { weight: 1, arbitrary: fc.tuple(rawJunk, jsonType).map(([b, type]) => ({ body: b, type })) },
      )
    : op.json
      ? fc.oneof(
          {
            weight: 6,
            arbitrary: fc
              .tuple(valueFor(op.json, doc, pools), jsonType)
              .map(([v, type]) => ({ body: JSON.stringify(v) ?? 'null', type })),
          },
          { weight: 1, arbitrary: fc.tuple(rawJunk, jsonType).map(([b, type]) => ({ body: b, type })) },
          { weight: 1, arbitrary: fc.constant({}) },
        )
      : fc.oneof(
          { weight: 4, arbitrary: fc.constant({}) },
          { weight: 1, arbitrary: fc.tuple(rawJunk, jsonType).map(([b, type]) => ({ body: b, type })) },
        );
  const extraHeaders = sometimes(
    fc.record(
      {
        accept: fc.constantFrom('*/*', 'application/xml', 'text/event-stream', 'audio/wav'),
        'x-request-id': headerJunk,
        'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0'),
      },
      { requiredKeys: [] },
    ),
    0.3,
  );
  return caller.chain((c) =>
    fc
      .record({
        path,
        query,
        org: orgHeader(c),
        body,
        extra: extraHeaders,
        badAuth: sometimes(headerJunk, 0.05),
      })
      .map(({ path: p, query: q, org, body: b, extra, badAuth }) => {
        const headers: Record<string, string> = { ...(extra ?? {}) };
        if (badAuth !== null) headers.authorization = `Bearer ${badAuth}`;
        else if (c.token) headers.authorization = `Bearer ${c.token}`;
        if (org !== null) headers['x-org-id'] = org;
        if (b.type) headers['content-type'] = b.type;
        // GET and DELETE carry no body here (fetch refuses one on GET).
        const sendsBody = op.method !== 'GET' && b.body !== undefined;
        if (!sendsBody) delete headers['content-type'];
        return {
          caller: c.name,
          method: op.method,
          url: p + q,
          headers,
          body: sendsBody ? b.body : undefined,
        };
      }),
  );
}

function multipartBody(): fc.Arbitrary<{ body: FormData }> {
  const magic = fc.constantFrom(
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    new Uint8Array([0xff, 0xd8, 0xff, 0xe0]),
    new TextEncoder().encode('%PDF-1.4\n'),
    new TextEncoder().encode('<html><body>'),
    new Uint8Array([0x4d, 0x5a]),
    new Uint8Array(),
  );
  return fc
    .record({
      magic,
      rest: fc.uint8Array({ maxLength: 2048 }),
      name: fc.oneof(
        fc.constantFrom(
          'a.png',
          'a.jpg',
          'a.pdf',
          'a.txt',
          'a.md',
          'a.html',
          'a.exe',
          '',
          '../../x',
          'a\u0000.png',
        ),
        fc.string(),
      ),
      type: fc.constantFrom(
        'image/png',
        'image/jpeg',
        'application/pdf',
        'text/plain',
        'text/markdown',
        'text/html',
        'application/octet-stream',
        'x/y',
      ),
      field: fc.constantFrom('file', 'image', 'upload', 'x'),
      title: fc.option(junkString, { freq: 2 }),
      twoFiles: fc.boolean(),
    })
    .map(({ magic: m, rest, name, type, field, title, twoFiles }) => {
      const form = new FormData();
      if (title !== null) form.append('title', title.slice(0, 2000));
      const bytes = new Uint8Array(m.length + rest.length);
      bytes.set(m);
      bytes.set(rest, m.length);
      form.append(field, new Blob([bytes], { type }), name);
      if (twoFiles) form.append(field, new Blob([bytes], { type }), name);
      return { body: form };
    });
}

/** Lone surrogates become U+FFFD (encodeURIComponent throws on them). */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
