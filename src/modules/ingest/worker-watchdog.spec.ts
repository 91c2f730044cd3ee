import { describe, expect, it } from 'vitest';
import { WorkerWatchdog } from './worker-watchdog.js';

describe(WorkerWatchdog.name, () => {
  const setup = () => {
    let t = 0;
    const sut = new WorkerWatchdog<string>(10_000, () => t);
    return { sut, at: (ms: number) => (t = ms) };
  };
  const idle = (started: number) => ({ started, running: 0, concurrency: 4 });

  it('a worker with room that starts nothing while jobs stay ready for the stall time is wedged, once', () => {
    const { sut, at } = setup();
    expect(sut.check('ocr', 50, idle(7))).toBe(false);
    at(9_999);
    expect(sut.check('ocr', 50, idle(7))).toBe(false);
    at(10_000);
    expect(sut.check('ocr', 50, idle(7))).toBe(true);
    // reported once: the replacement gets a stall time of its own
    expect(sut.check('ocr', 50, idle(7))).toBe(false);
    at(19_999);
    expect(sut.check('ocr', 50, idle(7))).toBe(false);
    at(20_000);
    expect(sut.check('ocr', 50, idle(7))).toBe(true);
  });

  it('a worker that starts jobs is live, however many wait', () => {
    const { sut, at } = setup();
    for (let i = 0; i <= 5; i++) {
      at(i * 9_000);
      expect(sut.check('ocr', 500, idle(i))).toBe(false);
    }
  });

  it('an empty queue or a full worker is never a wedge, and resets the clock', () => {
    const { sut, at } = setup();
    sut.check('ocr', 5, idle(1));
    at(6_000);
    expect(sut.check('ocr', 0, idle(1))).toBe(false); // drained
    at(12_000);
    expect(sut.check('ocr', 5, idle(1))).toBe(false); // seen again: a new clock
    at(21_000);
    expect(sut.check('ocr', 5, { started: 1, running: 4, concurrency: 4 })).toBe(false); // busy
    at(40_000);
    expect(sut.check('ocr', 5, idle(1))).toBe(false);
  });

  it('watches each kind on its own clock', () => {
    const { sut, at } = setup();
    sut.check('ocr', 5, idle(0));
    at(5_000);
    sut.check('crawl', 5, idle(0));
    at(10_000);
    expect(sut.check('ocr', 5, idle(0))).toBe(true);
    expect(sut.check('crawl', 5, idle(0))).toBe(false);
  });
});
