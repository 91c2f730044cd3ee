import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureApp, createAdapter, NEST_APP_OPTIONS, serveWorker, workerEnv, } from '../../src/bootstrap.js';
/** The service's module graph (AppModule.forRoot(env)) in a testing module, with the suite's doubles. */
export async function testingModule(env, opts = {}) {
    const builder = Test.createTestingModule({ imports: [AppModule.forRoot(env), ...(opts.imports ?? [])] });
    return (opts.override?.(builder) ?? builder).compile();
}
/** The HTTP API as production builds it (createAdapter + configureApp), from a testing module; not yet listening. */
export async function buildApp(env, opts = {}) {
    const moduleRef = await testingModule(env, opts);
    const app = moduleRef.createNestApplication(createAdapter(env), NEST_APP_OPTIONS);
    return configureApp(app, env, { docs: opts.docs });
}
/** The whole service on a real loopback port (real HTTP), on its own database. */
export async function startApp(env, opts = {}) {
    const app = await buildApp(env, { docs: true, ...opts });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.getHttpServer().address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
/** A worker process's application as production runs it (serveWorker), from a testing module. */
export async function startWorker(env, opts = {}) {
    const wenv = workerEnv(env);
    return serveWorker(await testingModule(wenv, opts), wenv);
}
//# sourceMappingURL=app.js.map