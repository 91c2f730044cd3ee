// Runs the test tiers with vitest and ends with one line "N passed, N failed" summing every suite.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!process.version.startsWith('v24.')) {
  console.error(`[run-tests] Node ${process.version}: the project runs on Node 24 (run scripts/setup.sh)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const which = process.argv[2] ?? 'all';
// pgbouncer reruns a few integration suites through PgBouncer (vitest.config.ts); serial runs last
// and alone: its suites measure latency ratios (test/serial).
const projects = which === 'all' ? ['unit', 'integration', 'pgbouncer', 'serial'] : [which];
const extra = process.argv.slice(3);
let passed = 0;
let failed = 0;
let skipped = 0;
let crashed = false;
/** Failed tests by name, printed again just before the summary: a log's tail then names them. */
const failedNames = [];
// The whole tree type-checks (specs, tests, benches and scripts too: vitest strips types without
// checking them), counted as one test.
if (which === 'all') {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
  if (tsc.status === 0) passed += 1;
  else {
    failed += 1;
    failedNames.push('typecheck (tsc -p tsconfig.json --noEmit)');
    console.error('[run-tests] typecheck (tsc -p tsconfig.json --noEmit) failed');
  }
}
for (const project of projects) {
  const out = join(mkdtempSync(join(tmpdir(), 'rocker-vitest-')), 'report.json');
  const r = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--project', project, '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra],
    { stdio: 'inherit' },
  );
  try {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    for (const file of report.testResults ?? []) {
      const where = `${project} ${file.name.replace(process.cwd() + '/', '')}`;
      for (const t of file.assertionResults ?? []) if (t.status === 'failed') failedNames.push(`${where} > ${t.fullName}`);
      if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'))
        failedNames.push(`${where} (the file failed to load, or a hook failed)`);
    }
    if (r.status !== 0 && report.numFailedTests === 0) {
      crashed = true; // a suite failed to load or a hook failed
      failed += Math.max(1, report.numFailedTestSuites ?? 1);
    }
  } catch {
    crashed = true;
    failed += 1;
    failedNames.push(`${project}: no report (vitest exited ${r.status})`);
    console.error(`[run-tests] ${project}: no report (vitest exited ${r.status})`);
  }
}
for (const name of failedNames) console.log(`FAILED: ${name}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || crashed ? 1 : 0);
