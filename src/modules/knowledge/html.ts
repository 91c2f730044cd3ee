import sanitizeHtml from 'sanitize-html';

/**
 * The one HTML sanitiser of the service (sanitize-html, maintained, allowlist-based): no script,
 * no event handlers, no javascript:/data: URLs, no iframes, forms or styles.
 */
export function sanitize(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: sanitizeHtml.defaults.allowedTags.filter((t) => !['iframe', 'form', 'style'].includes(t)),
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title'], '*': ['lang', 'dir'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
  });
}

/** Plain text of an HTML fragment, for chunking and search. */
export function htmlToText(html: string): string {
  return sanitizeHtml(html, { allowedTags: [], allowedAttributes: {}, nonTextTags: ['style', 'script', 'textarea', 'option', 'noscript'] })
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n\n')
    .trim();
}
