// The engines' worker modules (the pdf, html and chunk pools) load this by URL with the extension
// they run under (src/ type-stripped in tests, dist/ after tsc): Node builtins only.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
/**
 * Engine work yields the CPU to the event loop (ENGINE_NICE): this thread only (Linux: setpriority
 * on a thread id; /proc/thread-self names the calling thread as <pid>/task/<tid>). Elsewhere the
 * thread keeps the process's priority.
 */
export function niceThisThread(nice) {
    if (!(nice > 0))
        return;
    try {
        setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
    }
    catch {
        /* not Linux: the thread keeps the process's priority */
    }
}
//# sourceMappingURL=thread-nice.js.map