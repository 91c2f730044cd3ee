import { Foundation1764100000000 } from './1764100000000-Foundation.js';

/** Every migration, in order. Listed explicitly so source (tests) and dist (CLI) run the same set. */
export const MIGRATIONS = [Foundation1764100000000];
