import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** How often the event-loop lag probe ticks; its lateness is the lag. */
const PROBE_MS = 20;
import { ProblemException } from '../filters/problem.js';

export interface AdmissionOptions {
  /** Requests in flight on this instance past which it counts as saturated (0 = never by count). */
  maxInFlight: number;
  /** Event-loop lag (the worst over the last sample window, ms) past which it counts as saturated. */
  maxLagMs: number;
  /** Event-loop utilisation (0..1) over the last sample window past which it counts as saturated. */
  maxUtilization: number;
  /** How often load is sampled, ms. */
  sampleMs: number;
}

/** Shed at admission: this instance is saturated and the caller's org holds more than its fair share. */
export class OverloadedError extends ProblemException {
  constructor(retryAfterS: number) {
    super(
      429,
      'overloaded',
      'this instance is saturated and your org is using more than its fair share of it; retry later',
      {},
      { 'Retry-After': String(retryAfterS) },
    );
  }
}

/**
 * Admission under saturation. Every admitted request is counted in flight under its org (or
 * user). While the instance is not saturated, everyone is admitted; an org alone may use the
 * whole instance up to `maxInFlight`. While it is saturated (the event loop lagging or busy over
 * the last sample, or `maxInFlight` reached) and other orgs are using it too (seen within the
 * last two samples), a request is shed when its org already holds at least the fair share of the
 * work in flight (in flight ÷ active orgs): the orgs causing the load are refused first, and an
 * org with little in flight still gets through.
 */
export class Admission {
  private readonly inFlight = new Map<string, number>();
  /** When each org last asked for admission: the orgs sharing the instance right now. */
  private readonly seen = new Map<string, number>();
  private total = 0;
  private saturatedUntilSample = false;
  /** Worst lateness of the lag probe since the last sample, ms. */
  private worstLagMs = 0;
  private readonly probe: NodeJS.Timeout;
  private lastElu: EventLoopUtilization;
  private readonly timer: NodeJS.Timeout;
  /** Last sample, for metrics and tests. */
  readonly last = { lagMs: 0, utilization: 0 };
  shed = 0;

  constructor(private readonly opts: AdmissionOptions) {
    let expected = performance.now() + PROBE_MS;
    this.probe = setInterval(() => {
      const now = performance.now();
      this.worstLagMs = Math.max(this.worstLagMs, now - expected);
      expected = now + PROBE_MS;
    }, PROBE_MS);
    this.probe.unref();
    this.lastElu = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.sample(), opts.sampleMs);
    this.timer.unref();
  }

  /** Reads the load of the last window (on a timer; tests call it directly). */
  sample(): void {
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    this.last.lagMs = this.worstLagMs;
    this.worstLagMs = 0;
    this.last.utilization = elu.utilization;
    const horizon = Date.now() - 2 * this.opts.sampleMs;
    for (const [k, t] of this.seen) if (t < horizon) this.seen.delete(k);
    this.saturatedUntilSample =
      (this.opts.maxLagMs > 0 && this.last.lagMs > this.opts.maxLagMs) ||
      (this.opts.maxUtilization > 0 && this.last.utilization > this.opts.maxUtilization);
  }

  saturated(): boolean {
    return this.saturatedUntilSample || (this.opts.maxInFlight > 0 && this.total >= this.opts.maxInFlight);
  }

  /**
   * Admits the request under `key` or throws OverloadedError; the returned function ends it
   * (idempotent). `weight` is what the request costs relative to a plain read (a costly route
   * counts more), so an org sending many cheap requests is not taken for the one sending heavy ones.
   */
  admit(key: string, weight = 1): () => void {
    const mine = this.inFlight.get(key) ?? 0;
    this.seen.set(key, Date.now());
    // An org alone may use the whole instance (work conserving), up to the hard bound on requests.
    const shared = this.seen.size > 1;
    if ((shared && this.saturated()) || (this.opts.maxInFlight > 0 && this.total >= this.opts.maxInFlight)) {
      const fairShare = Math.max(weight, this.total / Math.max(1, this.seen.size));
      // an org with nothing in flight, or no more than its share, is not the cause
      if (mine > 0 && mine + weight > fairShare) {
        this.shed++;
        throw new OverloadedError(Math.max(1, Math.ceil(this.opts.sampleMs / 1000)));
      }
    }
    this.inFlight.set(key, mine + weight);
    this.total += weight;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.total -= weight;
      const n = (this.inFlight.get(key) ?? weight) - weight;
      if (n > 0) this.inFlight.set(key, n);
      else this.inFlight.delete(key);
    };
  }

  stats(): { total: number; orgs: number; saturated: boolean } {
    return { total: this.total, orgs: this.seen.size, saturated: this.saturated() };
  }

  close(): void {
    clearInterval(this.timer);
    clearInterval(this.probe);
  }
}
