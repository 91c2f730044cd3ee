import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { badRequest } from '../filters/problem.js';
import { isUuid } from '../uuid.js';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_-]{1,200}$/)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Keyset cursor over (created_at, id): stable under inserts, no OFFSET scans. */
export interface Keyset {
  createdAt: string;
  id: string;
}

/** What isoTs() emits: UTC, microseconds, `Z`; anything else (an offset, `24:00`) is not ours. */
const CURSOR_TS = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Accepts exactly what pageOf() emits, so no cursor reaches SQL that Postgres could refuse. */
export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (!cursor) return undefined;
  const raw = Buffer.from(cursor, 'base64url');
  const parts = raw.toString('utf8').split('|');
  const [createdAt, id] = parts;
  const valid =
    parts.length === 2 &&
    raw.toString('base64url') === cursor &&
    CURSOR_TS.test(createdAt) &&
    // Postgres emits ids lower-case
    isUuid(id) &&
    id === id.toLowerCase() &&
    // a real calendar instant: 2026-02-30 or 24:00 do not survive the round trip
    new Date(Date.parse(createdAt.slice(0, 19) + 'Z') || 0).toISOString().slice(0, 19) === createdAt.slice(0, 19);
  if (!valid) throw badRequest('cursor is invalid');
  return { createdAt, id };
}

export function pageOf<T extends { id: string; created_at: string | Date }>(rows: T[], limit: number): Page<T>;
/** A page whose rows name their key otherwise (`idOf`, e.g. a member's user_id). */
export function pageOf<T extends { created_at: string | Date }>(rows: T[], limit: number, idOf: (row: T) => string): Page<T>;
export function pageOf<T extends { created_at: string | Date }>(
  rows: T[],
  limit: number,
  idOf: (row: T) => string = (row) => (row as T & { id: string }).id,
): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  const more = rows.length > limit && last;
  const ts = last ? (last.created_at instanceof Date ? last.created_at.toISOString().replace('Z', '000Z') : last.created_at) : '';
  return { data, next_cursor: more ? Buffer.from(`${ts}|${idOf(last)}`).toString('base64url') : null };
}

/** ISO-8601 with microseconds, so a cursor built from it compares exactly in SQL. */
export const isoTs = (col: string, as = col.split('.').pop()) =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${as}`;
