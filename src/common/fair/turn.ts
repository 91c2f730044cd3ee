import type { Turn } from './fair-scheduler.js';

/** A turn that ended with its work set aside (a process paused, a thread held), to go on in a later turn. */
export const GAVE_WAY = Symbol('gave way');

export interface TurnOptions<T> {
  /** The work's outcome, over all its turns (it may settle while set aside, between turns). */
  done: Promise<T>;
  /** The turn's signal (FairScheduler.run): its time limit passed, or its caller left. */
  signal: AbortSignal;
  /** The turn's flag: raised while another org waits for the engine (FairScheduler.signalTurns). */
  turn?: Turn;
  /** How long the work runs, in ms, before it gives way to a waiting org. */
  turnMs: number;
  /** Whether the work may be set aside now (the engine holds fewer than its bound set aside). */
  mayGiveWay: () => boolean;
  /** Sets the work aside (pauses its process, holds its thread). */
  giveWay: () => void;
  /** Stops the work for good, with why. */
  stop: (reason: unknown) => void;
  /** Adds the turn's running time to the work's own. */
  ran: (ms: number) => void;
}

/**
 * One turn of work that can be set aside and go on later (an OCR process, an HTML walk): settles
 * with the work's outcome, or with GAVE_WAY once the turn's flag is raised, `turnMs` has passed and
 * the engine may set it aside (else it looks again a turn later). Its signal stops the work.
 */
export function takeTurn<T>(o: TurnOptions<T>): Promise<T | typeof GAVE_WAY> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    /** Ends this turn once (false if it had ended: the work may settle in a later turn). */
    const end = () => {
      if (ended) return false;
      ended = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      if (o.turn) o.turn.onRaise = undefined;
      o.ran(performance.now() - began);
      return true;
    };
    // Past the time limit (or abandoned): the work goes, and its slot with it.
    const onAbort = () => {
      if (!end()) return;
      o.stop(o.signal.reason);
      reject(o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted'));
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    o.done.then(
      (v) => end() && resolve(v),
      (e: unknown) => end() && reject(e as Error),
    );
    const giveWay = () => {
      clearTimeout(timer);
      if (ended || !o.turn || Atomics.load(o.turn.flag, 0) !== 1) return;
      const left = o.turnMs - (performance.now() - began);
      // not yet a whole turn, or the engine holds its bound of work set aside: look again later
      if (left > 0 || !o.mayGiveWay()) {
        timer = setTimeout(giveWay, left > 0 ? left : o.turnMs);
        timer.unref();
        return;
      }
      if (!end()) return;
      o.giveWay();
      resolve(GAVE_WAY);
    };
    if (o.signal.aborted) onAbort();
    else if (o.turn) {
      o.turn.onRaise = giveWay;
      giveWay();
    }
  });
}
