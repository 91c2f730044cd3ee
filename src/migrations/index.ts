/**
 * Every migration, in the order it runs. Append only: never reorder, rename or remove an entry, and
 * never change a shipped migration's class name or timestamp, because databases in the field have
 * them recorded in their migrations table (a renamed migration would run twice).
 *
 * TypeORM runs pending migrations sorted by the timestamp at the end of the class name, not by this
 * array, so a new migration goes at the end AND takes a timestamp greater than the last one's
 * (`Date.now()` when you write it; `<timestamp>-<PascalName>.ts`, class `<PascalName><timestamp>`).
 * The shipped timestamps are synthetic and do not follow the order the files were written in;
 * they are kept as they are. migrations.spec.ts checks all of this, and that each file imports
 * nothing but `typeorm` (SQL and helpers are frozen inside the file that uses them).
 */
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
import { IngestLeases1764101000000 } from './1764101000000-IngestLeases.js';
import { OrgInvitations1796195199478 } from './1796195199478-OrgInvitations.js';
import { VerifiedTenantContext1796205600000 } from './1796205600000-VerifiedTenantContext.js';
import { WorkerRole1796205700000 } from './1796205700000-WorkerRole.js';
import { MarketChunkOwnership1796205800000 } from './1796205800000-MarketChunkOwnership.js';
import { ContextAccessorsPlpgsql1796205900000 } from './1796205900000-ContextAccessorsPlpgsql.js';
import { SearchOrgIndexes1796206000000 } from './1796206000000-SearchOrgIndexes.js';
import { ToastLz41796206100000 } from './1796206100000-ToastLz4.js';
import { SearchOrgBinaryIndexes1796206200000 } from './1796206200000-SearchOrgBinaryIndexes.js';
import { SearchOrgIndexCalibration1796206300000 } from './1796206300000-SearchOrgIndexCalibration.js';
import { OrgStoredBytes1796206400000 } from './1796206400000-OrgStoredBytes.js';
import { OrgStoredRows1796206500000 } from './1796206500000-OrgStoredRows.js';
import { OrgMembersPageIndex1796206600000 } from './1796206600000-OrgMembersPageIndex.js';
import { IngestJobsStatusPage1796206700000 } from './1796206700000-IngestJobsStatusPage.js';
import { IngestJobsKindPage1796206800000 } from './1796206800000-IngestJobsKindPage.js';
import { OrgStoredItemRows1796206900000 } from './1796206900000-OrgStoredItemRows.js';

// Listed explicitly (no glob) so that source (tests) and dist (CLI) run the same set.
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
  IngestLeases1764101000000,
  OrgInvitations1796195199478,
  VerifiedTenantContext1796205600000,
  WorkerRole1796205700000,
  MarketChunkOwnership1796205800000,
  ContextAccessorsPlpgsql1796205900000,
  SearchOrgIndexes1796206000000,
  ToastLz41796206100000,
  SearchOrgBinaryIndexes1796206200000,
  SearchOrgIndexCalibration1796206300000,
  OrgStoredBytes1796206400000,
  OrgStoredRows1796206500000,
  OrgMembersPageIndex1796206600000,
  IngestJobsStatusPage1796206700000,
  IngestJobsKindPage1796206800000,
  OrgStoredItemRows1796206900000,
];
