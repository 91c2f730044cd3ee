import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AdmissionConfig } from '../../config/slices.js';
import { Admission } from './admission.js';
import { LARGE_ANSWER_BYTES_PER_S, LargeAnswers } from './answer-slots.js';

/** One admission controller per process (API), and its large answers' slots. */
@Global()
@Module({
  providers: [
    {
      provide: Admission,
      inject: [AdmissionConfig],
      useFactory: (config: AdmissionConfig) =>
        new Admission({
          maxInFlight: config.maxInflight,
          maxLagMs: config.maxLagMs,
          maxUtilization: config.maxUtilization,
          maxSlowdown: config.maxSlowdown,
          sampleMs: config.sampleMs,
          orgConcurrency: config.orgConcurrency,
          turnBodyMax: config.turnBodyMax,
        }),
    },
    { provide: LARGE_ANSWER_BYTES_PER_S, inject: [AdmissionConfig], useFactory: (config: AdmissionConfig) => config.largeAnswerBytesPerS },
    LargeAnswers,
  ],
  exports: [Admission, LargeAnswers],
})
export class AdmissionModule implements OnApplicationShutdown {
  constructor(@Inject(Admission) private readonly admission: Admission) {}

  onApplicationShutdown(): void {
    this.admission.close();
  }
}
