var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
var TtsService_1;
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TtsConfig } from '../../config/slices.js';
import { ProblemException } from '../../common/filters/problem.js';
import { ttsTimeToFirstAudio } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { FairScheduler } from '../../common/fair/fair-scheduler.js';
import { splitSentences } from './sentences.js';
import { TtsEvent, TtsEvents, TtsProvider } from './tts.types.js';
import { sealWav, WAV_HEADER_BYTES, wavHeader, WavPcmExtractor } from './wav.js';
/** The longest text the cost function of POST /v1/tts meters (longer is refused, not charged), and the per-sentence floor. */
export const TTS_LIMITS = { maxChars: 5000, sentenceFloor: 50 };
/**
 * Characters a text costs: each sentence at least `sentenceFloor`, since every sentence starts
 * an engine process; thousands of one-letter lines cost what they make the engine do.
 */
export function ttsCharsCharged(text, sentenceFloor = TTS_LIMITS.sentenceFloor) {
    return splitSentences(text).reduce((sum, s) => sum + Math.max(s.length, sentenceFloor), 0);
}
/**
 * Sentence-by-sentence synthesis into ONE streamed WAV: a header with "unknown" sizes goes out
 * with the first sentence's audio, then every sentence's PCM with its own header stripped.
 */
let TtsService = TtsService_1 = class TtsService {
    constructor(ttsConfig, provider, events) {
        this.ttsConfig = ttsConfig;
        this.provider = provider;
        this.events = events;
        this.log = new Logger(TtsService_1.name);
        TTS_LIMITS.maxChars = ttsConfig.maxChars;
        TTS_LIMITS.sentenceFloor = ttsConfig.sentenceFloorChars;
        this.engine = new FairScheduler({
            name: 'tts',
            slots: ttsConfig.concurrency,
            maxQueuedPerOrg: ttsConfig.maxQueuedPerOrg,
            timeoutMs: ttsConfig.timeoutMs,
        });
    }
    voices() {
        return this.provider.voices();
    }
    /** Refuses what cannot be spoken before any audio is produced. */
    validate(text, voice) {
        if (text.length > this.ttsConfig.maxChars) {
            throw new ProblemException(413, 'payload-too-large', `text is longer than ${this.ttsConfig.maxChars} characters`, {
                errors: { text: [`at most ${this.ttsConfig.maxChars} characters`] },
            });
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
    async *speak(req) {
        const { voice } = this.validate(req.text, req.voice);
        let format;
        let pcmBytes = 0;
        for (const sentence of splitSentences(req.text)) {
            if (req.signal.aborted)
                return;
            // The engine runs in the org's turn and at its own pace into a buffer; the client reads from
            // the buffer, so a slow reader never holds an engine slot (a sentence's audio is bounded).
            const buffered = new ChunkBuffer();
            void this.engine
                .run(req.orgId, async (signal) => {
                for await (const c of this.provider.synthesize(sentence, {
                    voice,
                    signal,
                    requestId: req.requestId,
                }))
                    buffered.push(c);
            }, { signal: req.signal })
                .then(() => buffered.end(), (e) => buffered.end(e));
            const chunks = buffered.drain();
            const wav = new WavPcmExtractor();
            for await (const chunk of chunks) {
                const pcm = wav.push(chunk);
                if (!pcm.length)
                    continue;
                if (!format) {
                    format = wav.format;
                    yield wavHeader(format);
                    ttsTimeToFirstAudio
                        .labels(orgLabel(req.orgId))
                        .observe(Number(process.hrtime.bigint() - req.startedAt) / 1e9);
                    this.events.emit(TtsEvent.FirstAudio, { requestId: req.requestId });
                }
                else if (wav.format && !sameFormat(wav.format, format)) {
                    this.log.warn('engine changed audio format between sentences; sentence skipped');
                    break;
                }
                pcmBytes += pcm.length;
                yield pcm;
            }
        }
        if (!format)
            yield wavHeader({ sampleRate: 22050, channels: 1, bitsPerSample: 16 }); // silence: still a WAV
        this.events.emit(TtsEvent.SynthesisDone, { requestId: req.requestId, pcmBytes });
    }
    /**
     * The same audio as one buffered WAV with its true sizes (`tts_streaming` off): nothing is
     * returned before the whole text is synthesised. Holds the whole WAV in memory (about 44 KB a
     * second of speech for espeak-ng's 22.05 kHz mono; TTS_MAX_CHARS bounds it). When the signal
     * aborted (the client is gone) it is whatever was made by then, possibly nothing.
     */
    async speakWhole(req) {
        const parts = [];
        for await (const part of this.speak(req))
            parts.push(part);
        const wav = Buffer.concat(parts);
        return wav.length >= WAV_HEADER_BYTES ? sealWav(wav) : wav;
    }
};
TtsService = TtsService_1 = __decorate([
    Injectable(),
    __param(0, Inject(TtsConfig)),
    __metadata("design:paramtypes", [TtsConfig,
        TtsProvider,
        TtsEvents])
], TtsService);
export { TtsService };
const sameFormat = (a, b) => a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;
/** Chunks pushed by a producer, read once in order by one consumer; the producer never waits. */
class ChunkBuffer {
    constructor() {
        this.chunks = [];
        this.done = false;
    }
    push(c) {
        this.chunks.push(c);
        this.wake?.();
    }
    end(error) {
        this.done = true;
        this.error = error;
        this.wake?.();
    }
    async *drain() {
        for (;;) {
            const c = this.chunks.shift();
            if (c) {
                yield c;
                continue;
            }
            if (this.done) {
                if (this.error)
                    throw this.error;
                return;
            }
            await new Promise((r) => (this.wake = r));
            this.wake = undefined;
        }
    }
}
//# sourceMappingURL=tts.service.js.map