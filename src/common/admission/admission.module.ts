import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ENV, type Env } from '../../config/env.js';
import { Admission } from './admission.js';

/** One admission controller per process (API). */
@Global()
@Module({
  providers: [
    {
      provide: Admission,
      inject: [ENV],
      useFactory: (env: Env) =>
        new Admission({
          maxInFlight: env.ADMISSION_MAX_INFLIGHT,
          maxLagMs: env.ADMISSION_MAX_LAG_MS,
          maxUtilization: env.ADMISSION_MAX_UTILIZATION,
          sampleMs: env.ADMISSION_SAMPLE_MS,
        }),
    },
  ],
  exports: [Admission],
})
export class AdmissionModule implements OnApplicationShutdown {
  constructor(@Inject(Admission) private readonly admission: Admission) {}

  onApplicationShutdown(): void {
    this.admission.close();
  }
}
