import type { ProcessSpawner } from '../../common/process/spawner.js';
import { TtsEvent, TtsProvider, type SynthesisOptions, type TtsEvents } from './tts.types.js';

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
] as const;

export class EspeakError extends Error {}

/**
 * The local default: Debian's espeak-ng as a child process (its GPL stays out of our code),
 * started by the process spawner (so this process's event loop never waits for a fork), text on
 * stdin, WAV (22.05 kHz mono 16-bit) on stdout. The child is killed as soon as the consumer stops
 * reading (client gone) or the signal aborts.
 */
export class EspeakProvider extends TtsProvider {
  readonly name = 'espeak';
  readonly defaultVoice = 'en';

  constructor(
    private readonly bin: string,
    private readonly events: TtsEvents,
    private readonly spawner: ProcessSpawner,
  ) {
    super();
  }

  voices(): readonly string[] {
    return ESPEAK_VOICES;
  }

  async *synthesize(text: string, opts: SynthesisOptions): AsyncIterable<Buffer> {
    if (opts.signal.aborted) return;
    const child = this.spawner.spawn(this.bin, ['-b', '1', '-v', opts.voice, '--stdout']);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-500)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.events.emit(TtsEvent.Exit, { pid: child.pid, requestId: opts.requestId, code, signal });
        resolve({ code, signal });
      });
    });
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (e: Error) => reject(new EspeakError(`espeak-ng did not start: ${e.message}`))),
    );
    spawnError.catch(() => undefined);
    child.once('spawn', () => this.events.emit(TtsEvent.Spawn, { pid: child.pid, requestId: opts.requestId }));
    const kill = () => child.kill('SIGKILL');
    opts.signal.addEventListener('abort', kill, { once: true });
    child.stdin.end(text);
    let done = false;
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      const { code } = await Promise.race([exited, spawnError]);
      if (code !== 0 && !opts.signal.aborted)
        throw new EspeakError(`espeak-ng exited ${code}: ${stderr.trim()}`);
      done = true;
    } finally {
      opts.signal.removeEventListener('abort', kill);
      if (!done) kill(); // a no-op once it has exited
    }
  }
}
