import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/**
 * npm run bench: every benchmark in turn, each printing its own ratios against a baseline measured
 * in the same run. Heavy corpora are scaled down here; run each bench:<name> alone for full size.
 */
const here = dirname(fileURLToPath(import.meta.url));
const benches: [string, string[]][] = [
  ['overhead.js', []],
  ['search.js', ['--chunks', process.env.BENCH_SEARCH_CHUNKS ?? '20000', '--orgs', '200', '--queries', '50']],
  ['fairness.js', []],
  ['limits.js', []],
  ['spawn.js', []],
  ['embed-write.js', []],
  ['fair-share.js', []],
  ['page-loads.js', []],
];
let failed = 0;
for (const [file, args] of benches) {
  if (!existsSync(join(here, file))) continue;
  console.log(`\n===== ${file} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(here, file), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
