/**
 * Calls coalesced per key: what is added under one key goes out as one call of `run`, at most `max`
 * items a call, in the order added, and at most one call per key is in flight. Items added while a
 * key's call is out wait for it and go out together when it answers; otherwise they go at the
 * turn's check phase (setImmediate, after every socket read of the turn). The busier a key, the
 * more items a call carries, with no wait when it is idle. `run` answers one result per item, in
 * order; its failure fails every item of that call and those waiting behind it (they would wait a
 * whole failed call and then be sent to the same failing backend). The limiter's decisions go
 * through one: one script call per org at a time, not one per request.
 */
export class TurnBatcher<I, O> {
  private readonly pending = new Map<string, Waiting<I, O>[]>();
  private readonly inFlight = new Set<string>();
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
      if (!this.scheduled && !this.inFlight.has(key)) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const key of [...this.pending.keys()]) if (!this.inFlight.has(key)) this.send(key);
  }

  /** Sends the key's first `max` waiting items. */
  private send(key: string): void {
    const waiting = this.pending.get(key)!;
    const part = waiting.splice(0, this.max);
    if (waiting.length === 0) this.pending.delete(key);
    this.inFlight.add(key);
    let out: Promise<O[]>;
    try {
      out = this.run(part.map((w) => w.item));
    } catch (e) {
      out = Promise.reject(e);
    }
    out.then(
      (results) => {
        if (results.length !== part.length)
          this.failed(key, part, new Error(`batch of ${part.length} answered ${results.length} results`));
        else {
          part.forEach((w, i) => w.resolve(results[i]));
          this.answered(key);
        }
      },
      (e: unknown) => this.failed(key, part, e),
    );
  }

  private answered(key: string): void {
    this.inFlight.delete(key);
    if (this.pending.has(key)) this.send(key);
  }

  private failed(key: string, part: Waiting<I, O>[], e: unknown): void {
    this.inFlight.delete(key);
    const behind = this.pending.get(key) ?? [];
    this.pending.delete(key);
    for (const w of [...part, ...behind]) w.reject(e);
  }
}

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}
