import type { Redis } from 'ioredis';
import {
  ALL,
  type InvalidationSink,
  type InvalidationSource,
  type InvalidationTarget,
} from './invalidated-cache.js';

/** How a target travels on the channel (each feature keeps its own wire format). */
export interface InvalidationCodec {
  encode(target: InvalidationTarget): string;
  /** An unreadable message must answer ALL. */
  decode(message: string): InvalidationTarget;
}

/** `{"key":"<key>"}`, or `{"key":null}` for all. */
export const jsonCodec = (field = 'key'): InvalidationCodec => ({
  encode: (t) => JSON.stringify({ [field]: t === ALL ? null : t }),
  decode: (m) => {
    try {
      const v = (JSON.parse(m) as Record<string, unknown>)[field];
      return typeof v === 'string' ? v : ALL;
    } catch {
      return ALL;
    }
  },
});

export interface RedisInvalidationOptions {
  channel: string;
  /** The shared command connection, used to publish. */
  publisher: Redis;
  /** A dedicated connection per subscription: a subscribed ioredis client can run no other command. */
  subscriber: () => Redis;
  codec?: InvalidationCodec;
}

/**
 * Redis pub/sub transport. The cache is connected once SUBSCRIBE succeeded on a ready connection,
 * and disconnected as soon as the connection closes (ioredis then reconnects by itself).
 */
export class RedisInvalidation implements InvalidationSource {
  private readonly codec: InvalidationCodec;

  constructor(private readonly opts: RedisInvalidationOptions) {
    this.codec = opts.codec ?? jsonCodec();
  }

  subscribe(sink: InvalidationSink): () => void {
    const sub = this.opts.subscriber();
    sub.on('error', () => undefined); // reported by health; here it only means "disconnected"
    sub.on('close', () => sink.disconnected());
    sub.on('end', () => sink.disconnected());
    sub.on('ready', () => {
      sub.subscribe(this.opts.channel).then(
        () => sink.connected(),
        () => sink.disconnected(),
      );
    });
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.opts.channel) sink.invalidate(this.codec.decode(message));
    });
    return () => sub.disconnect();
  }

  async publish(target: InvalidationTarget): Promise<void> {
    await this.opts.publisher.publish(this.opts.channel, this.codec.encode(target));
  }
}
