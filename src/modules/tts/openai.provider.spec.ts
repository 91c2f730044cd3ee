import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadEnv } from '../../config/env.js';
import { TtsConfig } from '../../config/slices.js';
import { OpenAiSpeechProvider, RemoteTtsError } from './openai.provider.js';
import { TtsService } from './tts.service.js';
import { TtsEvents } from './tts.types.js';
import { wavHeader } from './wav.js';

const fmt = { sampleRate: 24000, channels: 1, bitsPerSample: 16 };

describe(OpenAiSpeechProvider.name, () => {
  const seen: { auth?: string; body: Record<string, unknown> }[] = [];
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    // A stand-in for an OpenAI-compatible speech API: a WAV of 4 bytes of PCM per input.
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw);
        seen.push({ auth: req.headers.authorization, body });
        if (body.voice === 'broken') return res.writeHead(500).end();
        res.writeHead(200, { 'content-type': 'audio/wav' });
        res.end(Buffer.concat([wavHeader(fmt, 4), Buffer.from([seen.length, 0, seen.length, 0])]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('asks for WAV per sentence and the service joins them into one streamed WAV', async () => {
    const env = loadEnv(
      {
        DATABASE_URL: 'postgres://x@h/d', DATABASE_WORKER_URL: 'postgres://x@h/d', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
        REDIS_URL: 'redis://h',
        JWT_SECRET: 'x'.repeat(32),
        METRICS_TOKEN: 'x'.repeat(16),
        TTS_PROVIDER: 'openai',
        TTS_BASE_URL: base,
      },
      '/nonexistent',
    );
    const sut = new TtsService(TtsConfig.from(env), new OpenAiSpeechProvider(base, 'sk-test', 'tts-1'), new TtsEvents());
    const parts: Buffer[] = [];
    for await (const c of sut.speak({
      text: 'One. Two!',
      voice: 'nova',
      orgId: 'o',
      requestId: 'r',
      startedAt: process.hrtime.bigint(),
      signal: new AbortController().signal,
    }))
      parts.push(c);
    const wav = Buffer.concat(parts);
    expect(wav.readUInt32LE(24)).toBe(24000);
    expect(wav.subarray(44)).toEqual(Buffer.from([1, 0, 1, 0, 2, 0, 2, 0]));
    expect(seen.map((s) => s.body)).toEqual([
      { model: 'tts-1', input: 'One.', voice: 'nova', response_format: 'wav' },
      { model: 'tts-1', input: 'Two!', voice: 'nova', response_format: 'wav' },
    ]);
    expect(seen[0].auth).toBe('Bearer sk-test');
    expect(() => sut.validate('Hi.', 'en-us')).toThrow(/unknown voice/);
  });

  it('reports a failing remote as an error', async () => {
    const sut = new OpenAiSpeechProvider(base, undefined, 'tts-1');
    const stream = sut.synthesize('x', { voice: 'broken', requestId: 'r', signal: new AbortController().signal });
    const it = stream[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow(RemoteTtsError);
  });
});
