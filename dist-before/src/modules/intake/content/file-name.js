const MAX_NAME = 200;
/**
 * A client's file name made safe to store and show: the last path segment only (either slash),
 * Unicode NFC, no control or bidi-format characters, no leading dots, whitespace collapsed,
 * at most 200 characters (the extension kept). Never empty.
 */
export function normaliseFileName(raw) {
    let name = String(raw ?? '')
        .normalize('NFC')
        .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '');
    name = name.split(/[/\\]/).pop() ?? '';
    name = name.replace(/\s+/g, ' ').trim().replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
    if ([...name].length > MAX_NAME) {
        const chars = [...name];
        const dot = name.lastIndexOf('.');
        const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
        name = chars.slice(0, MAX_NAME - [...ext].length).join('') + ext;
    }
    return name || 'upload';
}
export function extensionOf(name) {
    const dot = name.lastIndexOf('.');
    return dot > 0 ? name.slice(dot + 1).toLowerCase() : undefined;
}
//# sourceMappingURL=file-name.js.map