var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { PdfService } from '../content/pdf-text.js';
import { CrawlFetcher } from './crawl.fetcher.js';
import { HtmlEngine } from '../content/html.js';
function decode(body, charset) {
    let decoder;
    try {
        decoder = new TextDecoder(charset ?? 'utf-8');
    }
    catch {
        decoder = new TextDecoder('utf-8');
    }
    return decoder.decode(body).replaceAll('\u0000', '');
}
/** A URL → its readable text, through the SSRF-guarded fetcher. */
let CrawlService = class CrawlService {
    constructor(fetcher, html, pdf) {
        this.fetcher = fetcher;
        this.html = html;
        this.pdf = pdf;
    }
    /**
     * The page's text; parsing runs on the shared pools in `who`'s turn. `beforePdf` runs once a
     * fetched document turns out to be a PDF, before it is parsed (a refusal there parses nothing).
     */
    async crawl(url, who, signal, beforePdf) {
        return this.extract(await this.fetcher.fetch(url, signal), who, signal, beforePdf);
    }
    async extract(doc, who, signal, beforePdf) {
        const base = { finalUrl: doc.finalUrl, contentType: doc.contentType, byteSize: doc.body.length };
        if (doc.contentType === 'application/pdf') {
            await beforePdf?.();
            const { text, pages } = await this.pdf.text(doc.body, who, {}, signal);
            return { ...base, title: null, text, pages };
        }
        const body = decode(doc.body, doc.charset);
        if (doc.contentType === 'text/html' || doc.contentType === 'application/xhtml+xml')
            return { ...base, ...(await this.html.readable(body, who, signal)) };
        return { ...base, title: null, text: body };
    }
};
CrawlService = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [CrawlFetcher,
        HtmlEngine,
        PdfService])
], CrawlService);
export { CrawlService };
//# sourceMappingURL=crawl.service.js.map