import { Foundation1764100000000 } from './1764100000000-Foundation.js';
import { OrgLimits1764100001000 } from './1764100001000-OrgLimits.js';
import { IngestJobs1764100300000 } from './1764100300000-IngestJobs.js';

/** Every migration, in order. Listed explicitly so source (tests) and dist (CLI) run the same set. */
export const MIGRATIONS = [Foundation1764100000000, OrgLimits1764100001000, IngestJobs1764100300000];
