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
  /** A PDF's page count (each an `ocr` unit, ocr_pages, charged by the crawl job); absent otherwise. */
  pages?: number;
}

/** A URL → its readable text, through the SSRF-guarded fetcher. */
@Injectable()
export class CrawlService {
  constructor(
    private readonly fetcher: CrawlFetcher,
    private readonly html: HtmlEngine,
    private readonly pdf: PdfService,
  ) {}

  /**
   * The page's text; parsing runs on the shared pools in `who`'s turn. `beforePdf` runs once a
   * fetched document turns out to be a PDF, before it is parsed (a refusal there parses nothing).
   */
  async crawl(url: string, who: EngineCaller, signal?: AbortSignal, beforePdf?: () => Promise<void>): Promise<CrawledText> {
    return this.extract(await this.fetcher.fetch(url, signal), who, signal, beforePdf);
  }

  async extract(doc: FetchedDocument, who: EngineCaller, signal?: AbortSignal, beforePdf?: () => Promise<void>): Promise<CrawledText> {
    const base = { finalUrl: doc.finalUrl, contentType: doc.contentType, byteSize: doc.body.length };
    if (doc.contentType === 'application/pdf') {
      await beforePdf?.();
      const { text, pages } = await this.pdf.text(doc.body, who, {}, signal);
      return { ...base, title: null, text, pages };
    }
    // decoded (and for HTML read) on the HTML pool, in the org's turn: nothing that scales with the
    // document runs on the event loop
    const html = doc.contentType === 'text/html' || doc.contentType === 'application/xhtml+xml';
    return { ...base, ...(await this.html.fetchedText(doc.body, doc.charset, html, who, signal)) };
  }
}
