import { Injectable } from '@nestjs/common';
import { PdfService } from '../content/pdf-text.js';
import { CrawlFetcher } from './crawl.fetcher.js';
import { HtmlEngine } from '../content/html.js';
import type { EngineCaller } from '../../../common/fair/fair-scheduler.js';
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
    private readonly fetcher: CrawlFetcher,
    private readonly html: HtmlEngine,
    private readonly pdf: PdfService,
  ) {}

  /** The page's text; parsing runs on the shared pools in `who`'s turn. */
  async crawl(url: string, who: EngineCaller, signal?: AbortSignal): Promise<CrawledText> {
    return this.extract(await this.fetcher.fetch(url, signal), who, signal);
  }

  async extract(doc: FetchedDocument, who: EngineCaller, signal?: AbortSignal): Promise<CrawledText> {
    const base = { finalUrl: doc.finalUrl, contentType: doc.contentType, byteSize: doc.body.length };
    if (doc.contentType === 'application/pdf') {
      const { text } = await this.pdf.text(doc.body, who, {}, signal);
      return { ...base, title: null, text };
    }
    const body = decode(doc.body, doc.charset);
    if (doc.contentType === 'text/html' || doc.contentType === 'application/xhtml+xml') return { ...base, ...(await this.html.readable(body, who, signal)) };
    return { ...base, title: null, text: body };
  }
}
