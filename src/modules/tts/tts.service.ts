import { Inject, Injectable, Logger } from '@nestjs/common';
import { TtsConfig } from '../../config/slices.js';
import { ProblemException } from '../../common/filters/problem.js';
import { ttsTimeToFirstAudio } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { FairScheduler } from '../../common/fair/fair-scheduler.js';
import { splitSentences } from './sentences.js';
import { TtsEvent, TtsEvents, TtsProvider } from './tts.types.js';
import { blockAlign, headerByteRate, sealWav, WAV_HEADER_BYTES, wavHeader, WavPcmExtractor, type AudioFormat } from './wav.js';

/** The longest text the cost function of POST /v1/tts meters (longer is refused, not charged), and the per-sentence floor. */
export const TTS_LIMITS = { maxChars: 5000, sentenceFloor: 50 };

/**
 * Characters a text costs: each sentence at least `sentenceFloor`, since every sentence starts
 * an engine process; thousands of one-letter lines cost what they make the engine do.
 */
export function ttsCharsCharged(text: string, sentenceFloor = TTS_LIMITS.sentenceFloor): number {
  return splitSentences(text).reduce((sum, s) => sum + Math.max(s.length, sentenceFloor), 0);
}

export interface SpeechRequest {
  text: string;
  voice?: string;
  orgId: string;
  requestId: string;
  startedAt: bigint;
  signal: AbortSignal;
  /** Called once when the synthesis ends (finished, stopped or failed) with the seconds of audio made. */
  onAudio?: (seconds: number) => void;
}

/**
 * Characters past those charged that `seconds` of audio cost at `charsPerSecond` (0: none): what a
 * text the engine reads out long (each `㍻` a whole word) owes once its audio is known.
 */
export function ttsAudioOwed(seconds: number, charged: number, charsPerSecond: number): number {
  if (!(charsPerSecond > 0)) return 0;
  return Math.max(0, Math.ceil(seconds * charsPerSecond) - charged);
}

/**
 * Sentence-by-sentence synthesis into ONE streamed WAV: a header with "unknown" sizes goes out
 * with the first sentence's audio, then every sentence's PCM with its own header stripped.
 */
@Injectable()
export class TtsService {
  private readonly log = new Logger(TtsService.name);
  /** The speech engine, shared fairly: one sentence at a time per slot, orgs in turn. */
  readonly engine: FairScheduler;
  /** Buffered answers being made (each holds up to TTS_MAX_BUFFERED_AUDIO_S in memory), orgs in turn. */
  readonly buffered: FairScheduler;

  constructor(
    @Inject(TtsConfig) private readonly ttsConfig: TtsConfig,
    private readonly provider: TtsProvider,
    readonly events: TtsEvents,
  ) {
    TTS_LIMITS.maxChars = ttsConfig.maxChars;
    TTS_LIMITS.sentenceFloor = ttsConfig.sentenceFloorChars;
    this.engine = new FairScheduler({
      name: 'tts',
      slots: ttsConfig.concurrency,
      maxQueuedPerOrg: ttsConfig.maxQueuedPerOrg,
      timeoutMs: ttsConfig.timeoutMs,
    });
    this.buffered = new FairScheduler({
      name: 'buffered speech',
      slots: ttsConfig.bufferedSlots,
      maxQueuedPerOrg: ttsConfig.maxQueuedPerOrg,
    });
  }

  voices(): readonly string[] {
    return this.provider.voices();
  }

  /** Refuses what cannot be spoken before any audio is produced. */
  validate(text: string, voice: string | undefined): { text: string; voice: string } {
    if (text.length > this.ttsConfig.maxChars) {
      throw new ProblemException(
        413,
        'payload-too-large',
        `text is longer than ${this.ttsConfig.maxChars} characters`,
        {
          errors: { text: [`at most ${this.ttsConfig.maxChars} characters`] },
        },
      );
    }
    if (!splitSentences(text).length) {
      throw new ProblemException(422, 'unprocessable-entity', 'text has nothing to speak', {
        errors: { text: ['must contain words'] },
      });
    }
    const v = voice ?? this.provider.defaultVoice;
    if (!this.provider.voices().includes(v)) {
      throw new ProblemException(422, 'unprocessable-entity', `unknown voice "${v}"`, {
        errors: { voice: [`must be one of: ${this.provider.voices().join(', ')}`] },
      });
    }
    return { text, voice: v };
  }

  /** The WAV byte stream. Stops (and the engine is killed) when the consumer stops or the signal aborts. */
  async *speak(req: SpeechRequest): AsyncGenerator<Buffer> {
    const { voice } = this.validate(req.text, req.voice);
    const made: Made = { pcmBytes: 0 };
    try {
      yield* this.sentences(req, voice, made);
    } finally {
      const f = made.format;
      req.onAudio?.(f ? made.pcmBytes / (f.sampleRate * blockAlign(f)) : 0);
    }
    if (!made.format) yield wavHeader({ sampleRate: 22050, channels: 1, bitsPerSample: 16 }); // silence: still a WAV
    this.events.emit(TtsEvent.SynthesisDone, { requestId: req.requestId, pcmBytes: made.pcmBytes });
  }

  /** Each sentence's PCM (the WAV header first), synthesised in the org's turn; `made` counts it. */
  private async *sentences(req: SpeechRequest, voice: string, made: Made): AsyncGenerator<Buffer> {
    for (const sentence of splitSentences(req.text)) {
      if (req.signal.aborted) return;
      // The engine runs in the org's turn and at its own pace into a buffer; the client reads from
      // the buffer, so a slow reader never holds an engine slot (a sentence's audio is bounded).
      const buffered = new ChunkBuffer();
      void this.engine
        .run(
          req.orgId,
          async (signal) => {
            for await (const c of this.provider.synthesize(sentence, {
              voice,
              signal,
              requestId: req.requestId,
            }))
              buffered.push(c);
          },
          { signal: req.signal },
        )
        .then(
          () => buffered.end(),
          (e: unknown) => buffered.end(e as Error),
        );
      const chunks = buffered.drain();
      const wav = new WavPcmExtractor();
      for await (const chunk of chunks) {
        const pcm = wav.push(chunk);
        if (!pcm.length) continue;
        if (!made.format) {
          made.format = wav.format!;
          yield wavHeader(made.format);
          ttsTimeToFirstAudio
            .labels(orgLabel(req.orgId))
            .observe(Number(process.hrtime.bigint() - req.startedAt) / 1e9);
          this.events.emit(TtsEvent.FirstAudio, { requestId: req.requestId });
        } else if (wav.format && !sameFormat(wav.format, made.format)) {
          this.log.warn('engine changed audio format between sentences; sentence skipped');
          break;
        }
        made.pcmBytes += pcm.length;
        yield pcm;
      }
    }
  }

  /**
   * The same audio as one buffered WAV with its true sizes (`tts_streaming` off): nothing is
   * returned before the whole text is synthesised. Holds the whole WAV in memory, so its audio is
   * bounded by TTS_MAX_BUFFERED_AUDIO_S: past it the synthesis is stopped (the audio made is
   * charged through `onAudio`) and the text refused 422; and TTS_BUFFERED_SLOTS are made at once
   * per process, orgs in turn (a wait is bounded by TTS_TIMEOUT_MS). When the signal aborted (the
   * client is gone) it is whatever was made by then, possibly nothing.
   */
  speakWhole(req: SpeechRequest): Promise<Buffer> {
    return this.buffered.run(req.orgId, () => this.collectWhole(req), {
      signal: req.signal,
      maxWaitMs: this.ttsConfig.timeoutMs,
    });
  }

  private async collectWhole(req: SpeechRequest): Promise<Buffer> {
    const over = new AbortController();
    const it = this.speak({ ...req, signal: AbortSignal.any([req.signal, over.signal]) });
    const parts: Buffer[] = [];
    let bytes = 0;
    let maxBytes = Infinity;
    for await (const part of it) {
      // the first part is the header: its byte rate turns the limit in seconds into bytes
      if (!parts.length && part.length >= WAV_HEADER_BYTES)
        maxBytes = WAV_HEADER_BYTES + this.ttsConfig.maxBufferedAudioS * headerByteRate(part);
      parts.push(part);
      bytes += part.length;
      if (bytes > maxBytes) {
        over.abort(); // the engine stops now; leaving the loop ends the synthesis (and charges it)
        const max = this.ttsConfig.maxBufferedAudioS;
        throw new ProblemException(
          422,
          'unprocessable-entity',
          `the audio of this text runs past ${max} s, the longest one buffered answer holds ` +
            '(tts_streaming is off for this org): send a shorter text',
          { errors: { text: [`makes more than ${max} s of audio`] } },
        );
      }
    }
    const wav = Buffer.concat(parts, bytes);
    return wav.length >= WAV_HEADER_BYTES ? sealWav(wav) : wav;
  }
}

/** What a synthesis has made so far: its audio format (once known) and its PCM bytes. */
interface Made {
  format?: AudioFormat;
  pcmBytes: number;
}

const sameFormat = (a: AudioFormat, b: AudioFormat) =>
  a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;

/** Chunks pushed by a producer, read once in order by one consumer; the producer never waits. */
class ChunkBuffer {
  private readonly chunks: Buffer[] = [];
  private done = false;
  private error?: Error;
  private wake?: () => void;

  push(c: Buffer): void {
    this.chunks.push(c);
    this.wake?.();
  }

  end(error?: Error): void {
    this.done = true;
    this.error = error;
    this.wake?.();
  }

  async *drain(): AsyncGenerator<Buffer> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) {
        yield c;
        continue;
      }
      if (this.done) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}
