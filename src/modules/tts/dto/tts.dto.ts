import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class SpeechDto {
  @ApiProperty({ description: 'text to speak; at most TTS_MAX_CHARS characters (413 beyond)' })
  @IsString()
  @MinLength(1)
  text: string;

  @ApiPropertyOptional({
    description: 'a voice of the configured engine (espeak: en, en-us, en-gb, de, fr, …)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  voice?: string;

  @ApiPropertyOptional({ enum: ['wav'], default: 'wav' })
  @IsOptional()
  @IsIn(['wav'])
  format?: 'wav';
}
