import { ApiProperty } from '@nestjs/swagger';

export class KnowledgeItemDto {
  @ApiProperty() id: string;
  @ApiProperty() title: string;
  @ApiProperty({ enum: ['text', 'html', 'url', 'upload'] }) source_kind: string;
  @ApiProperty({ nullable: true, type: String }) source_url: string | null;
  @ApiProperty({ enum: ['pending', 'processing', 'ready', 'failed'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ nullable: true, type: String }) mime_type: string | null;
  @ApiProperty({ nullable: true, type: String }) file_name: string | null;
  @ApiProperty({ nullable: true, type: Number }) byte_size: number | null;
  @ApiProperty({ nullable: true, type: String }) created_by: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

export class KnowledgeItemDetailDto extends KnowledgeItemDto {
  @ApiProperty({ nullable: true, type: String }) content_text: string | null;
  @ApiProperty({ nullable: true, description: 'sanitised HTML' }) content_html: string | null;
}

export class KnowledgeItemPageDto {
  @ApiProperty({ type: [KnowledgeItemDto] }) data: KnowledgeItemDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
