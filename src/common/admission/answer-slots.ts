import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { EngineBusyError } from '../fair/fair-scheduler.js';
import { RateBudget } from '../fair/rate-budget.js';

/** Injection token: the bytes of large answers an org may have written per second (0 = unpaced). */
export const LARGE_ANSWER_BYTES_PER_S = Symbol('LARGE_ANSWER_BYTES_PER_S');

/**
 * The slices a large document is read in. Small enough that each database row, its string and its
 * bytes come from memory the process already uses (a fresh multi-MB buffer costs the event loop
 * page faults: ~3 ms per MB on the development VM), and that no string of it is large enough for
 * V8's large-object space (collected only by a full mark-compact); large enough that a 10 MiB
 * item is ~320 rows.
 */
export const READ_SLICE_BYTES = 32 * 1024;

/** An org's large answers waiting for the one being written, past which the next is 429 overloaded. */
const MAX_WAITING_ANSWERS = 16;
/** A large answer not written by then (a stream nobody read) gives its org's slot back. */
const ANSWER_SLOT_MAX_MS = 10 * 60_000;

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

/**
 * The process's large answers (a knowledge item's documents, a page of long thread messages): one
 * per org written at a time, whichever route it comes from, and at most `bytesPerSecond` of them
 * per org per second (LARGE_ANSWER_BYTES_PER_S; 0 = no pacing).
 */
@Injectable()
export class LargeAnswers extends AnswerSlots {
  private readonly budget?: RateBudget;

  constructor(@Optional() @Inject(LARGE_ANSWER_BYTES_PER_S) bytesPerSecond = 0) {
    super(MAX_WAITING_ANSWERS);
    if (bytesPerSecond > 0) this.budget = new RateBudget(bytesPerSecond);
  }

  /**
   * `build`'s stream, built once `key`'s earlier large answers are written and its bytes budget
   * holds anything (one second's worth up front, so a reader of a few large items never waits;
   * one reading them over and over is paced, and its waiting answers queue here, holding no
   * connection, up to MAX_WAITING_ANSWERS): the slot is held until the stream closes (written,
   * failed, or unread for ANSWER_SLOT_MAX_MS, then destroyed), and given back at once if `build`
   * throws. `bytes`: about what the answer will write, charged to `key` before it is built.
   */
  async stream(key: string, bytes: number, build: () => Promise<Readable>): Promise<Readable> {
    const release = await this.take(key);
    try {
      if (this.budget) {
        for (let ms = this.budget.waitMs(key); ms > 0; ms = this.budget.waitMs(key)) await delay(Math.ceil(ms));
        this.budget.spend(key, bytes);
      }
      const stream = await build();
      const unread = setTimeout(() => stream.destroy(), ANSWER_SLOT_MAX_MS).unref();
      stream.once('close', () => {
        clearTimeout(unread);
        release();
      });
      return stream;
    } catch (e) {
      release();
      throw e;
    }
  }
}
