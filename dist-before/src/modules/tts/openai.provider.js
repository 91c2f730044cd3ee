import { TtsProvider } from './tts.types.js';
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
];
export class RemoteTtsError extends Error {
}
/** An OpenAI-compatible speech API (`POST {base}/audio/speech`), asked for WAV per sentence. */
export class OpenAiSpeechProvider extends TtsProvider {
    constructor(baseUrl, apiKey, model) {
        super();
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.model = model;
        this.name = 'openai';
        this.defaultVoice = 'alloy';
    }
    voices() {
        return OPENAI_VOICES;
    }
    async *synthesize(text, opts) {
        const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}/audio/speech`, {
            method: 'POST',
            headers: {
                'content-type': 'application/json',
                ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
            },
            body: JSON.stringify({ model: this.model, input: text, voice: opts.voice, response_format: 'wav' }),
            signal: opts.signal,
        });
        if (!res.ok || !res.body)
            throw new RemoteTtsError(`speech API answered ${res.status}`);
        for await (const chunk of res.body)
            yield Buffer.from(chunk);
    }
}
//# sourceMappingURL=openai.provider.js.map