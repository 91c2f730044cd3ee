import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

/** The body of POST /v1/knowledge: exactly one of text, html or url. */
export class CreateKnowledgeDto {
  @ApiProperty({ maxLength: 300 })
  @IsString() @MinLength(1) @MaxLength(300)
  title: string;

  @ApiPropertyOptional({ maxLength: 500_000 })
  @ValidateIf((o) => o.text !== undefined || (o.html === undefined && o.url === undefined))
  @IsString() @MinLength(1) @MaxLength(500_000)
  text?: string;

  @ApiPropertyOptional({ maxLength: 1_000_000 })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(1_000_000)
  html?: string;

  /** Crawled by a background job; refused with 422 `ssrf-blocked` when it points inside a network. */
  @ApiPropertyOptional({ maxLength: 2048, description: 'http(s) URL to crawl (see README, Security)' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(2048)
  url?: string;
}

export class CrawlRequestDto {
  @ApiProperty({ maxLength: 2048, description: 'http(s) URL to crawl (see README, Security)' })
  @IsString() @MinLength(1) @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({ maxLength: 300 })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(300)
  title?: string;
}

export class CrawlAcceptedDto {
  @ApiProperty() job_id: string;
  @ApiProperty() knowledge_item_id: string;
}

export class OcrResultDto {
  @ApiProperty() text: string;
  @ApiProperty() width: number;
  @ApiProperty() height: number;
}

export class OcrAcceptedDto {
  @ApiProperty() job_id: string;
  @ApiProperty() knowledge_item_id: string;
}
