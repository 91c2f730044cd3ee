import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ProcessSpawner } from './spawner.js';

/** One spawner per process, closed (with whatever it still runs) at shutdown. */
@Injectable()
export class AppProcessSpawner extends ProcessSpawner implements OnApplicationShutdown {
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
