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
var TtsController_1;
import { Body, Controller, HttpCode, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { CurrentTenant, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { ProblemException } from '../../common/filters/problem.js';
import { SpeechDto } from './dto/tts.dto.js';
import { TTS_LIMITS, TtsService, ttsCharsCharged } from './tts.service.js';
import { FlagKey } from '../flags/flag-key.js';
import { FlagsService } from '../flags/flags.service.js';
/** Characters metered, each sentence at least TTS_SENTENCE_FLOOR_CHARS; over-long or malformed text is refused unmetered. */
export const ttsCost = (req) => {
    const text = req.body?.text;
    return typeof text === 'string' && text.length <= TTS_LIMITS.maxChars ? ttsCharsCharged(text) : 0;
};
let TtsController = TtsController_1 = class TtsController {
    constructor(tts, flags) {
        this.tts = tts;
        this.flags = flags;
        this.log = new Logger(TtsController_1.name);
    }
    /**
     * One WAV. With `tts_streaming` on (the default) it is streamed: the first bytes leave as soon as
     * the first sentence is synthesised. Off for the org: one buffered answer with a Content-Length.
     */
    async speak(t, body, req, reply) {
        const startedAt = process.hrtime.bigint();
        this.tts.validate(body.text, body.voice);
        const streaming = await this.flags.isEnabled(t, FlagKey.TtsStreaming);
        const abort = new AbortController();
        const speech = {
            text: body.text,
            voice: body.voice,
            orgId: t.orgId,
            requestId: String(req.id),
            startedAt,
            signal: abort.signal,
        };
        reply.raw.once('close', () => abort.abort()); // client gone (or done): stop the engine
        // headers only once audio is there: a failure before is a problem+json answer
        const audio = () => reply
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
        async function* rest() {
            if (!first.done)
                yield first.value;
            yield* it;
        }
        const stream = Readable.from(rest(), { objectMode: false });
        stream.once('close', () => void it.return(undefined));
        await audio().send(stream);
    }
    /** An engine failure before any byte was sent: a 503 problem+json (a problem from the service passes as is). */
    async engineOr503(work) {
        try {
            return await work();
        }
        catch (e) {
            if (e instanceof ProblemException)
                throw e;
            this.log.error(`speech engine failed: ${e.message}`);
            throw new ProblemException(503, 'unavailable', 'the speech engine is unavailable; retry shortly', {}, { 'Retry-After': '5' });
        }
    }
};
__decorate([
    Post(),
    HttpCode(200),
    Roles('member'),
    RateLimit(RatePolicy.Tts, ttsCost),
    NoTransaction() // a stream must not hold a database transaction open
    ,
    ApiProduces('audio/wav'),
    ApiResponse({
        status: 200,
        description: 'audio/wav. Streamed (chunked, RIFF/data sizes 0xFFFFFFFF) while the `tts_streaming` flag is on for the org ' +
            '(default); with it off, one buffered answer with Content-Length and the true RIFF/data sizes, sent once the ' +
            'whole text is synthesised',
    }),
    __param(0, CurrentTenant()),
    __param(1, Body()),
    __param(2, Req()),
    __param(3, Res()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, SpeechDto, Object, Object]),
    __metadata("design:returntype", Promise)
], TtsController.prototype, "speak", null);
TtsController = TtsController_1 = __decorate([
    ApiTags('tts'),
    ApiBearerAuth(),
    Controller('v1/tts'),
    __metadata("design:paramtypes", [TtsService,
        FlagsService])
], TtsController);
export { TtsController };
//# sourceMappingURL=tts.controller.js.map