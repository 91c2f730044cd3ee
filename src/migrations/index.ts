import { Foundation1764100000000 } from './1764100000000-Foundation.js';
import { OrgLimits1764100001000 } from './1764100001000-OrgLimits.js';
import { KnowledgeBlobs1764100600000 } from './1764100600000-KnowledgeBlobs.js';

/** Every migration, in order. Listed explicitly so source (tests) and dist (CLI) run the same set. */
export const MIGRATIONS = [Foundation1764100000000, OrgLimits1764100001000, KnowledgeBlobs1764100600000];
