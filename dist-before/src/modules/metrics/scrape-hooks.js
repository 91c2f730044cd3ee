const hooks = new Set();
export function onScrape(hook) {
    hooks.add(hook);
    return () => hooks.delete(hook);
}
export async function runScrapeHooks(timeoutMs = 2500) {
    await Promise.all([...hooks].map((h) => Promise.race([
        Promise.resolve()
            .then(h)
            .catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ])));
}
//# sourceMappingURL=scrape-hooks.js.map