var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Module } from '@nestjs/common';
import { TtsConfig } from '../../config/slices.js';
import { EspeakProvider } from './espeak.provider.js';
import { ProcessSpawner } from '../../common/process/spawner.js';
import { OpenAiSpeechProvider } from './openai.provider.js';
import { TtsController } from './tts.controller.js';
import { TtsService } from './tts.service.js';
import { TtsEvents, TtsProvider } from './tts.types.js';
let TtsModule = class TtsModule {
};
TtsModule = __decorate([
    Module({
        controllers: [TtsController],
        providers: [
            TtsService,
            TtsEvents,
            {
                provide: TtsProvider,
                inject: [TtsConfig, TtsEvents, ProcessSpawner],
                useFactory: (config, events, spawner) => config.provider === 'openai'
                    ? new OpenAiSpeechProvider(config.baseUrl, config.apiKey, config.model)
                    : new EspeakProvider(config.espeakBin, events, spawner),
            },
        ],
        exports: [TtsService],
    })
], TtsModule);
export { TtsModule };
//# sourceMappingURL=tts.module.js.map