import { Injectable } from '@nestjs/common';
import { FairScheduler, fairKey, WorkClass } from '../../common/fair/fair-scheduler.js';
import { conflict, notFound, ProblemException } from '../../common/filters/problem.js';
import { TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { LimitsService } from '../limits/limits.service.js';
import { Charges, type ChargeHeaders } from '../limits/charges.service.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { OrgCap } from '../limits/limits.types.js';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { KnowledgeService } from '../knowledge/knowledge.service.js';
import { MarketRepository } from './market.repository.js';
import type { ListingDto } from './dto/market.dto.js';

/** Publishes an org may have waiting for their turn (past it, 429 overloaded), and how long one waits at most (then 503). */
const PUBLISH_MAX_QUEUED_PER_ORG = 4;
const PUBLISH_MAX_WAIT_MS = 30_000;

@Injectable()
export class MarketService {
  /**
   * Publishing as a shared engine: a copy writes up to SEARCH_ITEM_MAX_CHUNKS vectors into the
   * market's index (seconds of a Postgres backend for 2,000 here, in statements of 100), so one
   * publish runs at a time in this process, in turns across orgs (one more for an org holding
   * none), each in a transaction of its own: no connection is held while it waits.
   */
  private readonly publishes = new FairScheduler({
    name: 'market publish',
    slots: 1,
    spare: 1,
    maxQueuedPerOrg: PUBLISH_MAX_QUEUED_PER_ORG,
  });

  constructor(
    private readonly knowledge: KnowledgeService,
    private readonly repo: MarketRepository,
    private readonly limits: LimitsService,
    private readonly tenants: TenantTransactions,
    private readonly charges: Charges,
  ) {}

  /**
   * Publishes (or refreshes) an embedded knowledge item of the caller's org as a market listing,
   * in its org's turn. The copy is stored too: it counts against the org's cap of stored chunks
   * (private and market together), past which the answer is 429 quota-exceeded and nothing is
   * written. A listing whose copy is current is not copied again.
   */
  async publish(knowledgeItemId: string): Promise<{ listing: ListingDto; charged: ChargeHeaders }> {
    const ctx = this.tenants.current();
    if (!ctx?.orgId) throw new Error('publishing outside a tenant context');
    return this.publishes.run(fairKey(ctx), () => this.tenants.run(ctx, () => this.publishNow(ctx, knowledgeItemId)), {
      cls: WorkClass.Request,
      maxWaitMs: PUBLISH_MAX_WAIT_MS,
    });
  }

  /** The listing, and the RateLimit headers of its charge (none when its copy was current). */
  private async publishNow(ctx: TenantContext, knowledgeItemId: string): Promise<{ listing: ListingDto; charged: ChargeHeaders }> {
    // without its documents (a large item's text is megabytes); 404 when the org has no such item
    const item = await this.knowledge.find(knowledgeItemId);
    if (!item) throw notFound('knowledge item');
    const chunks = item.status === 'ready' ? await this.repo.countChunks(knowledgeItemId) : 0;
    if (chunks === 0) throw conflict(`the knowledge item is not embedded yet (status ${item.status})`);
    await this.assertRoomFor(ctx, knowledgeItemId, chunks);
    // The copy is charged to the org's `publish` policy, by the chunks it writes into the shared
    // index (429 rate-limited, nothing written, when they do not fit); a current copy costs nothing.
    let charged: ChargeHeaders = {};
    const listing = await this.repo.publish(knowledgeItemId, item.title, async () => {
      charged = await this.charges.charge(ctx, RatePolicy.Publish, chunks);
    });
    return { listing, charged };
  }

  private async assertRoomFor(ctx: TenantContext, knowledgeItemId: string, chunks: number): Promise<void> {
    const cap = (await this.limits.forTenant(ctx)).caps[OrgCap.StoredChunks];
    const stored = await this.repo.storedBesidesListingOf(knowledgeItemId, cap);
    if (stored + chunks <= cap) return;
    throw new ProblemException(
      429,
      'quota-exceeded',
      `publishing this item's ${chunks} chunks would take the org past its cap of ${cap} stored chunks (${stored} stored): delete items or listings first, or have the cap raised`,
      { cap: OrgCap.StoredChunks, limit: cap, used: stored },
    );
  }

  async list(limit = 20, cursor?: string): Promise<Page<ListingDto>> {
    return pageOf(await this.repo.listListings(limit, decodeCursor(cursor)), limit);
  }

  async unpublish(listingId: string): Promise<void> {
    if (!(await this.repo.unpublish(listingId))) throw notFound('listing');
  }
}
