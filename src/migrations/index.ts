import { Foundation1764100000000 } from './1764100000000-Foundation.js';
import { OrgLimits1764100001000 } from './1764100001000-OrgLimits.js';
import { TenantBegin1764100001500 } from './1764100001500-TenantBegin.js';
import { Search1764100200000 } from './1764100200000-Search.js';
import { IngestJobs1764100300000 } from './1764100300000-IngestJobs.js';
import { FeatureFlags1764100400000 } from './1764100400000-FeatureFlags.js';
import { UsageDaily1764100500000 } from './1764100500000-UsageDaily.js';
import { KnowledgeBlobs1764100600000 } from './1764100600000-KnowledgeBlobs.js';
import { ListingItemLink1764100700000 } from './1764100700000-ListingItemLink.js';
import { IngestNotifyNewOnly1764100800000 } from './1764100800000-IngestNotifyNewOnly.js';
import { IngestClaimOneStatement1764100900000 } from './1764100900000-IngestClaimOneStatement.js';

/** Every migration, in order. Listed explicitly so source (tests) and dist (CLI) run the same set. */
export const MIGRATIONS = [
  Foundation1764100000000,
  OrgLimits1764100001000,
  TenantBegin1764100001500,
  Search1764100200000,
  IngestJobs1764100300000,
  FeatureFlags1764100400000,
  UsageDaily1764100500000,
  KnowledgeBlobs1764100600000,
  ListingItemLink1764100700000,
  IngestNotifyNewOnly1764100800000,
  IngestClaimOneStatement1764100900000,
];
