import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ENV, type Env } from '../../../config/env.js';
import { CRAWL_CONTENT_TYPES, policyFromEnv, SafeFetcher, type SafeFetchOptions } from './safe-fetch.js';

export function crawlFetchOptions(env: Env): SafeFetchOptions {
  return {
    policy: policyFromEnv(env),
    connectTimeoutMs: env.CRAWL_CONNECT_TIMEOUT_MS,
    totalTimeoutMs: env.CRAWL_TIMEOUT_MS,
    maxBytes: env.CRAWL_MAX_BYTES,
    maxRedirects: 5,
    contentTypes: CRAWL_CONTENT_TYPES,
  };
}

/** The process's one SSRF-guarded fetcher, configured from the environment. */
@Injectable()
export class CrawlFetcher extends SafeFetcher implements OnApplicationShutdown {
  constructor(@Inject(ENV) env: Env) {
    super(crawlFetchOptions(env));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
