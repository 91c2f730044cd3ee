import { describe, expect, it } from 'vitest';
import { STREAMING_SIZE, WavFormatError, WavPcmExtractor, sealWav, wavHeader } from './wav.js';

const fmt = { sampleRate: 22050, channels: 1, bitsPerSample: 16 };

describe(WavPcmExtractor.name, () => {
  it('finds the data chunk across chunk boundaries and hands out whole frames only', () => {
    const sut = new WavPcmExtractor();
    const wav = Buffer.concat([wavHeader(fmt, 6), Buffer.from([1, 2, 3, 4, 5, 6])]);
    const out = [
      sut.push(wav.subarray(0, 10)),
      sut.push(wav.subarray(10, 45)),
      sut.push(wav.subarray(45, 48)),
      sut.push(wav.subarray(48)),
    ];
    expect(out[0].length).toBe(0);
    expect(Buffer.concat(out)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6]));
    expect(out.every((b) => b.length % 2 === 0)).toBe(true);
    expect(sut.format).toEqual(fmt);
  });

  it('skips chunks before data (LIST) and ignores placeholder sizes', () => {
    const h = wavHeader(fmt);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([4, 0, 0, 0]), Buffer.from('abcd')]);
    const wav = Buffer.concat([h.subarray(0, 36), list, h.subarray(36), Buffer.from([9, 9])]);
    expect(new WavPcmExtractor().push(wav)).toEqual(Buffer.from([9, 9]));
  });

  it('refuses what is not PCM WAV', () => {
    expect(() => new WavPcmExtractor().push(Buffer.from('ID3\u0004 not a wav file at all'))).toThrow(
      WavFormatError,
    );
  });
});

describe(wavHeader.name, () => {
  it('writes a canonical header, "unknown" sizes for a stream', () => {
    const sut = wavHeader(fmt);
    expect(sut.length).toBe(44);
    expect(sut.readUInt32LE(4)).toBe(STREAMING_SIZE);
    expect(sut.readUInt32LE(40)).toBe(STREAMING_SIZE);
    expect(sut.readUInt32LE(28)).toBe(44100);
    expect(wavHeader(fmt, 100).readUInt32LE(4)).toBe(136);
  });
});

describe(sealWav.name, () => {
  it('writes the true sizes over the streaming placeholders, as a header made with the size would have them', () => {
    const pcm = Buffer.from([1, 2, 3, 4, 5, 6]);
    const sut = sealWav(Buffer.concat([wavHeader(fmt), pcm]));
    expect(sut).toEqual(Buffer.concat([wavHeader(fmt, pcm.length), pcm]));
    expect(sut.readUInt32LE(4)).toBe(sut.length - 8);
    expect(sut.readUInt32LE(40)).toBe(6);
    expect(sut.readUInt32LE(40)).not.toBe(STREAMING_SIZE);
  });
});
