import { Module } from '@nestjs/common';
import { OrgIndexMaintainer } from './org-index.maintainer.js';

/** The per-org search index pass. Imported where ROCKER_ROLE is `all` or `worker`. */
@Module({
  providers: [OrgIndexMaintainer],
  exports: [OrgIndexMaintainer],
})
export class SearchWorkerModule {}
