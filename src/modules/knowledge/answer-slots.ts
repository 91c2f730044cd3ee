import { EngineBusyError } from '../../common/fair/fair-scheduler.js';

/**
 * One large answer at a time per org: the next waits, holding nothing (no transaction, no
 * connection), until the one before it has been written; at most `maxWaiting` wait per org (429
 * overloaded past it). An org reading a large item four at a time thus costs the event loop and
 * Postgres one such answer at once, from its first request on, not only once admission has
 * counted the sizes of the answers already sent.
 */
export class AnswerSlots {
  private readonly orgs = new Map<string, { tail: Promise<void>; waiting: number }>();

  constructor(private readonly maxWaiting: number) {}

  /** Resolves with the slot's release (idempotent) once every earlier answer of `key` is written. */
  async take(key: string): Promise<() => void> {
    let org = this.orgs.get(key);
    if (!org) this.orgs.set(key, (org = { tail: Promise.resolve(), waiting: 0 }));
    if (org.waiting >= this.maxWaiting) throw new EngineBusyError('large answers', 1);
    const before = org.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    org.tail = tail;
    org.waiting++;
    const entry = org;
    void tail.then(() => {
      if (this.orgs.get(key) === entry && entry.tail === tail) this.orgs.delete(key);
    });
    try {
      await before;
    } finally {
      entry.waiting--;
    }
    return release;
  }
}
