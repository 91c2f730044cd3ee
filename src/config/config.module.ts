import { DynamicModule, Global, Module } from '@nestjs/common';
import { ENV, type Env } from './env.js';
import { SLICES, slicesOf } from './slices.js';

/**
 * The validated Env and its typed slices (slices.ts), for every module. A module injects its own
 * slice by class; ENV (the whole Env) is for bootstrap and test harnesses only.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env: Env): DynamicModule {
    const slices = slicesOf(env);
    const providers = Object.entries(SLICES).map(([key, token]) => ({
      provide: token,
      useValue: slices[key as keyof typeof SLICES],
    }));
    return {
      module: ConfigModule,
      providers: [{ provide: ENV, useValue: env }, ...providers],
      exports: [ENV, ...Object.values(SLICES)],
    };
  }
}
