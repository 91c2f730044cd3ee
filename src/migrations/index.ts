import { Foundation1764100000000 } from './1764100000000-Foundation.js';
import { OrgLimits1764100001000 } from './1764100001000-OrgLimits.js';
import { UsageDaily1764100500000 } from './1764100500000-UsageDaily.js';

/** Every migration, in order. Listed explicitly so source (tests) and dist (CLI) run the same set. */
export const MIGRATIONS = [Foundation1764100000000, OrgLimits1764100001000, UsageDaily1764100500000];
