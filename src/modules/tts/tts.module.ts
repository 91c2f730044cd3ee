import { Module } from '@nestjs/common';
import { ENV, type Env } from '../../config/env.js';
import { EspeakProvider } from './espeak.provider.js';
import { ProcessSpawner } from '../../common/process/spawner.js';
import { OpenAiSpeechProvider } from './openai.provider.js';
import { TtsController } from './tts.controller.js';
import { TtsService } from './tts.service.js';
import { TtsEvents, TtsProvider } from './tts.types.js';

@Module({
  controllers: [TtsController],
  providers: [
    TtsService,
    TtsEvents,
    {
      provide: TtsProvider,
      inject: [ENV, TtsEvents, ProcessSpawner],
      useFactory: (env: Env, events: TtsEvents, spawner: ProcessSpawner): TtsProvider =>
        env.TTS_PROVIDER === 'openai'
          ? new OpenAiSpeechProvider(env.TTS_BASE_URL!, env.TTS_API_KEY, env.TTS_MODEL)
          : new EspeakProvider(env.ESPEAK_BIN, events, spawner),
    },
  ],
  exports: [TtsService],
})
export class TtsModule {}
