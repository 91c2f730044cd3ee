import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { ProblemException } from '../filters/problem.js';

/** How often the event-loop lag probe ticks; its lateness is the lag. */
const PROBE_MS = 20;
/** Time constant of each org's offered-load rate (exponential decay), ms. */
const RATE_TAU_MS = 1000;
/** An org that asked within this long shares the instance. */
const ACTIVE_MS = 2000;
/** How fast the shedding pressure rises per saturated sample, and falls per calm one. */
const PRESSURE_UP = 0.25;
const PRESSURE_DOWN = 0.1;
/** Plain reads an org needs for its latency to count (a median of fewer is decided by one read). */
const SLOW_MIN_SAMPLES = 8;
/**
 * Sample windows an org's plain reads are pooled over until there are SLOW_MIN_SAMPLES of them: at
 * the default ADMISSION_SAMPLE_MS of 250 ms, an org sending 8 plain reads a second is measured
 * (one window alone needs 32 a second, and a quiet org polling 20 times a second went unseen).
 */
const SLOW_POOL_SAMPLES = 4;
/** A slowed org's median must also be this much over its baseline, ms (a 1 ms median doubles on jitter). */
const SLOW_FLOOR_MS = 3;
/**
 * How far a baseline may rise towards a slower median per sample while nothing is shed: an org
 * whose reads become slower on their own is learnt in ~25 samples (6 s at 250 ms).
 */
const BASELINE_CREEP = 0.03;
/** An org's baseline is forgotten this long after its last measured window. */
const BASELINE_TTL_MS = 10 * 60_000;
/**
 * Below this event-loop utilisation a slowed org is not this instance's doing (the database, the
 * network, a collection): at 0.3 an org polling a few times a second, slowed from 1.3 to 3 ms,
 * had the org sending 50 plain reads a second shed.
 */
const SLOW_MIN_UTILIZATION = 0.5;
/** Latencies kept per org and window (a median of more says nothing new). */
const WINDOW_MAX = 256;
/** Requests of one org waiting for a turn (see `turn`), past which the next is shed. */
const TURN_QUEUE_MAX = 256;
/**
 * How far over its fair share an org must go to wait for turns, and how far back it must come to
 * run freely again. Two orgs at equal rates are each just over half whenever their own request has
 * just arrived, and neither should be held back; an org sending four times another's (0.8 of the
 * load) sits close enough to any single line that it crossed it back and forth, and each crossing
 * started its whole backlog at once: the other org's reads then queued behind a hundred requests.
 */
const TURN_SHARE_ENTER = 1.25;
const TURN_SHARE_EXIT = 1;
/**
 * Requests an org runs at once (holding turns) from which its share of them, against everything
 * the other orgs have in flight (waiting included), caps it too, before its offered rate shows it:
 * a flood's first half second, its rate still rising through the 1 s average, ran 16 requests at
 * once beside another org's one. The other orgs' waiting requests count: beside a capped org (one
 * running, its backlog waiting), an org running a few at once is not over its share. The org's own
 * waiting requests do not: they would dilute its share and let it run more at once.
 */
const TURN_MIN_RUNNING = 4;
/** Waiting requests an ending turn starts while its org runs freely again: the backlog drains in doubling steps, not at once. */
const TURN_DRAIN = 2;
/**
 * Below this event-loop utilisation (the last sample, nothing shed) the loop has no queue for
 * another org's request to wait in, so holding a capped org to `orgConcurrency` buys the others
 * nothing and costs it its parallelism: a large org's page of 8 parallel reads beside a small org's
 * trickle loaded 1.6× slower (p50) on an idle instance. It then runs up to TURN_IDLE_CONCURRENCY.
 */
const TURN_IDLE_UTILIZATION = 0.25;
const TURN_IDLE_CONCURRENCY = TURN_MIN_RUNNING;

export interface AdmissionOptions {
  /** Requests in flight on this instance past which it counts as saturated (0 = never by count). */
  maxInFlight: number;
  /** Event-loop lag (the worst over the last sample window, ms) past which it counts as saturated. */
  maxLagMs: number;
  /** Event-loop utilisation (0..1) over the last sample window past which it counts as saturated. */
  maxUtilization: number;
  /**
   * Slowdown of the orgs other than the top one past which the instance counts as saturated: their
   * plain reads' median latency over the last window against each one's own baseline (0 = off).
   */
  maxSlowdown?: number;
  /** How often load is sampled, ms. */
  sampleMs: number;
  /**
   * While other orgs use the instance, the requests (those that take a turn) an org over its fair
   * share runs at once; the others wait in order (0 = off). See `turn`.
   */
  orgConcurrency?: number;
  /** A body declared at most this many bytes, or chunked, still takes turns (0 = bodyless requests only). */
  turnBodyMax?: number;
}

/**
 * What a request carries, as admission sees it before the body is read: `none` (a plain read when
 * it weighs 1: its latency is timed, and it takes turns), `small` (a body declared within
 * `turnBodyMax`, or chunked: takes turns, not timed) or `large` (an upload, a larger declared
 * body: neither). See `bodyClass`.
 */
export type BodyClass = 'none' | 'small' | 'large';

/** Ends a turn (idempotent). */
export type EndTurn = () => void;

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

interface OrgLoad {
  inFlight: number;
  /** Offered weight (admitted and shed), decayed with RATE_TAU_MS: what this org asks of the instance. */
  rate: number;
  /** When `rate` was last decayed, and when the org last asked (performance.now()). */
  at: number;
  /** Shedding credit: grows by the pressure on each request, a request is shed when it reaches 1. */
  credit: number;
  /** Latencies (ms) of the timed plain reads since the last measurement (none while the org offers the most load). */
  window: number[];
  /** Samples `window` has been pooled over without enough reads (see SLOW_POOL_SAMPLES). */
  pooled: number;
  /** Requests holding a turn, and those waiting for one (in arrival order; `gone`: their client left). */
  running: number;
  waiting: { start: (end: EndTurn) => void; gone: () => boolean; costly: boolean }[];
  /** Over its share (see TURN_SHARE_ENTER): runs `cap()` requests at once. */
  capped: boolean;
}

/** What an org's plain reads take when nobody slows them: the lowest window median, creeping up slowly. */
interface Baseline {
  ms: number;
  at: number;
}

const NO_TURN: EndTurn = () => undefined;

/** `rate` as last updated at `at`, decayed to `now`. */
const decayed = (rate: number, at: number, now: number): number => rate * Math.exp(-(now - at) / RATE_TAU_MS);

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Admission under saturation. Every request is counted under its org (or user): in flight, and in
 * a decayed rate of what the org offers (weight per request, admitted or shed). While the instance
 * is not saturated everyone is admitted; an org alone may use the whole instance up to
 * `maxInFlight` (work conserving).
 *
 * Saturated means the event loop lagged or was busy over the last sample, or that the other orgs
 * were slowed: the median latency of the plain reads (no body, weight 1) of the orgs other than
 * the one offering the most load was over `maxSlowdown` times each one's own baseline while the
 * loop was busy. The last is what catches a box whose CPU is contended from outside the process
 * (other processes, a noisy host): the loop is then neither lagging nor fully busy, yet every round
 * trip of the other orgs waits longer for a core. Then, while other orgs
 * use the instance too (asked within the last ACTIVE_MS), the orgs whose share of the offered load
 * is above the fair share (1 ÷ active orgs) are shed in proportion to a pressure that rises with
 * each saturated sample and falls with each calm one, so the cause is throttled smoothly instead of
 * being cut off and let back in a burst; an org under its share is never shed. At the hard bound of
 * requests in flight, an org over its share (of the offered load, or of what is in flight) is shed
 * outright. Shares are of offered load, not of what is in flight: a flooding org that is being shed
 * holds little in flight, yet it is still the cause.
 */
export class Admission {
  private readonly orgs = new Map<string, OrgLoad>();
  private total = 0;
  /** Orgs that asked within ACTIVE_MS (recounted each sample, counted up as orgs arrive). */
  private active = 0;
  private totalRate = 0;
  private totalAt = performance.now();
  private saturatedUntilSample = false;
  /** The last sample's verdict from the loop alone (lag, utilisation), without the slowdown signal. */
  private loopSaturatedUntilSample = false;
  /** 0..1: the fraction of an over-share org's requests shed while saturated. */
  private pressure = 0;
  /** Worst lateness of the lag probe since the last sample, ms. */
  private worstLagMs = 0;
  private readonly probe: NodeJS.Timeout;
  private lastElu: EventLoopUtilization;
  private readonly timer: NodeJS.Timeout;
  /** Last sample, for metrics and tests. */
  readonly last = { lagMs: 0, utilization: 0, slowdown: 0 };
  private readonly baselines = new Map<string, Baseline>();
  /** The org offering the most load at the last sample: the likeliest cause, never a measured victim. */
  private top?: OrgLoad;
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
    const now = performance.now();
    const horizon = now - ACTIVE_MS;
    this.active = 0;
    let topRate = -1;
    this.top = undefined;
    for (const [k, o] of this.orgs) {
      if (o.at >= horizon || o.inFlight > 0) this.active++;
      else this.orgs.delete(k);
      const rate = decayed(o.rate, o.at, now);
      if (rate > topRate) [topRate, this.top] = [rate, o];
    }
    this.loopSaturatedUntilSample =
      (this.opts.maxLagMs > 0 && this.last.lagMs > this.opts.maxLagMs) ||
      (this.opts.maxUtilization > 0 && this.last.utilization > this.opts.maxUtilization);
    this.saturatedUntilSample = this.slowed(now) || this.loopSaturatedUntilSample;
    this.pressure = this.saturatedUntilSample
      ? Math.min(1, this.pressure + PRESSURE_UP)
      : Math.max(0, this.pressure - PRESSURE_DOWN);
  }

  /**
   * Whether, with the loop at least SLOW_MIN_UTILIZATION busy, most of the orgs measured in this
   * window (not the top one, enough plain reads) saw their median latency over `maxSlowdown`
   * times their baseline. Learns the baselines (creeping up only while nothing is shed and the org
   * does not count as slowed, so a slowdown that lasts is never learnt as normal) and empties the
   * windows.
   */
  private slowed(now: number): boolean {
    const max = this.opts.maxSlowdown ?? 0;
    const busy = this.last.utilization >= SLOW_MIN_UTILIZATION;
    let measured = 0;
    let slowed = 0;
    let worst = 0;
    for (const [k, o] of this.orgs) {
      if (o.window.length < SLOW_MIN_SAMPLES) {
        // too few to judge: pooled with the next windows' reads, forgotten after SLOW_POOL_SAMPLES
        o.pooled = o.window.length && o.pooled + 1 < SLOW_POOL_SAMPLES ? o.pooled + 1 : 0;
        if (o.pooled === 0) o.window.length = 0;
        continue;
      }
      const m = median(o.window);
      o.window.length = 0;
      o.pooled = 0;
      const b = this.baselines.get(k);
      if (!b) {
        this.baselines.set(k, { ms: m, at: now });
        continue;
      }
      measured++;
      worst = Math.max(worst, m / b.ms);
      const isSlowed = max > 0 && busy && m > Math.max(b.ms * max, b.ms + SLOW_FLOOR_MS);
      if (isSlowed) slowed++;
      if (m < b.ms) b.ms = m;
      else if (!isSlowed && this.pressure === 0) b.ms = Math.min(m, b.ms * (1 + BASELINE_CREEP));
      b.at = now;
    }
    for (const [k, b] of this.baselines) if (now - b.at > BASELINE_TTL_MS) this.baselines.delete(k);
    this.last.slowdown = worst;
    return slowed * 2 > measured;
  }

  /**
   * Saturated by the event loop alone (lag, utilisation) or at the in-flight bound: what decides
   * whether a refused upload's socket may linger (bootstrap), whatever the slowdown signal says.
   */
  loopSaturated(): boolean {
    return this.loopSaturatedUntilSample || this.full();
  }

  saturated(): boolean {
    return this.saturatedUntilSample || this.full();
  }

  private full(): boolean {
    return this.opts.maxInFlight > 0 && this.total >= this.opts.maxInFlight;
  }

  /**
   * Admits the request under `key` or throws OverloadedError; the returned function ends it
   * (idempotent). `weight` is what the request costs relative to a plain read (a costly route
   * counts more), so an org sending many cheap requests is not taken for the one sending heavy ones.
   * `offered` (default `weight`) is what it counts for in the org's share of the offered load: more
   * than its in-flight weight for a large body, which costs the event loop in proportion to its
   * bytes (one 10 MiB upload is not one request's worth of load). `body` (BodyClass): a request
   * with no body, as a plain read, has its latency (admission to `servedAt`, the moment its
   * response was handed to the socket, else to end) measure how slowed its org is; a body's upload
   * time is the client's, not the instance's, and so is the time a client takes to read the
   * response. With turns on (`orgConcurrency`), a request that takes turns (no body, or a small
   * one) is not shed under pressure: it waits for its org's turn instead, which costs the instance
   * nothing until it runs, where a 429 costs a response (and the slowed orgs measured 1.7–2.5× with
   * both against 1.4–1.7× with turns alone); the hard bound still sheds it.
   */
  admit(key: string, weight = 1, offered = weight, body: BodyClass = 'large'): (servedAt?: number) => void {
    const now = performance.now();
    const o = this.offer(key, offered, now);
    const active = Math.max(1, this.active);
    if (active > 1 || this.full()) {
      const fair = 1 / active;
      const overRate = o.rate / this.totalRate > fair;
      if (this.full()) {
        const overInFlight = o.inFlight > 0 && o.inFlight + weight > Math.max(weight, this.total / active);
        if (overRate || overInFlight) this.refuse();
      } else if (this.saturatedUntilSample && overRate && !(body !== 'large' && this.opts.orgConcurrency)) {
        o.credit += Math.max(this.pressure, PRESSURE_UP);
        if (o.credit >= 1) {
          o.credit -= 1;
          this.refuse();
        }
      }
    }
    o.inFlight += weight;
    this.total += weight;
    let done = false;
    const plain = body === 'none' && weight === 1 && (this.opts.maxSlowdown ?? 0) > 0;
    return (servedAt?: number) => {
      if (done) return;
      done = true;
      this.total -= weight;
      o.inFlight -= weight;
      // Timed: every org's plain reads but the top one's (the likeliest cause), or an org's alone
      // (its baseline). Not "within its fair share": of two orgs at equal rates, the one whose
      // request just arrived is always the one over half.
      if (plain && o.window.length < WINDOW_MAX && (o !== this.top || this.active <= 1))
        o.window.push((servedAt ?? performance.now()) - now);
    };
  }

  /**
   * The class of a request's body from its headers: `bytes` its declared length, `chunked` no
   * length (streamed), `upload` a multipart upload. An upload, or a declared length past
   * `turnBodyMax`, is `large`. A chunked body that is not an upload counts as `small`: its size is
   * bounded by the JSON body limit, and a client must not escape turns by leaving the length out.
   * With `turnBodyMax` 0 every body is `large` (turns for bodyless requests only).
   */
  bodyClass(bytes: number, chunked: boolean, upload = false): BodyClass {
    if (!chunked && !(bytes > 0)) return 'none';
    const max = this.opts.turnBodyMax ?? 0;
    if (upload || max <= 0) return 'large';
    return chunked || bytes <= max ? 'small' : 'large';
  }

  /**
   * A turn to run, for a request `admit` has let in: while other orgs use the instance, an org over
   * its fair share (`capped`) runs at most `cap()` requests at once, and the rest wait in
   * arrival order (at most TURN_QUEUE_MAX, then shed). Within its share, or alone, an org runs as
   * many as it sends (work conserving). So an org flooding within its quota does not pile its
   * requests' work into the event loop ahead of another org's: each of the other org's requests
   * waits behind at most `cap()` of the flood's instead of all of them. A turn ends with
   * the returned function (the response handed to the socket), which starts the next waiting
   * requests (`next`). `gone`: the waiting request's client has left (it is skipped, and started
   * with a turn that holds nothing). `costly`: a request of a costly route (search, embeddings...),
   * whose cap is never widened on an idle loop (see `cap`).
   */
  turn(key: string, gone: () => boolean, costly = false): EndTurn | Promise<EndTurn> {
    const o = this.orgs.get(key);
    if (!o || !this.opts.orgConcurrency) return NO_TURN;
    const capped = this.capped(o, performance.now());
    if (!o.waiting.length && (!capped || o.running < this.cap(costly))) return this.start(o);
    if (o.waiting.length >= TURN_QUEUE_MAX) {
      // the places of requests whose clients left are freed first (each is started, holding nothing)
      for (const w of o.waiting) if (w.gone()) w.start(NO_TURN);
      o.waiting = o.waiting.filter((w) => !w.gone());
      if (o.waiting.length >= TURN_QUEUE_MAX) this.refuse();
    }
    return new Promise((start) => {
      o.waiting.push({ start, gone, costly });
      // nothing running ends to start it (the requests ahead of it left, or its org runs freely again)
      if (!o.running) this.next(o);
    });
  }

  private start(o: OrgLoad): EndTurn {
    o.running++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      o.running--;
      this.next(o);
    };
  }

  /**
   * Starts `o`'s waiting requests in order while it may run them: capped, up to `cap()` at once;
   * running freely again, TURN_DRAIN more per call (each ending turn), so its backlog does not land
   * at once.
   */
  private next(o: OrgLoad): void {
    let started = 0;
    while (o.waiting.length) {
      if (this.capped(o, performance.now())) {
        if (o.running >= this.cap(o.waiting[0].costly)) return;
      } else if (started >= TURN_DRAIN && o.running) return;
      const w = o.waiting.shift()!;
      if (w.gone()) w.start(NO_TURN);
      else {
        w.start(this.start(o));
        started++;
      }
    }
  }

  /**
   * Requests a capped org runs at once: `orgConcurrency`, or at least TURN_IDLE_CONCURRENCY while
   * the loop was nearly idle over the last sample and nothing is being shed. One threshold, no
   * hysteresis: four running may push the loop over it, and the next starts go back to one. A
   * rising cap starts no waiting request by itself: the next ending turn does. The loop is the
   * only queue this judges; a flood of slow database reads waits in the database pool, whose own
   * fair queue (FairScheduler, per org) serves another org's statement first. A costly request is
   * never widened: its work is off the loop (the model, the database, an engine), so an idle loop
   * says nothing about it (an org's hybrid searches four at a time beside an idle loop raised
   * another org's p95 2.1–2.9×, one at a time 1.7–2.1×, bench:fair-share row (j)).
   */
  private cap(costly = false): number {
    const cap = this.opts.orgConcurrency ?? 0;
    if (costly) return cap;
    const idle = this.last.utilization < TURN_IDLE_UTILIZATION && this.pressure === 0 && !this.saturated();
    return idle ? Math.max(cap, TURN_IDLE_CONCURRENCY) : cap;
  }

  /**
   * Whether `o` runs capped: while other orgs use the instance, from when its share of the offered
   * load passes TURN_SHARE_ENTER times the fair share (or it runs TURN_MIN_RUNNING at once past its
   * share of what is in flight) until it falls back to TURN_SHARE_EXIT times it.
   */
  private capped(o: OrgLoad, now: number): boolean {
    if (this.active <= 1) return (o.capped = false);
    const share = (decayed(o.rate, o.at, now) * this.active) / decayed(this.totalRate, this.totalAt, now);
    const line = o.capped ? TURN_SHARE_EXIT : TURN_SHARE_ENTER;
    return (o.capped = share > line || (o.running >= TURN_MIN_RUNNING && (o.running * this.active) / (o.running + this.total - o.inFlight) > line));
  }

  /**
   * Counts background work this process runs for `key` (an ingest job) into its offered load,
   * without admitting anything: the org whose jobs saturate the instance is the cause, not the
   * org whose requests happen to be the only ones arriving.
   */
  charge(key: string, weight: number): void {
    this.offer(key, weight, performance.now());
  }

  /** Counts `weight` into the org's and the instance's offered rate, decayed to `now`. */
  private offer(key: string, weight: number, now: number): OrgLoad {
    let o = this.orgs.get(key);
    if (!o) this.orgs.set(key, (o = { inFlight: 0, rate: 0, at: -Infinity, credit: 0, window: [], pooled: 0, running: 0, waiting: [], capped: false }));
    if (now - o.at > ACTIVE_MS && o.inFlight === 0) this.active++; // (re)joins the instance
    o.rate = (o.at === -Infinity ? 0 : decayed(o.rate, o.at, now)) + weight;
    o.at = now;
    this.totalRate = decayed(this.totalRate, this.totalAt, now) + weight;
    this.totalAt = now;
    return o;
  }

  private refuse(): never {
    this.shed++;
    throw new OverloadedError(Math.max(1, Math.ceil(this.opts.sampleMs / 1000)));
  }

  stats(): { total: number; orgs: number; saturated: boolean } {
    return { total: this.total, orgs: this.active, saturated: this.saturated() };
  }

  close(): void {
    clearInterval(this.timer);
    clearInterval(this.probe);
  }
}
