import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { TtsEvent, TtsEvents } from '../src/modules/tts/tts.types.js';
import { ttsTimeToFirstAudio } from '../src/common/metrics/metrics.js';
import { splitSentences } from '../src/modules/tts/sentences.js';
import { until } from './support/wait.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;
interface Ev {
  type: string;
  requestId?: string;
  pid?: number;
  signal?: string | null;
}

const LONG = Array.from(
  { length: 40 },
  (_, i) => `This is sentence number ${i + 1} of a rather long text that takes a while to speak.`,
).join(' ');

/** A raw streaming POST: resolves with the response once its first body bytes arrived (paused). */
function openStream(url: string, token: string, requestId: string, text: string) {
  return new Promise<{ req: http.ClientRequest; res: http.IncomingMessage; first: Buffer }>(
    (resolve, reject) => {
      const body = JSON.stringify({ text });
      const req = http.request(`${url}/v1/tts`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-request-id': requestId,
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        res.once('data', (first: Buffer) => {
          res.pause();
          resolve({ req, res, first });
        });
      });
      req.end(body);
    },
  );
}

function parseWav(b: Buffer) {
  return {
    riff: b.toString('ascii', 0, 4),
    wave: b.toString('ascii', 8, 12),
    fmt: b.toString('ascii', 12, 16),
    audioFormat: b.readUInt16LE(20),
    channels: b.readUInt16LE(22),
    sampleRate: b.readUInt32LE(24),
    byteRate: b.readUInt32LE(28),
    blockAlign: b.readUInt16LE(32),
    bits: b.readUInt16LE(34),
    data: b.toString('ascii', 36, 40),
    dataSize: b.readUInt32LE(40),
  };
}

describe('POST /v1/tts (espeak-ng, streamed WAV)', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  let events: Ev[];
  let rootToken: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { TTS_MAX_CHARS: '4000', USAGE_FLUSH_MS: '3600000', TTS_MAX_BUFFERED_AUDIO_S: '30', TTS_BUFFERED_SLOTS: '1' }),
    );
    A = await orgWithRoles(db.owner);
    rootToken = await tokenFor(await createUser(db.owner, { superAdmin: true }));
    events = [];
    const bus = t.app.get(TtsEvents, { strict: false });
    for (const type of Object.values(TtsEvent))
      bus.on(type, (e: Omit<Ev, 'type'>) => events.push({ type, ...e }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const tts = (body: object, token = A.tokens.member) =>
    request(t.url).post('/v1/tts').set('Authorization', `Bearer ${token}`).send(body);
  /** The org's metered TTS characters. */
  const usage = async (o: Tenant): Promise<number> =>
    (await request(t.url).get('/v1/org/usage').set('Authorization', `Bearer ${o.tokens.viewer}`).expect(200)).body.totals
      .tts_characters ?? 0;
  /** A 200 answer's whole WAV as one Buffer. */
  const wavOf = (text: string, o: Tenant) =>
    tts({ text }, o.tokens.member)
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      })
      .expect(200);
  /** A new org with `tts_streaming` off: its answers are buffered. */
  const bufferedOrg = async () => {
    const o = await orgWithRoles(db.owner);
    await request(t.url)
      .put(`/v1/admin/flags/tts_streaming/orgs/${o.org.id}`)
      .set('Authorization', `Bearer ${rootToken}`)
      .send({ enabled: false })
      .expect(200);
    return o;
  };

  it('answers one valid WAV of plausible length, sentence headers stripped, with rate-limit headers', async () => {
    const text = 'Hello world. This is a short test of the speech engine! Does it work?';
    const res = await tts({ text, voice: 'en-us' })
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.headers['ratelimit-policy']).toContain('"tts";q=600;w=60');
    // three sentences, each charged at least TTS_SENTENCE_FLOOR_CHARS (50): 150 characters, two blocks of 100
    expect(res.headers['ratelimit']).toMatch(/"tts";r=598;t=\d+/);
    const body = res.body as Buffer;
    const h = parseWav(body);
    expect(h).toMatchObject({
      riff: 'RIFF',
      wave: 'WAVE',
      fmt: 'fmt ',
      audioFormat: 1,
      channels: 1,
      sampleRate: 22050,
      bits: 16,
      blockAlign: 2,
      byteRate: 44100,
      data: 'data',
      dataSize: 0xffffffff,
    });
    const pcm = body.length - 44;
    expect(pcm % h.blockAlign).toBe(0);
    const seconds = pcm / h.byteRate;
    // ~70 characters of English at espeak's ~175 words per minute: a few seconds of audio.
    expect(seconds).toBeGreaterThan(2);
    expect(seconds).toBeLessThan(15);
    expect(body.indexOf('RIFF', 4)).toBe(-1); // the 3 per-sentence headers are gone
    expect(body.indexOf('WAVEfmt', 12)).toBe(-1);
    const ttfa = (await ttsTimeToFirstAudio.get()).values.find(
      (v) => v.labels.org === A.org.id && v.metricName?.endsWith('_count'),
    );
    expect(ttfa?.value).toBeGreaterThanOrEqual(1);
  });

  it('streams: the first bytes arrive before the synthesis of a long text completes', async () => {
    const id = `tts-first-${Date.now()}`;
    const { res, first } = await openStream(t.url, A.tokens.member, id, LONG);
    expect(first.toString('ascii', 0, 4)).toBe('RIFF');
    // The client holds the first bytes and has read nothing more: the server cannot have
    // finished (tens of seconds of audio do not fit in socket buffers; the stream honours backpressure).
    const mine = () => events.filter((e) => e.requestId === id);
    expect(mine().some((e) => e.type === TtsEvent.FirstAudio)).toBe(true);
    expect(mine().some((e) => e.type === TtsEvent.SynthesisDone)).toBe(false);
    const rest: Buffer[] = [first];
    res.on('data', (c: Buffer) => rest.push(c));
    res.resume();
    await new Promise((r) => res.once('end', r));
    const done = mine().findIndex((e) => e.type === TtsEvent.SynthesisDone);
    expect(done).toBeGreaterThan(mine().findIndex((e) => e.type === TtsEvent.FirstAudio));
    expect(mine().filter((e) => e.type === TtsEvent.Spawn).length).toBe(splitSentences(LONG).length);
    const all = Buffer.concat(rest);
    expect((all.length - 44) / 44100).toBeGreaterThan(60); // 40 long sentences
  });

  it('a client disconnect kills the engine and synthesises nothing more', async () => {
    // An engine that never finishes on its own (test/fixtures/espeak-hang.sh), so the kill is
    // observable deterministically whatever the machine's load.
    const fixture = fileURLToPath(new URL('./fixtures/espeak-hang.sh', import.meta.url));
    const hang = await startApp(envFor(db.appUrl, db.ownerUrl, { ESPEAK_BIN: fixture, TTS_MAX_CHARS: '4000', USAGE_FLUSH_MS: '3600000' }));
    const seen: Ev[] = [];
    const bus = hang.app.get(TtsEvents, { strict: false });
    for (const type of Object.values(TtsEvent)) bus.on(type, (e: Omit<Ev, 'type'>) => seen.push({ type, ...e }));
    try {
      const id = `tts-cut-${Date.now()}`;
      const other = await orgWithRoles(db.owner); // its usage stays out of org A's exact counts
      const { req } = await openStream(hang.url, other.tokens.member, id, LONG);
      const mine = () => seen.filter((e) => e.requestId === id);
      const pid = await until(() => mine().find((e) => e.type === TtsEvent.Spawn)?.pid);
      req.destroy();
      const exit = await until(() => mine().find((e) => e.type === TtsEvent.Exit && e.pid === pid));
      expect(exit!.signal).toBe('SIGKILL');
      expect(() => process.kill(pid!, 0)).toThrow(/ESRCH/);
      expect(mine().filter((e) => e.type === TtsEvent.Spawn)).toHaveLength(1);
      expect(mine().some((e) => e.type === TtsEvent.SynthesisDone)).toBe(false);
    } finally {
      await hang.close();
    }
  });

  it('refuses over-long text (413, not metered), unknown voices (422), other formats (400), viewers (403)', async () => {
    const before = (
      await request(t.url).get('/v1/org/usage').set('Authorization', `Bearer ${A.tokens.viewer}`).expect(200)
    ).body.totals.tts_characters;
    const long = await tts({ text: 'a'.repeat(4001) });
    expect(long.status).toBe(413);
    expect(long.body.type).toMatch(/payload-too-large$/);
    const after = (
      await request(t.url).get('/v1/org/usage').set('Authorization', `Bearer ${A.tokens.viewer}`).expect(200)
    ).body.totals.tts_characters;
    expect(after).toBe(before);
    const voice = await tts({ text: 'Hello.', voice: 'klingon' });
    expect(voice.status).toBe(422);
    expect(voice.body.errors.voice[0]).toMatch(/en-us/);
    await tts({ text: 'Hello.', format: 'mp3' }).expect(400);
    await tts({ text: '' }).expect(400);
    await tts({ text: ' \n ' }).expect(422);
    await tts({ text: 'Hello.' }, A.tokens.viewer).expect(403);
  });

  it('charges each sentence at least the floor: a hundred one-letter lines cost what their engine runs do', async () => {
    const C = await orgWithRoles(db.owner);
    const res = await tts({ text: 'a\n'.repeat(100) }, C.tokens.member).expect(200);
    // 100 sentences × 50 characters = 5,000 characters = 50 blocks of 100 (not 1 block for 200 characters)
    expect(res.headers['ratelimit']).toMatch(/"tts";r=550;t=\d+/);
  });

  it('charges audio past what its characters paid for (TTS_AUDIO_CHARS_PER_SECOND): a text the engine reads out long costs its audio', async () => {
    const seconds = (body: Buffer) => (body.length - 44) / 44100; // 22.05 kHz mono 16-bit after the header
    // each ㍻ is read as a whole era name: 200 characters, one sentence, about 75 s of audio
    const E = await orgWithRoles(db.owner);
    // a bucket that refills slowly (20 blocks of 100 characters an hour), so the debt shows
    await request(t.url)
      .put(`/v1/admin/orgs/${E.org.id}/limits`)
      .set('Authorization', `Bearer ${rootToken}`)
      .send({ tts: { limit: 20, window_s: 3600 } })
      .expect(200);
    const long = await wavOf('㍻'.repeat(200), E);
    const made = seconds(long.body as Buffer);
    expect(made * 10).toBeGreaterThan(400); // far more audio than 200 characters of prose make
    // the charge lands once the synthesis has ended (after the last byte was sent): polled
    await expect.poll(() => usage(E), { timeout: 10_000 }).toBe(Math.ceil(made * 10));
    // the org's bucket paid for it too, past empty if need be: 2 blocks before, the rest after
    const owedBlocks = Math.ceil((Math.ceil(made * 10) - 200) / 100);
    const next = await tts({ text: 'Hello.' }, E.tokens.member);
    if (owedBlocks >= 18) expect(next.status).toBe(429);
    else {
      expect(next.status).toBe(200);
      // without the audio's charge 17 would remain
      expect(next.headers['ratelimit']).toMatch(new RegExp(`"tts";r=${20 - 2 - owedBlocks - 1};`));
    }
    // prose makes about 15 characters a second: its characters pay for its audio, nothing more
    const F = await orgWithRoles(db.owner);
    const text = 'This is a short test of the speech engine, spoken at an ordinary pace by a plain voice.';
    const prose = await wavOf(text, F);
    expect(seconds(prose.body as Buffer) * 10).toBeLessThan(text.length);
    await expect.poll(() => usage(F), { timeout: 10_000 }).toBe(text.length);
  });

  it('a buffered answer (tts_streaming off) holds at most TTS_MAX_BUFFERED_AUDIO_S of audio: past it the synthesis stops, 422, the audio made charged', async () => {
    // 100 ㍻ (one sentence) make about 37 s of audio: streamed, all of it
    const text = '㍻'.repeat(100);
    const whole = await wavOf(text, A);
    const seconds = ((whole.body as Buffer).length - 44) / 44100;
    expect(seconds).toBeGreaterThan(33); // the limit below (30 s) is really passed

    const G = await bufferedOrg();
    const res = await tts({ text }, G.tokens.member).expect(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/past 30 s/);
    expect(res.body.errors.text[0]).toMatch(/more than 30 s of audio/);
    // charged what was made: at least the 30 s it held (at 10 characters a second), less than all of it
    await expect.poll(() => usage(G), { timeout: 10_000 }).toBeGreaterThanOrEqual(300);
    expect(await usage(G)).toBeLessThan(Math.ceil(seconds * 10));
    // a text within the limit is still one buffered WAV with its true sizes
    const ok = await tts({ text: 'Hello there. This is a short one.' }, G.tokens.member).expect(200);
    expect(ok.headers['content-length']).toBe(String((ok.body as Buffer).length));
    expect((ok.body as Buffer).readUInt32LE(40)).toBe((ok.body as Buffer).length - 44);
  });

  it('buffered answers are made TTS_BUFFERED_SLOTS at a time per process (each holds its whole WAV): a second org\'s waits its turn, streams do not', async () => {
    const [P, Q] = [await bufferedOrg(), await bufferedOrg()];
    const text = Array.from({ length: 4 }, (_, i) => `This is buffered sentence number ${i + 1}.`).join(' ');
    const speakAs = (o: Tenant, id: string) =>
      request(t.url)
        .post('/v1/tts')
        .set('Authorization', `Bearer ${o.tokens.member}`)
        .set('x-request-id', id)
        .send({ text });
    const ids = [`buf-p-${Date.now()}`, `buf-q-${Date.now()}`];
    const [p, q] = await Promise.all([speakAs(P, ids[0]), speakAs(Q, ids[1])]);
    expect([p.status, q.status]).toEqual([200, 200]);
    // each request's engine processes, first start to last exit: with one slot the two never overlap
    const span = (id: string) => {
      const at = events.map((e, i) => ({ ...e, i })).filter((e) => e.requestId === id);
      expect(at.filter((e) => e.type === TtsEvent.Exit)).toHaveLength(4);
      return [Math.min(...at.map((e) => e.i)), Math.max(...at.map((e) => e.i))];
    };
    const [a, b] = [span(ids[0]), span(ids[1])];
    expect(a[1] < b[0] || b[1] < a[0]).toBe(true);
    // the same texts streamed share the engine's two processes at once
    const s = [`str-p-${Date.now()}`, `str-q-${Date.now()}`];
    const [A2, B2] = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    await Promise.all([speakAs(A2, s[0]).expect(200), speakAs(B2, s[1]).expect(200)]);
    const [c, d] = [span(s[0]), span(s[1])];
    expect(c[1] < d[0] || d[1] < c[0]).toBe(false);
  });

  it('limits in-flight streams per org; the slot frees when the stream ends', async () => {
    const B = await orgWithRoles(db.owner);
    await request(t.url)
      .put(`/v1/admin/orgs/${B.org.id}/limits`)
      .set('Authorization', `Bearer ${rootToken}`)
      .send({ tts: { concurrency: 1 } })
      .expect(200);
    const first = await openStream(t.url, B.tokens.member, `tts-slot-${Date.now()}`, LONG);
    const second = await tts({ text: 'Hello.' }, B.tokens.member);
    expect(second.status).toBe(429);
    expect(second.body.type).toMatch(/rate-limited$/);
    expect(second.body.detail).toMatch(/streams at a time/);
    expect(second.headers['retry-after']).toBe('1');
    await tts({ text: 'Hello.' }, A.tokens.member).expect(200); // another org is not affected
    first.req.destroy();
    await until(async () => (await tts({ text: 'Hello.' }, B.tokens.member)).status === 200);
  });
});
