import { TtsEvent, TtsProvider } from './tts.types.js';
/** espeak-ng voices offered (checked to exist in Debian's espeak-ng-data; mbrola voices excluded). */
export const ESPEAK_VOICES = [
    'en',
    'en-us',
    'en-gb',
    'en-gb-scotland',
    'en-gb-x-rp',
    'en-029',
    'de',
    'fr',
    'es',
    'it',
    'nl',
    'pt',
];
export class EspeakError extends Error {
}
/**
 * The local default: Debian's espeak-ng as a child process (its GPL stays out of our code),
 * started by the process spawner (so this process's event loop never waits for a fork), text on
 * stdin, WAV (22.05 kHz mono 16-bit) on stdout. The child is killed as soon as the consumer stops
 * reading (client gone) or the signal aborts.
 */
export class EspeakProvider extends TtsProvider {
    constructor(bin, events, spawner) {
        super();
        this.bin = bin;
        this.events = events;
        this.spawner = spawner;
        this.name = 'espeak';
        this.defaultVoice = 'en';
    }
    voices() {
        return ESPEAK_VOICES;
    }
    async *synthesize(text, opts) {
        if (opts.signal.aborted)
            return;
        const child = this.spawner.spawn(this.bin, ['-b', '1', '-v', opts.voice, '--stdout']);
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-500)));
        const exited = new Promise((resolve) => {
            child.once('close', (code, signal) => {
                this.events.emit(TtsEvent.Exit, { pid: child.pid, requestId: opts.requestId, code, signal });
                resolve({ code, signal });
            });
        });
        const spawnError = new Promise((_, reject) => child.once('error', (e) => reject(new EspeakError(`espeak-ng did not start: ${e.message}`))));
        spawnError.catch(() => undefined);
        child.once('spawn', () => this.events.emit(TtsEvent.Spawn, { pid: child.pid, requestId: opts.requestId }));
        const kill = () => child.kill('SIGKILL');
        opts.signal.addEventListener('abort', kill, { once: true });
        child.stdin.end(text);
        let done = false;
        try {
            for await (const chunk of child.stdout)
                yield chunk;
            const { code } = await Promise.race([exited, spawnError]);
            if (code !== 0 && !opts.signal.aborted)
                throw new EspeakError(`espeak-ng exited ${code}: ${stderr.trim()}`);
            done = true;
        }
        finally {
            opts.signal.removeEventListener('abort', kill);
            if (!done)
                kill(); // a no-op once it has exited
        }
    }
}
//# sourceMappingURL=espeak.provider.js.map