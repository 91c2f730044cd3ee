import { Module } from '@nestjs/common';
import { TtsConfig } from '../../config/slices.js';
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
      inject: [TtsConfig, TtsEvents, ProcessSpawner],
      useFactory: (config: TtsConfig, events: TtsEvents, spawner: ProcessSpawner): TtsProvider =>
        config.provider === 'openai'
          ? new OpenAiSpeechProvider(config.baseUrl!, config.apiKey, config.model)
          : new EspeakProvider(config.espeakBin, events, spawner),
    },
  ],
  exports: [TtsService],
})
export class TtsModule {}
