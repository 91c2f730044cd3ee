import { fileTypeFromBuffer } from 'file-type';
import { ProblemException } from '../../../common/filters/problem.js';
import { extensionOf } from './file-name.js';
/** What an upload is, decided by its bytes; the name and the client's Content-Type may only agree. */
export var UploadKind;
(function (UploadKind) {
    UploadKind["Txt"] = "txt";
    UploadKind["Md"] = "md";
    UploadKind["Html"] = "html";
    UploadKind["Pdf"] = "pdf";
    UploadKind["Png"] = "png";
    UploadKind["Jpeg"] = "jpeg";
})(UploadKind || (UploadKind = {}));
export const MIME_OF = {
    [UploadKind.Txt]: 'text/plain',
    [UploadKind.Md]: 'text/markdown',
    [UploadKind.Html]: 'text/html',
    [UploadKind.Pdf]: 'application/pdf',
    [UploadKind.Png]: 'image/png',
    [UploadKind.Jpeg]: 'image/jpeg',
};
const TEXT_KINDS = new Set([UploadKind.Txt, UploadKind.Md, UploadKind.Html]);
/** Text files up to this size are decoded in one go; larger ones in TEXT_STEP steps with the loop let in between. */
export const TEXT_INLINE_MAX = 256 * 1024;
const TEXT_STEP = 128 * 1024;
/** textKindOf looks at this many characters after leading white space. */
const KIND_SAMPLE = 4096;
const UTF8_BOM = [0xef, 0xbb, 0xbf];
const EXT_KIND = {
    txt: UploadKind.Txt,
    text: UploadKind.Txt,
    md: UploadKind.Md,
    markdown: UploadKind.Md,
    html: UploadKind.Html,
    htm: UploadKind.Html,
    pdf: UploadKind.Pdf,
    png: UploadKind.Png,
    jpg: UploadKind.Jpeg,
    jpeg: UploadKind.Jpeg,
    jpe: UploadKind.Jpeg,
};
/** Extensions refused whatever the bytes look like: scripts, executables, active documents. */
const REFUSED_EXT = new Set('svg svgz xml xhtml xht xsl js mjs cjs vbs vbe wsf wsh hta ps1 psm1 bat cmd com exe dll scr msi msp cpl jar class sh bash zsh csh ksh php phtml pl py rb app apk dmg deb rpm elf so bin swf'.split(' '));
const unsupported = (detail) => new ProblemException(415, 'unsupported-media-type', detail);
const mismatch = (detail) => new ProblemException(415, 'media-type-mismatch', detail);
const HTML_START = /^(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|base|link|div|p|h[1-6]|table|ul|ol|li|article|section|main|header|footer|nav|span|a|b|i|em|strong|pre|blockquote|script|style|iframe|form|img|br|hr|noscript|object|embed|svg|math|template|details|video|audio|input|button|textarea|select|frameset|frame)[\s/>]/i;
// Text may hold tab, LF, FF and CR; any other C0 control (NUL first of all) or DEL means binary.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const NOT_TEXT = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;
function decodeText(buf) {
    let text;
    try {
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
    }
    catch {
        return undefined;
    }
    if (NOT_TEXT.test(text))
        return undefined;
    return text;
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
/**
 * A large file read as text in TEXT_STEP steps, the event loop running between them: the same
 * verdict as decodeText (fatal UTF-8, no control characters) without one long decode. Answers the
 * text's start (BOM stripped by the decoder, as decodeText does) and at least KIND_SAMPLE
 * characters after its leading white space, for the kind; `whole`: checks every byte, else stops
 * once that sample is read (the rest is checked later, by the HTML worker). undefined: not text.
 */
async function scanText(buf, whole) {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    let start;
    let sample = '';
    try {
        for (let off = 0; off < buf.length; off += TEXT_STEP) {
            if (off > 0)
                await tick();
            const last = off + TEXT_STEP >= buf.length;
            const piece = decoder.decode(buf.subarray(off, off + TEXT_STEP), { stream: !last });
            if (NOT_TEXT.test(piece))
                return undefined;
            start ??= piece;
            if (sample.length < KIND_SAMPLE)
                sample = sample ? sample + piece : piece.trimStart();
            if (!whole && sample.length >= KIND_SAMPLE)
                break;
        }
    }
    catch {
        return undefined;
    }
    return { start: start ?? '', sample };
}
/** The UTF-8 bytes of a text without its BOM (the decoder drops one, sniffUpload a second). */
function withoutBoms(buf) {
    let at = 0;
    for (let i = 0; i < 2 && UTF8_BOM.every((b, j) => buf[at + j] === b); i++)
        at += 3;
    return buf.subarray(at);
}
/** The kind of a text upload by content: HTML when it starts like markup, else plain text. */
export function textKindOf(text) {
    const head = text.trimStart().slice(0, 4096);
    if (/^<\?xml/i.test(head))
        return /<svg[\s/>]/i.test(head) ? 'svg' : 'xml';
    if (/^(?:<!--[\s\S]*?-->\s*)*(?:<!doctype\s+svg|<svg[\s/>])/i.test(head))
        return 'svg';
    if (HTML_START.test(head))
        return UploadKind.Html;
    return UploadKind.Txt;
}
function clientKind(contentType) {
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!type || type === 'application/octet-stream')
        return 'any';
    if (type === 'image/png')
        return UploadKind.Png;
    if (type === 'image/jpeg' || type === 'image/jpg' || type === 'image/pjpeg')
        return UploadKind.Jpeg;
    if (type === 'application/pdf')
        return UploadKind.Pdf;
    if (type === 'text/plain' || type === 'text/markdown' || type === 'text/x-markdown' || type === 'text/html')
        return 'text';
    return 'other';
}
/**
 * Decides an upload's type from its bytes (file-type's magic numbers, then UTF-8 and markup checks
 * for text) and refuses anything outside txt, md, html, pdf, png and jpeg (415), or whose name or
 * declared type says something else (415).
 */
export async function sniffUpload(buf, fileName, contentType, opts = {}) {
    if (buf.length === 0)
        throw new ProblemException(422, 'empty-file', 'the file is empty');
    const ext = extensionOf(fileName);
    if (ext && REFUSED_EXT.has(ext))
        throw unsupported(`.${ext} files are not accepted`);
    const declaredByName = ext ? EXT_KIND[ext] : undefined;
    const declaredByClient = clientKind(contentType);
    if (declaredByClient === 'other')
        throw unsupported(`content type ${JSON.stringify(contentType)} is not accepted`);
    let kind;
    let text;
    const ft = await fileTypeFromBuffer(buf);
    if (ft) {
        if (ft.mime === 'image/png')
            kind = UploadKind.Png;
        else if (ft.mime === 'image/jpeg')
            kind = UploadKind.Jpeg;
        else if (ft.mime === 'application/pdf')
            kind = UploadKind.Pdf;
        else
            throw unsupported(`files of type ${ft.mime} are not accepted`);
    }
    else if (buf.length <= TEXT_INLINE_MAX) {
        text = decodeText(buf);
        if (text === undefined)
            throw notText();
        if (text.startsWith('\ufeff'))
            text = text.slice(1);
        kind = textKind(text, text, declaredByName);
    }
    else {
        // Large text: only a sample is decoded in one go; the whole file is checked in steps here, or
        // (HTML for the sanitiser, `deferHtmlText`) by the HTML worker, which answers the same 415.
        const scan = await scanText(buf, !opts.deferHtmlText);
        if (scan === undefined)
            throw notText();
        const start = scan.start.startsWith('\ufeff') ? scan.start.slice(1) : scan.start;
        let checked = !opts.deferHtmlText;
        try {
            kind = textKind(start, scan.sample, declaredByName);
            if (kind !== UploadKind.Html && !checked) {
                checked = true;
                if ((await scanText(buf, true)) === undefined)
                    throw notText();
            }
            checkDeclared(kind, ext, declaredByName, declaredByClient, contentType);
        }
        catch (e) {
            // A refusal of a file not yet read to its end: not text at all is the answer whole-file
            // decoding would have given first.
            if (!checked && (await scanText(buf, true)) === undefined)
                throw notText();
            throw e;
        }
        return { kind, mime: MIME_OF[kind], textBytes: checked ? withoutBoms(buf) : undefined };
    }
    checkDeclared(kind, ext, declaredByName, declaredByClient, contentType);
    return { kind, mime: MIME_OF[kind], text };
}
const notText = () => unsupported('the file is neither a supported binary format nor UTF-8 text');
/** The kind of a text file from its start (BOM stripped) and a sample of its content; refuses scripts, SVG and XML. */
function textKind(start, sample, declaredByName) {
    if (start.startsWith('#!'))
        throw unsupported('scripts are not accepted');
    const byContent = textKindOf(sample);
    if (byContent === 'svg' || byContent === 'xml')
        throw unsupported(`${byContent.toUpperCase()} files are not accepted`);
    // Within the text family the name picks md/html/txt; HTML named .txt/.md is stored as text only.
    return declaredByName && TEXT_KINDS.has(declaredByName) ? declaredByName : byContent;
}
function checkDeclared(kind, ext, declaredByName, declaredByClient, contentType) {
    const family = (k) => (TEXT_KINDS.has(k) ? 'text' : k);
    if (declaredByName && family(declaredByName) !== family(kind)) {
        throw mismatch(`the file is named .${ext} but its content is ${MIME_OF[kind]}`);
    }
    if (declaredByClient !== 'any' && declaredByClient !== family(kind)) {
        throw mismatch(`the declared type ${JSON.stringify(contentType)} does not match the content (${MIME_OF[kind]})`);
    }
}
//# sourceMappingURL=sniff.js.map