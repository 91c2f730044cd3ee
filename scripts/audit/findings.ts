/** One thing an audit found: where (file:line or table), what is wrong, and how to fix it. */
export type AuditName = 'routes' | 'db-access' | 'org-routing' | 'rls' | 'backfill';

export interface Finding {
  audit: AuditName;
  where: string;
  problem: string;
  fix: string;
}

export function formatFinding(f: Finding): string {
  return `${f.where}: [${f.audit}] ${f.problem}\n    fix: ${f.fix}`;
}
