import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getMetadataStorage } from 'class-validator';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';
import { EnvDto } from '../src/config/env.js';

/**
 * npm run docs:config [-- --check] : writes docs/configuration.md from the env schema (EnvDto in
 * src/config/env.ts): types and ranges from the validators, defaults from a fresh EnvDto, descriptions
 * from the doc comments (read with the TypeScript compiler API), cross-field rules from loadEnv's
 * messages. --check writes nothing and exits 1 when the committed page differs.
 */

/** The repository root, from src/ or dist/ alike: the first parent holding the schema's source. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'src/config/env.ts'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error('gen-config-docs: src/config/env.ts not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
export const SCHEMA_PATH = join(ROOT, 'src/config/env.ts');
export const DOC_PATH = join(ROOT, 'docs/configuration.md');

/** Read outside EnvDto (not validated at boot); the page lists them by hand. */
export const OUTSIDE_SCHEMA = ['METRICS_ORG_LABEL_BUDGET', 'HEALTH_PORT'] as const;

interface Section {
  title: string;
  /** Exact names, or prefixes ending in `_`; a variable goes to the section with the longest match. */
  match: string[];
  intro: string;
}

const SECTIONS: Section[] = [
  {
    title: 'Process',
    match: ['NODE_ENV', 'PORT', 'WORKER_PORT', 'SHUTDOWN_GRACE_MS', 'ROCKER_ROLE', 'LOG_LEVEL', 'BODY_LIMIT_BYTES'],
    intro:
      'What a process is and where it listens: `ROCKER_ROLE` picks API and workers in one process, API only, or workers only (set by `npm run start:worker`). See [operations.md](operations.md#health).',
  },
  {
    title: 'Database',
    match: ['DATABASE_'],
    intro:
      'Postgres: `DATABASE_URL` is the app role (`rocker_app`, row-level security applies), `DATABASE_WORKER_URL` the worker role (`rocker_worker`: the same plus the ingest dispatcher), `DATABASE_OWNER_URL` the owner role that runs migrations. See [isolation.md](isolation.md) and [operations.md](operations.md#scale-out).',
  },
  {
    title: 'Redis',
    match: ['REDIS_'],
    intro: 'Redis holds the queues, the limiter counters, usage and cache invalidation.',
  },
  {
    title: 'Tokens',
    match: ['JWT_'],
    intro:
      'How bearer tokens are verified: an HS256 secret in development, a public key or a JWKS URL in production (`iss` and `aud` always checked). See [isolation.md](isolation.md).',
  },
  {
    title: 'Tenant context',
    match: ['TENANT_CONTEXT_'],
    intro:
      'The keys that sign each tenant context for the database, so that a forged `set_config` or `tenant_begin()` call opens nothing. See [security.md](security.md#tenant-context-keys).',
  },
  {
    title: 'Memberships',
    match: ['INVITATION_'],
    intro: 'Invitations into an org. See [isolation.md](isolation.md#membership-by-consent).',
  },
  {
    title: 'Metrics',
    match: ['METRICS_'],
    intro: 'The bearer token `/metrics` asks for. See [operations.md](operations.md#metrics).',
  },
  {
    title: 'Admission',
    match: ['ADMISSION_'],
    intro:
      'Load shedding on one API instance: when it is saturated and shared, the orgs offering more than their fair share of its load are answered 429 `overloaded` (see [architecture.md](architecture.md)).',
  },
  {
    title: 'JSON bodies',
    match: ['JSON_'],
    intro: 'Limits on the shape of a JSON body, checked before it is parsed (400 `json-too-complex`).',
  },
  {
    title: 'Embeddings',
    match: ['EMBEDDINGS_'],
    intro:
      'The embedding model: the local one shipped in an npm package (offline) or any OpenAI-compatible API. See [search.md](search.md#embedding-providers).',
  },
  {
    title: 'Crawl',
    match: ['CRAWL_'],
    intro:
      'What the crawler may reach and how long it waits. See [security.md](security.md#ssrf-what-the-crawler-can-reach) and [intake.md](intake.md#knobs).',
  },
  {
    title: 'Uploads and PDFs',
    match: ['UPLOAD_', 'PDF_', 'PARSE_', 'HTML_'],
    intro:
      'Upload size (413 above it), PDF parsing limits, and the parser pools (HTML and PDF) shared fairly across orgs. See [intake.md](intake.md#knobs).',
  },
  {
    title: 'OCR',
    match: ['OCR_'],
    intro: 'Tesseract limits for images. See [intake.md](intake.md#ocr).',
  },
  {
    title: 'Rate limits and usage',
    match: ['RATE_LIMIT_', 'LIMITS_', 'USAGE_'],
    intro:
      'Per-org rate limits (built-in policies, overridden per org by an admin), their Redis-down fallback and metered usage. See [limits.md](limits.md#knobs).',
  },
  {
    title: 'Text to speech',
    match: ['TTS_', 'ESPEAK_'],
    intro:
      'The speech engine (local espeak-ng or an OpenAI-compatible API) and its fair sharing across orgs. See [tts.md](tts.md).',
  },
  {
    title: 'Ingest',
    match: ['INGEST_'],
    intro:
      'The background job queue: per-org concurrency and rate, retries, leases and the dispatcher. See [ingest.md](ingest.md#knobs).',
  },
];

const OTHER: Section = {
  title: 'Other',
  match: [],
  intro: 'Variables no section claims yet (give them one in `SECTIONS` of `scripts/gen-config-docs.ts`).',
};

const SECRET = /^(JWT_SECRET|METRICS_TOKEN|TENANT_CONTEXT_KEYS)$|_(API_KEY|SECRET|TOKEN|PASSWORD)$/;

export interface VarDoc {
  name: string;
  type: string;
  required: boolean;
  secret: boolean;
  /** The initialised value of a fresh EnvDto; undefined when there is none. */
  default: unknown;
  description: string;
}

interface Rule {
  name: string;
  constraints?: unknown[];
}

/** "int, 0–65535", "`a` \| `b`", "string matching `/re/`", … from the property's validators. */
function typeOf(rules: Rule[]): string {
  const by = new Map(rules.map((r) => [r.name, r.constraints ?? []]));
  const used = new Set(['isOptional']);
  const take = (n: string) => (by.has(n) ? (used.add(n), by.get(n)!) : undefined);
  const parts: string[] = [];
  const isIn = take('isIn');
  const url = take('isUrl');
  const matches = take('matches');
  if (isIn) parts.push((isIn[0] as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| '));
  else if (take('isBoolean')) parts.push('bool (`true` or `1`; anything else is false)');
  else if (take('isInt')) parts.push('int');
  else if (take('isNumber')) parts.push('number');
  else if (url) {
    const o = (url[0] ?? {}) as { protocols?: string[] };
    parts.push(o.protocols ? `${o.protocols.join('/')} URL` : 'URL');
  } else {
    take('isString');
    parts.push('string');
  }
  if (matches) parts.push(`matching \`${String(matches[0])}\``);
  const min = take('min');
  const max = take('max');
  if (min && max) parts.push(`${min[0]}–${max[0]}`);
  else if (min) parts.push(`≥ ${min[0]}`);
  else if (max) parts.push(`≤ ${max[0]}`);
  const minLen = take('minLength');
  const maxLen = take('maxLength');
  if (minLen && Number(minLen[0]) > 1) parts.push(`at least ${minLen[0]} characters`);
  else if (minLen) parts.push('not empty');
  if (maxLen) parts.push(`at most ${maxLen[0]} characters`);
  take('isString');
  // A validator this renderer does not know still shows up, by name.
  for (const r of rules) if (!used.has(r.name)) parts.push(r.name);
  return parts.join(', ').replace(/, matching/, ' matching');
}

/** EnvDto's properties with their doc comments ('' when none), in source order, and loadEnv's cross-field messages. */
export function readSchemaSource(source = readFileSync(SCHEMA_PATH, 'utf8')): {
  properties: { name: string; description: string }[];
  crossFieldRules: string[];
} {
  const file = ts.createSourceFile(SCHEMA_PATH, source, ts.ScriptTarget.Latest, true);
  const properties: { name: string; description: string }[] = [];
  const crossFieldRules: string[] = [];
  const visitLoadEnv = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'push' &&
      node.expression.expression.getText(file) === 'problems'
    ) {
      const arg = node.arguments[0];
      crossFieldRules.push(ts.isStringLiteralLike(arg) ? arg.text : `\`${arg.getText(file)}\``);
    }
    ts.forEachChild(node, visitLoadEnv);
  };
  for (const stmt of file.statements) {
    if (ts.isClassDeclaration(stmt) && stmt.name?.text === 'EnvDto') {
      for (const m of stmt.members) {
        if (!ts.isPropertyDeclaration(m) || !ts.isIdentifier(m.name)) continue;
        const docs = ts.getJSDocCommentsAndTags(m).filter(ts.isJSDoc);
        const text = docs.length ? (ts.getTextOfJSDocComment(docs[docs.length - 1].comment) ?? '') : '';
        properties.push({ name: m.name.text, description: text.replace(/\s+/g, ' ').trim() });
      }
    }
    if (ts.isFunctionDeclaration(stmt) && stmt.name?.text === 'loadEnv') visitLoadEnv(stmt);
  }
  if (!properties.length)
    throw new Error(`gen-config-docs: no class EnvDto with properties in ${SCHEMA_PATH}`);
  return { properties, crossFieldRules };
}

/** Every variable of EnvDto, in source order. */
export function describeEnv(): VarDoc[] {
  const { properties } = readSchemaSource();
  const metadata = getMetadataStorage().getTargetValidationMetadatas(EnvDto, '', true, false);
  const defaults = new EnvDto() as unknown as Record<string, unknown>;
  return properties.map(({ name, description }) => {
    const rules = metadata.filter((m) => m.propertyName === name);
    const value = defaults[name];
    const optional = rules.some((r) => r.name === 'isOptional');
    return {
      name,
      type: typeOf(rules.map((r) => ({ name: r.name ?? r.type, constraints: r.constraints }))),
      required: !optional && value === undefined,
      secret: SECRET.test(name),
      default: value,
      description,
    };
  });
}

function sectionOf(name: string): Section {
  let best: Section = OTHER;
  let bestLen = 0;
  for (const s of SECTIONS) {
    for (const m of s.match) {
      const hit = m.endsWith('_') ? name.startsWith(m) : name === m;
      if (hit && m.length > bestLen) [best, bestLen] = [s, m.length];
    }
  }
  return best;
}

const cell = (s: string) =>
  s.replace(/\|/g, (m, i: number, all: string) => (all[i - 1] === '\\' ? m : '\\|'));

function defaultCell(v: VarDoc): string {
  if (v.required) return '**required**';
  if (v.default === undefined) return 'unset';
  if (v.secret) return 'set (hidden)';
  if (v.default === '') return 'empty';
  const n = v.default;
  if (typeof n === 'number' && /_BYTES$/.test(v.name) && n >= 1024 && n % 1024 === 0) {
    return n % (1024 * 1024) === 0 ? `\`${n}\` (${n / 1024 / 1024} MiB)` : `\`${n}\` (${n / 1024} KiB)`;
  }
  return `\`${String(n)}\``;
}

function ruleLine(rule: string): string {
  const m = /^([A-Z0-9_| ]+): (.*)$/s.exec(rule);
  if (!m) return `- ${rule}`;
  const names = m[1].split('|').map((n) => `\`${n.trim()}\``);
  return `- ${names.join(' / ')}: ${m[2]}`;
}

const INTRO = `# Configuration

<!-- Generated from src/config/env.ts by scripts/gen-config-docs.ts: do not edit by hand, run \`npm run docs:config\`. -->

Every variable the service reads is declared once in \`src/config/env.ts\` (\`EnvDto\`, class-validator)
and validated at boot: a bad or missing value stops the process (exit code 78) with one error that
names every bad variable; values are never echoed, since they may be secrets. Variables come from the
environment, then from \`.env\` in the working directory (the environment wins).

\`npm run setup\` writes a development \`.env\` (git-ignored) when there is none: every variable below,
set to its default or to a development value (fresh random \`JWT_SECRET\` and \`METRICS_TOKEN\`), the
optional ones listed in a comment. An existing \`.env\` is kept as it is. Development tokens
(\`npm run token\`) are refused when \`NODE_ENV=production\`.

This page is generated: the types, ranges and defaults come from the validators and from a fresh
\`EnvDto\`, the descriptions from the doc comment above each property. \`npm test\` fails when it is
stale; \`npm run docs:config\` rewrites it. Secrets are marked, and their values are never printed.`;

const OUTRO = `## Read elsewhere

Read outside the schema (not validated at boot): \`METRICS_ORG_LABEL_BUDGET\` (default 50, read by
\`src/common/metrics/org-label.ts\`; see [operations.md](operations.md#metrics)) and, in the Docker
image's health check only, \`HEALTH_PORT\` (see [operations.md](operations.md#deployment)).

Outside the service: \`PG_ADMIN_URL\` (a superuser URL, used by \`npm run audit\`'s backfill check and
by setup), the load harness's \`LOAD_*\` ([load-testing.md](load-testing.md#knobs)) and the
benchmarks' \`BENCH_*\` variables. Search knobs are database settings (\`rocker.search_*\`), not
environment variables: [search.md](search.md#correct-top-k-for-every-org-the-filtered-ann-problem).`;

/** The page as it should be committed (prettier-formatted, so `npm run format` leaves it alone). */
export async function renderConfigDocs(): Promise<string> {
  const vars = describeEnv();
  const { crossFieldRules } = readSchemaSource();
  const groups = new Map<Section, VarDoc[]>();
  for (const s of [...SECTIONS, OTHER]) groups.set(s, []);
  for (const v of vars) groups.get(sectionOf(v.name))!.push(v);
  const out = [INTRO];
  const used = [...groups].filter(([, list]) => list.length);
  out.push(used.map(([s]) => `[${s.title}](#${slug(s.title)})`).join(' · '));
  for (const [s, list] of used) {
    out.push(`## ${s.title}`, s.intro);
    const rows = list.map((v) => {
      const name = `\`${v.name}\`${v.secret ? ' (secret)' : ''}`;
      return `| ${name} | ${cell(v.type)} | ${defaultCell(v)} | ${cell(v.description)} |`;
    });
    out.push(
      ['| Variable | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n'),
    );
  }
  out.push(
    '## Rules across variables',
    'Checked in `loadEnv` besides the validators of each variable; each message names the variable to fix:',
    crossFieldRules.map(ruleLine).join('\n'),
  );
  out.push(OUTRO);
  const options = (await resolveConfig(DOC_PATH)) ?? {};
  return format(out.join('\n\n') + '\n', { ...options, parser: 'markdown' });
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

/** Where two texts first differ, for the --check message. */
export function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}:\n  committed: ${b[i] ?? '(end of file)'}\n  generated: ${a[i] ?? '(end of file)'}`;
    }
  }
  return 'no difference';
}

async function main(): Promise<void> {
  const expected = await renderConfigDocs();
  const rel = relative(process.cwd(), DOC_PATH);
  if (process.argv.includes('--check')) {
    const actual = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '';
    if (actual === expected) {
      console.log(`${rel} is up to date`);
      return;
    }
    console.error(
      `${rel} differs from src/config/env.ts: run npm run docs:config\nfirst difference at ${firstDifference(expected, actual)}`,
    );
    process.exit(1);
  }
  writeFileSync(DOC_PATH, expected);
  console.log(`wrote ${rel}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
