export const PG_HOST = process.env.TEST_PG_HOST ?? '127.0.0.1:5432';
export const ADMIN_URL = process.env.PG_ADMIN_URL ?? `postgres://postgres@${PG_HOST}/postgres`;
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

const PASSWORDS: Record<string, string> = {
  rocker_owner: 'rocker_owner',
  rocker_app: 'rocker_app',
  rocker_worker: 'rocker_worker',
  postgres: '',
};

export function dbUrl(db: string, role: 'rocker_owner' | 'rocker_app' | 'rocker_worker' | 'postgres'): string {
  const pw = PASSWORDS[role] ? `:${PASSWORDS[role]}` : '';
  return `postgres://${role}${pw}@${PG_HOST}/${db}`;
}
