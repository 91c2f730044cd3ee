/**
 * Work that refreshes gauges right before a scrape (DB pool, Redis, queue depth). Features register
 * a hook once; every /metrics render (API or worker port) awaits all hooks, each bounded by a
 * timeout, and a failing hook never fails the scrape.
 */
export type ScrapeHook = () => Promise<void> | void;

const hooks = new Set<ScrapeHook>();

export function onScrape(hook: ScrapeHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export async function runScrapeHooks(timeoutMs = 2500): Promise<void> {
  await Promise.all(
    [...hooks].map((h) =>
      Promise.race([
        Promise.resolve()
          .then(h)
          .catch(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]),
    ),
  );
}
