import { describe, expect, it } from 'vitest';
import { MAX_PIECE, splitSentences } from './sentences.js';

describe(splitSentences.name, () => {
  it('splits after sentence punctuation and line breaks, dropping blanks', () => {
    expect(splitSentences('Hello there. How are you?  Fine!\n\nNew line…Next')).toEqual([
      'Hello there.',
      'How are you?',
      'Fine!',
      'New line…Next',
    ]);
    expect(splitSentences('  \n ')).toEqual([]);
  });

  it('keeps decimals and cuts run-on text at word boundaries', () => {
    expect(splitSentences('Pi is 3.14 today.')).toEqual(['Pi is 3.14 today.']);
    const long = 'word '.repeat(300);
    const sut = splitSentences(long);
    expect(sut.every((s) => s.length <= MAX_PIECE)).toBe(true);
    expect(sut.join(' ')).toBe(long.trim());
  });
});

// The first case imports the TTS service module graph: seconds on a busy machine.
describe('ttsCharsCharged', { timeout: 30_000 }, () => {
  it('charges each sentence at least the floor, and long sentences their length', async () => {
    const { ttsCharsCharged } = await import('./tts.service.js');
    expect(ttsCharsCharged('a\n'.repeat(1000), 50)).toBe(50_000);
    expect(ttsCharsCharged('x'.repeat(120) + '.', 50)).toBe(121);
    expect(ttsCharsCharged('Hi. Long enough sentence here.', 0)).toBe(3 + 26);
  });
});
