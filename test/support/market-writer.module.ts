import { Controller, HttpCode, Inject, Module, Param, Post } from '@nestjs/common';
import { Roles } from '../../src/common/decorators/auth.decorators.js';
import { UuidPipe } from '../../src/common/pipes/uuid.pipe.js';
import { TenantDb } from '../../src/tenancy/tenant-context.js';

/**
 * Test-only route standing in for a bug in the market path: it copies the caller org's private
 * chunks into whatever listing the path names, trusting the caller. The database must still refuse
 * another org's listing, and the answer must be a clean 4xx.
 */
@Controller('test/market')
class MarketWriterController {
  constructor(@Inject(TenantDb) private readonly db: TenantDb) {}

  @Post('listings/:id/chunks')
  @Roles('admin')
  @HttpCode(201)
  async copyInto(@Param('id', UuidPipe) listingId: string): Promise<{ written: number }> {
    const { orgId } = this.db.context();
    const rows = await this.db.query(
      `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding)
       SELECT $1, c.org_id, 1000 + c.chunk_index, c.content, c.embedding FROM private_chunks c WHERE c.org_id = $2
       RETURNING id`,
      [listingId, orgId],
    );
    return { written: rows.length };
  }
}

@Module({ controllers: [MarketWriterController] })
export class MarketWriterTestModule {}
