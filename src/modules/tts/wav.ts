/** PCM layout of a WAV stream. */
export interface AudioFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

export const WAV_HEADER_BYTES = 44;
/** Size fields of a streamed WAV whose length is unknown when the header goes out. */
export const STREAMING_SIZE = 0xffffffff;

export const blockAlign = (f: AudioFormat) => f.channels * (f.bitsPerSample / 8);

/** A canonical 44-byte PCM header; sizes default to "unknown" (0xFFFFFFFF) for a streamed body. */
export function wavHeader(f: AudioFormat, dataBytes = STREAMING_SIZE): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes === STREAMING_SIZE ? STREAMING_SIZE : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(f.channels, 22);
  h.writeUInt32LE(f.sampleRate, 24);
  h.writeUInt32LE(f.sampleRate * blockAlign(f), 28);
  h.writeUInt16LE(blockAlign(f), 32);
  h.writeUInt16LE(f.bitsPerSample, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Bytes a second of audio, as a wavHeader() states them. */
export const headerByteRate = (header: Buffer): number => header.readUInt32LE(28);

/** A whole WAV (a wavHeader() and all its PCM) with its true RIFF and data sizes written in place. */
export function sealWav(wav: Buffer): Buffer {
  wav.writeUInt32LE(wav.length - 8, 4);
  wav.writeUInt32LE(wav.length - WAV_HEADER_BYTES, 40);
  return wav;
}

export class WavFormatError extends Error {}

/**
 * Takes one WAV byte stream chunk by chunk: finds the format and the start of the data chunk
 * (size fields are ignored: streamed WAVs carry placeholders), then hands out whole sample
 * frames of PCM, so that sentences can be concatenated without a misaligned byte.
 */
export class WavPcmExtractor {
  format?: AudioFormat;
  private head: Buffer = Buffer.alloc(0);
  private inData = false;
  private carry: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer {
    if (!this.inData) {
      this.head = Buffer.concat([this.head, chunk]);
      const rest = this.parseHead();
      if (!rest) return Buffer.alloc(0);
      chunk = rest;
    }
    const all = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const align = blockAlign(this.format!);
    const whole = all.length - (all.length % align);
    this.carry = all.subarray(whole);
    return all.subarray(0, whole);
  }

  private parseHead(): Buffer | undefined {
    const b = this.head;
    if (b.length < 12) return undefined;
    if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
      throw new WavFormatError('not a RIFF/WAVE stream');
    let off = 12;
    while (off + 8 <= b.length) {
      const id = b.toString('ascii', off, off + 4);
      const size = b.readUInt32LE(off + 4);
      if (id === 'data') {
        if (!this.format) throw new WavFormatError('data chunk before fmt chunk');
        this.inData = true;
        this.head = Buffer.alloc(0);
        return b.subarray(off + 8);
      }
      if (off + 8 + size > b.length) return undefined;
      if (id === 'fmt ') {
        const audioFormat = b.readUInt16LE(off + 8);
        if (audioFormat !== 1) throw new WavFormatError(`unsupported WAV encoding ${audioFormat}`);
        this.format = {
          channels: b.readUInt16LE(off + 10),
          sampleRate: b.readUInt32LE(off + 12),
          bitsPerSample: b.readUInt16LE(off + 22),
        };
      }
      off += 8 + size + (size % 2);
    }
    return undefined;
  }
}
