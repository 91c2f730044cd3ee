import { Inject, Injectable, Logger } from '@nestjs/common';
import { ENV, type Env } from '../../config/env.js';
import { ProblemException } from '../../common/filters/problem.js';
import { ttsTimeToFirstAudio } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { splitSentences } from './sentences.js';
import { TtsEvent, TtsEvents, TtsProvider } from './tts.types.js';
import { wavHeader, WavPcmExtractor, type AudioFormat } from './wav.js';

/** The longest text the cost function of POST /v1/tts meters (longer is refused, not charged). */
export const TTS_LIMITS = { maxChars: 5000 };

export interface SpeechRequest {
  text: string;
  voice?: string;
  orgId: string;
  requestId: string;
  startedAt: bigint;
  signal: AbortSignal;
}

/**
 * Sentence-by-sentence synthesis into ONE streamed WAV: a header with "unknown" sizes goes out
 * with the first sentence's audio, then every sentence's PCM with its own header stripped.
 */
@Injectable()
export class TtsService {
  private readonly log = new Logger(TtsService.name);

  constructor(
    @Inject(ENV) private readonly env: Env,
    private readonly provider: TtsProvider,
    readonly events: TtsEvents,
  ) {
    TTS_LIMITS.maxChars = env.TTS_MAX_CHARS;
  }

  voices(): readonly string[] {
    return this.provider.voices();
  }

  /** Refuses what cannot be spoken before any audio is produced. */
  validate(text: string, voice: string | undefined): { text: string; voice: string } {
    if (text.length > this.env.TTS_MAX_CHARS) {
      throw new ProblemException(
        413,
        'payload-too-large',
        `text is longer than ${this.env.TTS_MAX_CHARS} characters`,
        {
          errors: { text: [`at most ${this.env.TTS_MAX_CHARS} characters`] },
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
    let format: AudioFormat | undefined;
    let pcmBytes = 0;
    for (const sentence of splitSentences(req.text)) {
      if (req.signal.aborted) return;
      const wav = new WavPcmExtractor();
      for await (const chunk of this.provider.synthesize(sentence, {
        voice,
        signal: req.signal,
        requestId: req.requestId,
      })) {
        const pcm = wav.push(chunk);
        if (!pcm.length) continue;
        if (!format) {
          format = wav.format!;
          yield wavHeader(format);
          ttsTimeToFirstAudio
            .labels(orgLabel(req.orgId))
            .observe(Number(process.hrtime.bigint() - req.startedAt) / 1e9);
          this.events.emit(TtsEvent.FirstAudio, { requestId: req.requestId });
        } else if (wav.format && !sameFormat(wav.format, format)) {
          this.log.warn('engine changed audio format between sentences; sentence skipped');
          break;
        }
        pcmBytes += pcm.length;
        yield pcm;
      }
    }
    if (!format) yield wavHeader({ sampleRate: 22050, channels: 1, bitsPerSample: 16 }); // silence: still a WAV
    this.events.emit(TtsEvent.SynthesisDone, { requestId: req.requestId, pcmBytes });
  }
}

const sameFormat = (a: AudioFormat, b: AudioFormat) =>
  a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;
