/**
 * The one polling helper for tests (no sleeps as synchronisation): calls fn until it returns a
 * truthy value and returns that value. An error fn throws counts as "not yet" and is reported if
 * the bound passes; fn is called once more after the bound before giving up.
 */
export async function until<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 15_000,
  what = 'a condition',
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Whether `p` settles within `ms`: a deadline raced, not slept on. */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  return Promise.race([p.then(() => true), late]).finally(() => clearTimeout(timer));
}
