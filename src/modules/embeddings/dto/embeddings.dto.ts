import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateBy, type ValidationOptions } from 'class-validator';

export const MAX_EMBEDDING_INPUTS = 256;
/** Longest input: one input is one turn of the shared model (4,000 characters, about 160 ms of the local model). */
export const MAX_EMBEDDING_INPUT_CHARS = 4000;

const isInput = (v: unknown): boolean => {
  const ok = (s: unknown) => typeof s === 'string' && s.trim().length > 0 && s.length <= MAX_EMBEDDING_INPUT_CHARS;
  return ok(v) || (Array.isArray(v) && v.length >= 1 && v.length <= MAX_EMBEDDING_INPUTS && v.every(ok));
};

function IsEmbeddingInput(opts?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmbeddingInput',
      validator: {
        validate: isInput,
        defaultMessage: () =>
          `input must be a non-empty string or an array of 1 to ${MAX_EMBEDDING_INPUTS} non-empty strings, each at most ${MAX_EMBEDDING_INPUT_CHARS} characters`,
      },
    },
    opts,
  );
}

/** OpenAI-compatible request (token-array inputs are not supported). */
export class CreateEmbeddingsDto {
  @ApiProperty({
    oneOf: [{ type: 'string', maxLength: MAX_EMBEDDING_INPUT_CHARS }, { type: 'array', items: { type: 'string' }, maxItems: MAX_EMBEDDING_INPUTS }],
  })
  @IsEmbeddingInput()
  input: string | string[];

  @ApiPropertyOptional({ description: 'accepted for compatibility; the configured model answers' })
  @IsOptional() @IsString() @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ enum: ['float', 'base64'], default: 'float' })
  @IsOptional() @IsIn(['float', 'base64'])
  encoding_format?: 'float' | 'base64';

  @ApiPropertyOptional({ description: "must equal the model's dimension if given" })
  @IsOptional() @IsInt() @Min(1) @Max(16000)
  dimensions?: number;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(256)
  user?: string;
}

export class EmbeddingDataDto {
  @ApiProperty({ enum: ['embedding'] }) object: 'embedding';
  @ApiProperty() index: number;
  @ApiProperty({ oneOf: [{ type: 'array', items: { type: 'number' } }, { type: 'string', description: 'base64 float32 LE' }] })
  embedding: number[] | string;
}

export class EmbeddingsUsageDto {
  @ApiProperty() prompt_tokens: number;
  @ApiProperty() total_tokens: number;
}

export class EmbeddingsAnswerDto {
  @ApiProperty({ enum: ['list'] }) object: 'list';
  @ApiProperty({ type: [EmbeddingDataDto] }) data: EmbeddingDataDto[];
  @ApiProperty() model: string;
  @ApiProperty({ type: EmbeddingsUsageDto }) usage: EmbeddingsUsageDto;
}
