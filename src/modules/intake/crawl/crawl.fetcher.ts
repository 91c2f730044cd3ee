import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { IntakeConfig } from '../../../config/slices.js';
import { CRAWL_CONTENT_TYPES, policyFromEnv, SafeFetcher, type SafeFetchOptions } from './safe-fetch.js';

export function crawlFetchOptions(intakeConfig: IntakeConfig): SafeFetchOptions {
  return {
    policy: policyFromEnv(intakeConfig),
    connectTimeoutMs: intakeConfig.crawlConnectTimeoutMs,
    totalTimeoutMs: intakeConfig.crawlTimeoutMs,
    maxBytes: intakeConfig.crawlMaxBytes,
    maxRedirects: 5,
    contentTypes: CRAWL_CONTENT_TYPES,
  };
}

/** The process's one SSRF-guarded fetcher, configured from the environment. */
@Injectable()
export class CrawlFetcher extends SafeFetcher implements OnApplicationShutdown {
  constructor(@Inject(IntakeConfig) intakeConfig: IntakeConfig) {
    super(crawlFetchOptions(intakeConfig));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
