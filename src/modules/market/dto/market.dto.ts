import { ApiProperty } from '@nestjs/swagger';

export class ListingDto {
  @ApiProperty() id: string;
  @ApiProperty() publisher_org_id: string;
  @ApiProperty() title: string;
  @ApiProperty() chunk_count: number;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

export class ListingPageDto {
  @ApiProperty({ type: [ListingDto] }) data: ListingDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
