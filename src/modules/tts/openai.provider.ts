import { TtsProvider, type SynthesisOptions } from './tts.types.js';

export const OPENAI_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
  'verse',
] as const;

export class RemoteTtsError extends Error {}

/** An OpenAI-compatible speech API (`POST {base}/audio/speech`), asked for WAV per sentence. */
export class OpenAiSpeechProvider extends TtsProvider {
  readonly name = 'openai';
  readonly defaultVoice = 'alloy';

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly model: string,
  ) {
    super();
  }

  voices(): readonly string[] {
    return OPENAI_VOICES;
  }

  async *synthesize(text: string, opts: SynthesisOptions): AsyncIterable<Buffer> {
    const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}/audio/speech`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: this.model, input: text, voice: opts.voice, response_format: 'wav' }),
      signal: opts.signal,
    });
    if (!res.ok || !res.body) throw new RemoteTtsError(`speech API answered ${res.status}`);
    for await (const chunk of res.body) yield Buffer.from(chunk);
  }
}
