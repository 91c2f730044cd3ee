import { Inject, Injectable } from '@nestjs/common';
import { ENV, type Env } from '../../../config/env.js';
import { pdfText } from '../content/pdf-text.js';
import { CrawlFetcher } from './crawl.fetcher.js';
import { readableText } from './readable.js';
import type { FetchedDocument } from './safe-fetch.js';

export interface CrawledText {
  finalUrl: string;
  contentType: string;
  byteSize: number;
  title: string | null;
  text: string;
}

function decode(body: Buffer, charset: string | undefined): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(body).replaceAll('\u0000', '');
}

/** A URL → its readable text, through the SSRF-guarded fetcher. */
@Injectable()
export class CrawlService {
  constructor(
    @Inject(ENV) private readonly env: Env,
    private readonly fetcher: CrawlFetcher,
  ) {}

  async crawl(url: string, signal?: AbortSignal): Promise<CrawledText> {
    return this.extract(await this.fetcher.fetch(url, signal));
  }

  async extract(doc: FetchedDocument): Promise<CrawledText> {
    const base = { finalUrl: doc.finalUrl, contentType: doc.contentType, byteSize: doc.body.length };
    if (doc.contentType === 'application/pdf') {
      const { text } = await pdfText(doc.body, { maxPages: this.env.PDF_MAX_PAGES, timeoutMs: this.env.PDF_TIMEOUT_MS });
      return { ...base, title: null, text };
    }
    const body = decode(doc.body, doc.charset);
    if (doc.contentType === 'text/html' || doc.contentType === 'application/xhtml+xml') return { ...base, ...readableText(body) };
    return { ...base, title: null, text: body };
  }
}
