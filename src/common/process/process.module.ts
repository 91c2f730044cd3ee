import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ProcessConfig } from '../../config/slices.js';
import { ProcessSpawner } from './spawner.js';

/** One spawner per process at ENGINE_NICE, closed (with whatever it still runs) at shutdown. */
@Injectable()
export class AppProcessSpawner extends ProcessSpawner implements OnApplicationShutdown {
  constructor(@Inject(ProcessConfig) config: ProcessConfig) {
    super(ProcessSpawner.defaultScript(), config.engineNice);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

@Global()
@Module({
  providers: [AppProcessSpawner, { provide: ProcessSpawner, useExisting: AppProcessSpawner }],
  exports: [ProcessSpawner],
})
export class ProcessModule {}
