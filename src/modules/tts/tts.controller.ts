import { Body, Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { CurrentTenant, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { NoTurn } from '../../common/decorators/turn.decorator.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { ProblemException } from '../../common/filters/problem.js';
import { SpeechDto } from './dto/tts.dto.js';
import { TTS_LIMITS, TtsService, ttsAudioOwed, ttsCharsCharged } from './tts.service.js';
import { Charges } from '../limits/charges.service.js';
import { TtsConfig } from '../../config/slices.js';
import { FlagKey } from '../flags/flag-key.js';
import { FlagsService } from '../flags/flags.service.js';

/** Characters metered, each sentence at least TTS_SENTENCE_FLOOR_CHARS; over-long or malformed text is refused unmetered. */
export const ttsCost = (req: FastifyRequest): number => {
  const text = (req.body as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' && text.length <= TTS_LIMITS.maxChars ? ttsCharsCharged(text) : 0;
};

@ApiTags('tts')
@ApiBearerAuth()
@Controller('v1/tts')
export class TtsController {
  private readonly log = new Logger(TtsController.name);

  constructor(
    private readonly tts: TtsService,
    private readonly flags: FlagsService,
    private readonly charges: Charges,
    @Inject(TtsConfig) private readonly ttsConfig: TtsConfig,
  ) {}

  /**
   * One WAV. With `tts_streaming` on (the default) it is streamed: the first bytes leave as soon as
   * the first sentence is synthesised. Off for the org: one buffered answer with a Content-Length.
   */
  @Post()
  @HttpCode(200)
  @Roles('member')
  @RateLimit(RatePolicy.Tts, ttsCost)
  @NoTransaction() // a stream must not hold a database transaction open
  @NoTurn() // nor its org's turn: the engine queues it per org
  @ApiProduces('audio/wav')
  @ApiResponse({
    status: 200,
    description:
      'audio/wav. Streamed (chunked, RIFF/data sizes 0xFFFFFFFF) while the `tts_streaming` flag is on for the org ' +
      '(default); with it off, one buffered answer with Content-Length and the true RIFF/data sizes, sent once the ' +
      'whole text is synthesised',
  })
  async speak(
    @CurrentTenant() t: TenantContext,
    @Body() body: SpeechDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const startedAt = process.hrtime.bigint();
    this.tts.validate(body.text, body.voice);
    const streaming = await this.flags.isEnabled(t, FlagKey.TtsStreaming);
    const abort = new AbortController();
    const speech = {
      text: body.text,
      voice: body.voice,
      orgId: t.orgId!,
      requestId: String(req.id),
      startedAt,
      signal: abort.signal,
      // audio past what the characters paid for (TTS_AUDIO_CHARS_PER_SECOND) is charged once it is made
      onAudio: (seconds: number) => {
        const owed = ttsAudioOwed(seconds, ttsCharsCharged(body.text), this.ttsConfig.audioCharsPerSecond);
        if (owed > 0)
          void this.charges
            .chargeSpent(t, RatePolicy.Tts, owed)
            .catch((e: unknown) => this.log.warn(`could not charge ${owed} characters of audio: ${String(e)}`));
      },
    };
    reply.raw.once('close', () => abort.abort()); // client gone (or done): stop the engine
    // headers only once audio is there: a failure before is a problem+json answer
    const audio = () =>
      reply
        .status(200)
        .header('content-type', 'audio/wav')
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff');
    if (!streaming) {
      await audio().send(await this.engineOr503(() => this.tts.speakWhole(speech)));
      return;
    }
    const it = this.tts.speak(speech);
    // The first chunk is awaited here so that an engine failure is still a problem+json answer.
    const first = await this.engineOr503(() => it.next());
    async function* rest(): AsyncGenerator<Buffer> {
      if (!first.done) yield first.value;
      yield* it;
    }
    const stream = Readable.from(rest(), { objectMode: false });
    stream.once('close', () => void it.return(undefined));
    await audio().send(stream);
  }

  /** An engine failure before any byte was sent: a 503 problem+json (a problem from the service passes as is). */
  private async engineOr503<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof ProblemException) throw e;
      this.log.error(`speech engine failed: ${(e as Error).message}`);
      throw new ProblemException(
        503,
        'unavailable',
        'the speech engine is unavailable; retry shortly',
        {},
        { 'Retry-After': '5' },
      );
    }
  }
}
