import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const MAX_QUERY_CHARS = 2000;
export const MAX_K = 50;

export enum SearchMode {
  Vector = 'vector',
  Hybrid = 'hybrid',
}

export class SearchDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_QUERY_CHARS })
  @IsString() @Matches(/\S/, { message: 'query must not be empty' }) @MaxLength(MAX_QUERY_CHARS)
  query: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_K, default: 10 })
  @IsOptional() @IsInt() @Min(1) @Max(MAX_K)
  k?: number;

  @ApiPropertyOptional({
    enum: SearchMode,
    default: SearchMode.Vector,
    description:
      'hybrid: reciprocal rank fusion of full-text and vector ranks, honoured only when the `hybrid_search` flag is on ' +
      'for the caller’s org (default off); otherwise the search runs in vector mode and the answer’s `mode` says `vector`',
  })
  @IsOptional() @IsIn(Object.values(SearchMode))
  mode?: SearchMode;
}

export class PrivateHitDto {
  @ApiProperty() chunk_id: string;
  @ApiProperty() knowledge_item_id: string;
  @ApiProperty() chunk_index: number;
  @ApiProperty() content: string;
  @ApiProperty({ description: 'cosine similarity (vector) or RRF score (hybrid); higher is better' }) score: number;
}

export class MarketHitDto {
  @ApiProperty() chunk_id: string;
  @ApiProperty() listing_id: string;
  @ApiProperty() chunk_index: number;
  @ApiProperty() content: string;
  @ApiProperty({ description: 'cosine similarity (vector) or RRF score (hybrid); higher is better' }) score: number;
}

const MODE_RAN =
  'the mode the search ran in: `hybrid` only when asked for and `hybrid_search` is on for the org, `vector` also when the full-text half ran past SEARCH_TEXT_TIMEOUT_MS';

export class PrivateSearchAnswerDto {
  @ApiProperty({ type: [PrivateHitDto] }) data: PrivateHitDto[];
  @ApiProperty({ enum: SearchMode, description: MODE_RAN }) mode: SearchMode;
}

export class MarketSearchAnswerDto {
  @ApiProperty({ type: [MarketHitDto] }) data: MarketHitDto[];
  @ApiProperty({ enum: SearchMode, description: MODE_RAN }) mode: SearchMode;
}
