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

export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (!cursor) return undefined;
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || !isUuid(id) || Number.isNaN(Date.parse(createdAt))) throw badRequest('cursor is invalid');
  return { createdAt, id };
}

export function pageOf<T extends { id: string; created_at: string | Date }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  const more = rows.length > limit && last;
  const ts = last ? (last.created_at instanceof Date ? last.created_at.toISOString() : last.created_at) : '';
  return { data, next_cursor: more ? Buffer.from(`${ts}|${last.id}`).toString('base64url') : null };
}

/** ISO-8601 with microseconds, so a cursor built from it compares exactly in SQL. */
export const isoTs = (col: string, as = col.split('.').pop()) =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${as}`;
