import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { htmlToText } from '../content/html.js';

/**
 * The readable article text of a fetched HTML page (Readability on linkedom: no script runs,
 * nothing is fetched). Pages Readability cannot make an article of fall back to all their text.
 */
export function readableText(html: string): { title: string | null; text: string } {
  try {
    const { document } = parseHTML(html);
    const article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 100 }).parse();
    const text = article?.textContent?.replace(/[ \t]+/g, ' ').replace(/\n\s*\n+/g, '\n\n').trim();
    if (text) return { title: article?.title?.trim() || null, text };
    const title = document.querySelector('title')?.textContent?.trim() || null;
    return { title, text: htmlToText(html) };
  } catch {
    return { title: null, text: htmlToText(html) };
  }
}
