import { EventEmitter } from 'node:events';

export interface SynthesisOptions {
  voice: string;
  signal: AbortSignal;
  requestId: string;
}

/** A speech engine: one sentence in, one WAV byte stream out (its header may carry placeholders). */
export abstract class TtsProvider {
  abstract readonly name: string;
  abstract readonly defaultVoice: string;
  abstract voices(): readonly string[];
  abstract synthesize(text: string, opts: SynthesisOptions): AsyncIterable<Buffer>;
}

export enum TtsEvent {
  /** A child process started: { pid, requestId }. */
  Spawn = 'spawn',
  /** A child process ended: { pid, requestId, code, signal }. */
  Exit = 'exit',
  /** The first audio bytes went out: { requestId }. */
  FirstAudio = 'first-audio',
  /** Every sentence synthesised: { requestId, pcmBytes }. */
  SynthesisDone = 'synthesis-done',
}

/** What the TTS pipeline does, observable (tests and diagnostics). */
export class TtsEvents extends EventEmitter {}
