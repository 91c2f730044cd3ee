import { ProblemException } from '../../../common/filters/problem.js';
/** PNG: the IHDR chunk is first and holds the size at fixed offsets. */
function pngSize(b) {
    if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR')
        return undefined;
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** JPEG: walk the marker segments to the frame header(s); the largest frame counts. */
function jpegSize(b) {
    let i = 2;
    let best;
    while (i + 4 <= b.length) {
        if (b[i] !== 0xff)
            return best;
        const marker = b[i + 1];
        if (marker === 0xff) {
            i += 1;
            continue;
        }
        if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
            i += 2;
            continue;
        }
        if (marker === 0xd9 || marker === 0xda)
            return best; // end of image / start of scan data
        const len = b.readUInt16BE(i + 2);
        if (len < 2)
            return best;
        if (SOF.has(marker) && i + 9 <= b.length) {
            const size = { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
            if (!best || size.width * size.height > best.width * best.height)
                best = size;
        }
        i += 2 + len;
    }
    return best;
}
/**
 * Reads an image's dimensions from its header, before anything decodes it, and refuses
 * decompression bombs: a few kilobytes of PNG can claim gigapixels.
 */
export function checkImageSize(b, mime, maxPixels) {
    const size = mime === 'image/png' ? pngSize(b) : jpegSize(b);
    if (!size || size.width === 0 || size.height === 0)
        throw new ProblemException(422, 'malformed-image', 'the image header is missing or malformed');
    if (size.width * size.height > maxPixels || size.width > 65_535 || size.height > 65_535) {
        throw new ProblemException(413, 'image-too-large', `the image is ${size.width}×${size.height} pixels; at most ${maxPixels} pixels are accepted`, {
            width: size.width,
            height: size.height,
        });
    }
    return size;
}
//# sourceMappingURL=image-probe.js.map