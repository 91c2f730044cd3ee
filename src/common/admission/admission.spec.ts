import { afterEach, describe, expect, it } from 'vitest';
import { Admission, OverloadedError } from './admission.js';

/** Blocks the event loop: a lag the monitor is certain to see. */
function block(ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* busy */
  }
}
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(Admission.name, () => {
  let sut: Admission;
  afterEach(() => sut.close());
  /** The loop blocked for 300 ms, seen by the lag probe, then sampled: a saturated sample. */
  const lagged = async () => {
    block(300);
    await tick(30); // the delay monitor records the block
    sut.sample();
  };

  it('admits everyone while the instance is not saturated, and counts what is in flight', () => {
    sut = new Admission({ maxInFlight: 100, maxLagMs: 0, maxUtilization: 0, sampleMs: 60_000 });
    const ends = [sut.admit('a'), sut.admit('a'), sut.admit('b')];
    expect(sut.stats()).toEqual({ total: 3, orgs: 2, saturated: false });
    ends.forEach((end) => end());
    ends[0](); // idempotent
    expect(sut.stats().total).toBe(0);
  });

  it('at the in-flight bound sheds the org above its fair share, and still admits the org below it', () => {
    sut = new Admission({ maxInFlight: 10, maxLagMs: 0, maxUtilization: 0, sampleMs: 60_000 });
    for (let i = 0; i < 9; i++) sut.admit('noisy');
    sut.admit('quiet');
    expect(sut.stats().saturated).toBe(true);
    expect(() => sut.admit('noisy')).toThrow(OverloadedError);
    expect(() => sut.admit('quiet')).not.toThrow(); // 1 in flight < 11 / 2
    expect(() => sut.admit('newcomer')).not.toThrow(); // nothing in flight: not the cause
    const e = (() => {
      try {
        sut.admit('noisy');
      } catch (err) {
        return err as OverloadedError;
      }
    })();
    expect(e?.getStatus()).toBe(429);
    expect(e?.slug).toBe('overloaded');
    expect(Number(e?.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  });

  it('an org alone may use the whole instance up to the bound (work conserving), even when the loop lags', async () => {
    sut = new Admission({ maxInFlight: 5, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000 });
    await lagged();
    expect(sut.last.lagMs).toBeGreaterThan(20);
    for (let i = 0; i < 5; i++) expect(() => sut.admit('alone')).not.toThrow();
    expect(() => sut.admit('alone')).toThrow(OverloadedError);
  });

  /** Admits `n` requests of `key` (each ended at once); how many were shed. */
  const offer = (key: string, n: number, weight = 1) => {
    let shed = 0;
    for (let i = 0; i < n; i++) {
      try {
        sut.admit(key, weight)();
      } catch (e) {
        expect(e).toBeInstanceOf(OverloadedError);
        shed++;
      }
    }
    return shed;
  };

  it('when the event loop lags and orgs share the instance, the org offering more than its share is shed in proportion to the pressure', async () => {
    sut = new Admission({ maxInFlight: 0, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000 });
    offer('noisy', 30);
    offer('quiet', 3);
    await lagged();
    expect(sut.stats().saturated).toBe(true);
    // one saturated sample: a quarter of the over-share org's requests
    expect(offer('noisy', 40)).toBe(10);
    expect(offer('quiet', 5)).toBe(0);
    // still saturated: the pressure rises
    await lagged();
    expect(offer('noisy', 40)).toBe(20);
    expect(offer('quiet', 5)).toBe(0);
  });

  it('with turns on, a bodyless request of the org over its share waits for its turn instead of being shed; one with a body is still shed', async () => {
    sut = new Admission({ maxInFlight: 0, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000, orgConcurrency: 1 });
    offer('noisy', 30);
    offer('quiet', 3);
    await lagged();
    expect(sut.stats().saturated).toBe(true);
    let shed = 0;
    for (let i = 0; i < 40; i++) {
      try {
        sut.admit('noisy', 1, 1, 'none')();
      } catch {
        shed++;
      }
    }
    expect(shed).toBe(0);
    for (let i = 0; i < 40; i++) {
      try {
        sut.admit('noisy', 10, 10, 'small')(); // a search: a small body takes turns too
      } catch {
        shed++;
      }
    }
    expect(shed).toBe(0);
    expect(offer('noisy', 40)).toBe(10); // with a large body: a quarter, as without turns
  });

  it('classes a body: none; small up to turnBodyMax or chunked; large past it or an upload', () => {
    sut = new Admission({ maxInFlight: 0, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000, orgConcurrency: 1, turnBodyMax: 1024 });
    expect(sut.bodyClass(0, false)).toBe('none');
    expect(sut.bodyClass(NaN, false)).toBe('none');
    expect(sut.bodyClass(1, false)).toBe('small');
    expect(sut.bodyClass(1024, false)).toBe('small');
    expect(sut.bodyClass(1025, false)).toBe('large');
    expect(sut.bodyClass(NaN, true)).toBe('small'); // no length: no escape from turns
    expect(sut.bodyClass(NaN, true, true)).toBe('large');
    expect(sut.bodyClass(10, false, true)).toBe('large');
    sut.close();
    sut = new Admission({ maxInFlight: 0, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000, orgConcurrency: 1 });
    expect(sut.bodyClass(1, false)).toBe('large'); // 0 (unset): bodyless requests only
    expect(sut.bodyClass(NaN, true)).toBe('large');
  });

  it('a flooding org with nothing in flight is still the cause: shares are of offered load, and the pressure eases when calm', async () => {
    sut = new Admission({ maxInFlight: 0, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000 });
    for (let round = 0; round < 4; round++) {
      block(100);
      await tick(30);
      sut.sample();
    }
    // pressure 1 after four saturated samples: every request of the over-share org is shed
    offer('quiet', 1);
    expect(offer('noisy', 50)).toBeGreaterThanOrEqual(45);
    expect(sut.stats().total).toBe(0);
    expect(offer('quiet', 3)).toBe(0);
    sut.sample(); // calm (no lag since the last sample): the pressure falls, and the loop counts as not saturated
    expect(sut.stats().saturated).toBe(false);
    expect(offer('noisy', 20)).toBe(0);
  });

  it('weighs costly requests: an org with many cheap reads in flight is not shed for another org’s heavy ones', () => {
    sut = new Admission({ maxInFlight: 20, maxLagMs: 0, maxUtilization: 0, sampleMs: 60_000 });
    for (let i = 0; i < 6; i++) sut.admit('quiet', 1);
    sut.admit('noisy', 10);
    sut.admit('noisy', 10); // 26 in flight by weight: saturated
    expect(() => sut.admit('quiet', 1)).not.toThrow(); // 7 of 27 is below its share
    expect(() => sut.admit('noisy', 10)).toThrow(OverloadedError);
  });

  it('at the hard bound an org would go past its share is refused; an org with nothing in flight still gets in', () => {
    sut = new Admission({ maxInFlight: 2, maxLagMs: 0, maxUtilization: 0, sampleMs: 60_000 });
    sut.admit('noisy');
    sut.admit('quiet');
    expect(() => sut.admit('noisy')).toThrow(OverloadedError); // 2 > its share of 1
    expect(() => sut.admit('newcomer')).not.toThrow();
  });

  it('counts a large body by its offered weight: one org’s single huge upload does not make the org sending many reads the cause', async () => {
    sut = new Admission({ maxInFlight: 0, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000 });
    offer('quiet', 20);
    // one 10 MiB upload: one request in flight, 160 plain reads' worth of offered load
    const end = sut.admit('noisy', 1, 1 + Math.floor((10 * 1024 * 1024) / (64 * 1024)));
    await lagged();
    expect(sut.stats().saturated).toBe(true);
    expect(offer('quiet', 10)).toBe(0);
    // the uploader is the cause: a pressure-sized fraction of its requests is shed
    let shed = 0;
    for (let i = 0; i < 4; i++) {
      try {
        sut.admit('noisy', 1, 161)();
      } catch {
        shed++;
      }
    }
    expect(shed).toBe(1);
    end();
  });

  it('counts an org’s background jobs into its share: the org whose jobs saturate the process is the cause, not the org whose reads arrive', async () => {
    sut = new Admission({ maxInFlight: 0, maxLagMs: 20, maxUtilization: 0, sampleMs: 60_000 });
    for (let i = 0; i < 10; i++) sut.charge('ingesting', 10);
    offer('quiet', 20);
    await lagged();
    expect(sut.stats().saturated).toBe(true);
    expect(offer('quiet', 20)).toBe(0);
    expect(offer('ingesting', 8)).toBe(2);
  });

  describe('slowdown of the orgs within their share', () => {
    const opts = { maxInFlight: 0, maxLagMs: 0, maxUtilization: 0, maxSlowdown: 2, sampleMs: 60_000 };

    /** `n` timed plain reads of `key`, each taking `ms`, with the loop busy (blocked) or idle meanwhile. */
    const reads = async (key: string, n: number, ms: number, loop: 'busy' | 'idle') => {
      for (let i = 0; i < n; i++) {
        const end = sut.admit(key, 1, 1, 'none');
        if (loop === 'busy') block(ms);
        else await tick(ms);
        end();
      }
    };

    /** The quiet org's baseline (its reads alone, fast), then a flood by the noisy org, the top one from the next sample. */
    const baselineThenFlood = async () => {
      await reads('quiet', 8, 0, 'busy');
      sut.sample(); // learns the quiet org's baseline
      offer('noisy', 40);
      sut.sample(); // nothing measured: the noisy org is now the one offering the most
    };

    it('while the loop is busy, another org slowed past the bound makes the instance saturated: the over-share org is shed, the slowed one never', async () => {
      sut = new Admission(opts);
      await baselineThenFlood();
      await reads('quiet', 8, 6, 'busy');
      sut.sample();
      expect(sut.last.slowdown).toBeGreaterThan(2);
      expect(sut.stats().saturated).toBe(true);
      expect(offer('noisy', 40)).toBe(10); // one saturated sample: a quarter
      expect(offer('quiet', 5)).toBe(0);
    });

    it('times a read to when its response was served, not to when its client finished reading it', async () => {
      sut = new Admission(opts);
      await baselineThenFlood();
      for (let i = 0; i < 8; i++) {
        const end = sut.admit('quiet', 1, 1, 'none');
        const served = performance.now(); // answered at once; the client then took 6 ms to read it
        block(6);
        end(served);
      }
      sut.sample();
      expect(sut.last.utilization).toBeGreaterThan(0.5);
      expect(sut.stats().saturated).toBe(false); // timed to the end, the same reads saturate it (the test above)
    });

    it('is off at 0: the same slowdown does not saturate the instance', async () => {
      sut = new Admission({ ...opts, maxSlowdown: 0 });
      await baselineThenFlood();
      await reads('quiet', 8, 6, 'busy');
      sut.sample();
      expect(sut.stats().saturated).toBe(false);
      expect(offer('noisy', 40)).toBe(0);
    });

    it('a slowdown on an idle loop is not this instance’s doing (the database, the network): nothing is shed', async () => {
      sut = new Admission(opts);
      await baselineThenFlood();
      await reads('quiet', 8, 6, 'idle');
      sut.sample();
      expect(sut.last.slowdown).toBeGreaterThan(2);
      expect(sut.last.utilization).toBeLessThan(0.5);
      expect(sut.stats().saturated).toBe(false);
    });

    it('counts neither the top org’s own latency, nor requests with a body, nor too few reads', async () => {
      sut = new Admission(opts);
      await reads('noisy', 8, 0, 'busy'); // the flooder has a baseline too: only its share keeps it out
      await baselineThenFlood();
      await reads('noisy', 20, 6, 'busy'); // the flooder's own reads are slow: not a victim
      for (let i = 0; i < 8; i++) {
        const end = sut.admit('quiet', 1, 1, 'large'); // a body: its upload time is the client's
        block(6);
        end();
      }
      await reads('quiet', 7, 6, 'busy'); // slowed, but fewer than the 8 a window needs
      sut.sample();
      expect(sut.last.utilization).toBeGreaterThan(0.5);
      expect(sut.stats().saturated).toBe(false);
    });

    it('pools an org’s reads over a few windows until there are enough: an org polling slowly is measured too', async () => {
      sut = new Admission(opts);
      await baselineThenFlood();
      await reads('quiet', 5, 6, 'busy'); // 20 a second at 250 ms windows: 5 a window
      sut.sample();
      expect(sut.stats().saturated).toBe(false); // too few yet
      await reads('quiet', 5, 6, 'busy');
      sut.sample();
      expect(sut.last.slowdown).toBeGreaterThan(2);
      expect(sut.stats().saturated).toBe(true);
      expect(offer('quiet', 5)).toBe(0);
    });

    it('forgets pooled reads after SLOW_POOL_SAMPLES windows: reads far apart are not one window', async () => {
      sut = new Admission(opts);
      await baselineThenFlood();
      await reads('quiet', 4, 6, 'busy');
      for (let i = 0; i < 4; i++) sut.sample();
      await reads('quiet', 4, 6, 'busy');
      sut.sample();
      expect(sut.stats().saturated).toBe(false); // 4 + 4, but the first 4 are four windows old
      await reads('quiet', 4, 6, 'busy');
      sut.sample();
      expect(sut.stats().saturated).toBe(true); // the last two windows' 8
    });

    it('takes most of the measured orgs: one slowed org of two does not saturate the instance, two of three do', async () => {
      sut = new Admission(opts);
      for (const k of ['a', 'b', 'c']) await reads(k, 8, 0, 'busy');
      sut.sample();
      offer('noisy', 200);
      sut.sample();
      await reads('a', 8, 6, 'busy');
      await reads('b', 8, 0, 'busy');
      sut.sample();
      expect(sut.stats().saturated).toBe(false);
      await reads('a', 8, 6, 'busy');
      await reads('b', 8, 6, 'busy');
      await reads('c', 8, 0, 'busy');
      sut.sample();
      expect(sut.stats().saturated).toBe(true);
    });

    it('a slowdown that lasts is not learnt as normal while it sheds', async () => {
      sut = new Admission(opts);
      await baselineThenFlood();
      for (let w = 0; w < 40; w++) {
        await reads('quiet', 8, 6, 'busy');
        offer('noisy', 40);
        sut.sample();
        expect(sut.stats().saturated, `window ${w}`).toBe(true);
      }
    });

    it('an org whose reads become slower on their own is learnt: its baseline creeps up, and the signal stops', async () => {
      sut = new Admission(opts);
      await reads('quiet', 8, 1, 'idle');
      sut.sample();
      let saturatedSamples = 0;
      for (let w = 0; w < 60; w++) {
        await reads('quiet', 8, 5, 'idle');
        sut.sample();
        if (sut.last.slowdown > 2) saturatedSamples++;
        else break;
      }
      expect(saturatedSamples).toBeGreaterThan(0);
      expect(saturatedSamples).toBeLessThan(60);
    });
  });

  describe('turns: an org over its share runs few requests at a time while others use the instance', () => {
    const opts = { maxInFlight: 0, maxLagMs: 0, maxUtilization: 0, sampleMs: 60_000, orgConcurrency: 1 };
    const here = () => false;
    /** Admits a request of `key` and asks for its turn; `started` says whether it runs yet. */
    const request = (key: string, gone = here, costly = false) => {
      sut.admit(key);
      const turn = sut.turn(key, gone, costly);
      const r = { started: typeof turn === 'function', end: typeof turn === 'function' ? turn : () => undefined };
      if (typeof turn !== 'function')
        void turn.then((end) => {
          r.started = true;
          r.end = end;
        });
      return r;
    };
    const settle = () => new Promise((r) => setImmediate(r));
    /** `n` requests of `key` admitted and answered at once (without taking turns): its offered load. */
    const prime = (key: string, n: number) => Array.from({ length: n }, () => sut.admit(key)()).length;
    /** An instance whose loop was busy over the last sample: a capped org runs `orgConcurrency` at once. */
    const busy = (utilization = 0.9) => {
      const a = new Admission(opts);
      a.last.utilization = utilization;
      return a;
    };

    it('queues the flooding org in arrival order and starts the next as a turn ends; the other org never waits', async () => {
      sut = busy();
      request('quiet').end();
      prime('noisy', 10);
      const flood = Array.from({ length: 4 }, () => request('noisy'));
      expect(flood.map((r) => r.started)).toEqual([true, false, false, false]);
      const quiet = request('quiet');
      expect(quiet.started).toBe(true); // within its share: not held back behind the flood
      flood[0].end();
      flood[0].end(); // idempotent: starts one, not two
      await settle();
      expect(flood.map((r) => r.started)).toEqual([true, true, false, false]);
      flood[1].end();
      await settle();
      expect(flood.map((r) => r.started)).toEqual([true, true, true, false]);
    });

    it('on a nearly idle loop holds a capped org to 4 at once instead of 1: no queue to protect the others from', async () => {
      sut = busy(0.1);
      request('quiet').end();
      prime('noisy', 10);
      const page = Array.from({ length: 6 }, () => request('noisy'));
      expect(page.map((r) => r.started)).toEqual([true, true, true, true, false, false]);
      page[0].end();
      await settle();
      expect(page.map((r) => r.started)).toEqual([true, true, true, true, true, false]);
      // the loop got busy: the capped org's next requests wait until it runs fewer than orgConcurrency
      sut.last.utilization = 0.5;
      for (const r of page.slice(1, 4)) {
        r.end();
        await settle();
        expect(page[5].started).toBe(false);
      }
      page[4].end();
      await settle();
      expect(page[5].started).toBe(true);
    });

    it("never widens a capped org's costly requests on an idle loop: their work is not the loop's", async () => {
      sut = busy(0.1);
      request('quiet').end();
      prime('noisy', 10);
      const searches = Array.from({ length: 3 }, () => request('noisy', here, true));
      expect(searches.map((r) => r.started)).toEqual([true, false, false]);
      expect(request('noisy').started).toBe(false); // a plain read waits behind them, in arrival order
      searches[0].end();
      await settle();
      expect(searches.map((r) => r.started)).toEqual([true, true, false]);
    });

    it('holds a capped org to orgConcurrency on an idle loop while the instance sheds (at its in-flight bound)', async () => {
      sut = new Admission({ ...opts, maxInFlight: 8 });
      sut.last.utilization = 0.1;
      request('quiet').end();
      prime('noisy', 10);
      const page = Array.from({ length: 6 }, () => request('noisy'));
      expect(page.map((r) => r.started)).toEqual([true, true, true, true, false, false]);
      // two more of the other org's in flight: 8, the hard bound, so the instance is saturated
      sut.admit('quiet');
      sut.admit('quiet');
      expect(sut.saturated()).toBe(true);
      page[0].end();
      await settle();
      expect(page[4].started).toBe(false);
    });

    it('is work conserving: an org alone, or orgs within their share, run everything at once', () => {
      sut = busy();
      expect(Array.from({ length: 5 }, () => request('alone').started)).toEqual([true, true, true, true, true]);
      sut.close();
      sut = busy();
      request('a').end();
      request('b').end();
      prime('a', 10);
      prime('b', 10);
      const both = Array.from({ length: 3 }, () => [request('a'), request('b')]).flat();
      // each org sits at half, the fair share, each just over it when its own request arrives
      expect(both.every((r) => r.started)).toBe(true);
      sut.close();
      sut = new Admission({ ...opts, orgConcurrency: 0 });
      request('quiet');
      prime('noisy', 10);
      expect(Array.from({ length: 5 }, () => request('noisy').started)).toEqual([true, true, true, true, true]);
    });

    it('skips a waiting request whose client left, and sheds past 256 waiting (dropping the gone first)', async () => {
      sut = busy();
      request('quiet');
      prime('noisy', 10);
      const first = request('noisy');
      let left = false;
      const leaver = request('noisy', () => left);
      const next = request('noisy');
      left = true;
      first.end();
      await settle();
      expect(next.started).toBe(true); // the leaver was started with a turn that holds nothing
      expect(leaver.started).toBe(true);
      next.end();
      leaver.end();
      // 256 wait behind one running request; the next is shed
      const running = request('noisy');
      expect(running.started).toBe(true);
      let gone = false;
      for (let i = 0; i < 256; i++) request('noisy', i === 0 ? () => gone : here);
      expect(() => request('noisy')).toThrow(OverloadedError);
      gone = true;
      expect(() => request('noisy')).not.toThrow(); // the gone one's place was freed
      expect(() => request('noisy')).toThrow(OverloadedError);
    });

    it('caps an org past 1.25x its fair share until it is back at its share, then drains its backlog two per ending turn', async () => {
      sut = busy();
      request('quiet').end();
      prime('quiet', 9);
      prime('noisy', 10);
      // 11 then 12 of 21 and 22: at most 1.09x the fair share of two, under the line: both run at once
      const [a, b] = [request('noisy'), request('noisy')];
      expect([a.started, b.started]).toEqual([true, true]);
      a.end();
      b.end();
      prime('noisy', 6);
      const c = request('noisy'); // 19 of 29: 1.31x, capped (and it runs: nothing else does)
      const [d, e] = [request('noisy'), request('noisy')];
      expect([c.started, d.started, e.started]).toEqual([true, false, false]);
      prime('quiet', 6); // 21 of 37, 1.14x: under the line to be capped, not yet back at its share
      c.end();
      await settle();
      expect([d.started, e.started]).toEqual([true, false]); // still one at a time
      prime('quiet', 6); // 21 of 43: 0.98x, back within its share
      const later = [request('noisy'), request('noisy'), request('noisy')]; // at most 1.04x: runs freely
      expect(later.some((r) => r.started)).toBe(false); // behind the backlog, in order
      d.end();
      await settle();
      expect([e.started, ...later.map((r) => r.started)]).toEqual([true, true, false, false]);
      e.end();
      await settle();
      expect(later.map((r) => r.started)).toEqual([true, true, true]);
    });

    it('caps an org running four at once beside another org before its rate shows it (a flood\'s first moments)', () => {
      sut = busy();
      const quiet = request('quiet');
      prime('quiet', 20);
      prime('noisy', 20);
      // rates at most 26 of 47 (1.1x): the burst is capped by what it runs at once, 4 against the other org's 1
      const burst = Array.from({ length: 6 }, () => request('noisy'));
      expect(burst.map((r) => r.started)).toEqual([true, true, true, true, false, false]);
      expect(quiet.started).toBe(true);
    });

    it("keeps a flood whose rate is still rising at four running at once: its own waiting requests do not dilute its share", async () => {
      sut = busy();
      const quiet = request('quiet');
      prime('quiet', 40);
      prime('noisy', 20);
      // 32 of 73 at most: under the fair share by rate, so only what it runs at once caps it
      const flood = Array.from({ length: 12 }, () => request('noisy'));
      const ended = new Set<(typeof flood)[number]>();
      const running = () => flood.filter((r) => r.started && !ended.has(r));
      let most = running().length;
      while (ended.size < flood.length) {
        const r = running()[0];
        ended.add(r);
        r.end();
        await settle();
        most = Math.max(most, running().length);
      }
      expect(most).toBe(4);
      expect(flood.every((r) => r.started)).toBe(true); // and every one ran, in the end
      quiet.end();
    });

    it('does not cap an org running a few at once beside a capped org, whose waiting backlog counts as in flight', () => {
      sut = busy();
      request('quiet').end();
      prime('quiet', 20);
      prime('noisy', 60);
      const flood = Array.from({ length: 10 }, () => request('noisy'));
      expect(flood.filter((r) => r.started)).toHaveLength(1);
      prime('quiet', 40); // as busy as the flood now: 61 of 130 (0.94x)
      const reads = Array.from({ length: 5 }, () => request('quiet'));
      expect(reads.every((r) => r.started)).toBe(true);
    });
  });
});
