import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class CreateThreadDto {
  @ApiProperty({ maxLength: 200 })
  @IsString() @MinLength(1) @MaxLength(200)
  title: string;
}

export class UpdateThreadDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200)
  title?: string;
}

export class CreateMessageDto {
  @ApiProperty({ enum: ['user', 'assistant', 'system'] })
  @IsIn(['user', 'assistant', 'system'])
  role: 'user' | 'assistant' | 'system';

  @ApiProperty({ maxLength: 100_000 })
  @IsString() @MinLength(1) @MaxLength(100_000)
  content: string;
}

export class ThreadDto {
  @ApiProperty() id: string;
  @ApiProperty() title: string;
  @ApiProperty({ nullable: true, type: String }) created_by: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

export class MessageDto {
  @ApiProperty() id: string;
  @ApiProperty() thread_id: string;
  @ApiProperty() role: string;
  @ApiProperty() content: string;
  @ApiProperty({ nullable: true, type: String }) created_by: string | null;
  @ApiProperty() created_at: string;
}

export class ThreadPageDto {
  @ApiProperty({ type: [ThreadDto] }) data: ThreadDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class MessagePageDto {
  @ApiProperty({
    type: [MessageDto],
    description:
      'Oldest first: up to `limit` messages, fewer once the page holds 256 KiB of message content (always at least one message); `next_cursor` continues from the last. A page of long messages arrives chunked; an org with 16 such answers waiting gets 429 overloaded',
  })
  data: MessageDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
