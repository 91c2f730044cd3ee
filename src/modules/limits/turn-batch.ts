/**
 * Calls coalesced per event-loop turn: the items added under one key before the turn's check phase
 * (setImmediate, after every socket read of the turn) go out as one call of `run`, at most `max`
 * items a call, in the order they were added. `run` answers one result per item, in order; its
 * failure fails every item of that call. The limiter's decisions go through one (one script call
 * per org a turn, not one per request): under load a turn carries several requests of an org.
 */
export class TurnBatcher<I, O> {
  private readonly pending = new Map<string, Waiting<I, O>[]>();
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly max: number,
  ) {}

  add(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ item, resolve, reject });
      else this.pending.set(key, [{ item, resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const groups = [...this.pending.values()];
    this.pending.clear();
    for (const group of groups)
      for (let i = 0; i < group.length; i += this.max) this.call(group.slice(i, i + this.max));
  }

  private call(part: Waiting<I, O>[]): void {
    let out: Promise<O[]>;
    try {
      out = this.run(part.map((w) => w.item));
    } catch (e) {
      out = Promise.reject(e);
    }
    out.then(
      (results) => {
        if (results.length !== part.length) {
          const e = new Error(`batch of ${part.length} answered ${results.length} results`);
          for (const w of part) w.reject(e);
        } else part.forEach((w, i) => w.resolve(results[i]));
      },
      (e: unknown) => {
        for (const w of part) w.reject(e);
      },
    );
  }
}

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}
