import type { Redis } from 'ioredis';
import type { RedisClient } from '../../redis/redis.factory.js';
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
  /** The shared command connection, used to publish (on a cluster, PUBLISH reaches every node). */
  publisher: RedisClient;
  /**
   * A dedicated connection per subscription (a subscribed client can run no other command). One that
   * ends for good (a cluster node gone) is replaced by a new one after `resubscribeMs`.
   */
  subscriber: () => Redis;
  resubscribeMs?: number;
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
    let stopped = false;
    let sub: Redis;
    let again: NodeJS.Timeout | undefined;
    const open = () => {
      sub = this.opts.subscriber();
      sub.on('error', () => undefined); // reported by health; here it only means "disconnected"
      sub.on('close', () => sink.disconnected());
      sub.on('end', () => {
        sink.disconnected();
        // No more reconnects on this one (a cluster node that went away): subscribe elsewhere.
        if (!stopped) again = setTimeout(open, this.opts.resubscribeMs ?? 200).unref();
      });
      sub.on('ready', () => {
        sub.subscribe(this.opts.channel).then(
          () => sink.connected(),
          () => sink.disconnected(),
        );
      });
      sub.on('message', (channel: string, message: string) => {
        if (channel === this.opts.channel) sink.invalidate(this.codec.decode(message));
      });
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(again);
      sub.disconnect();
    };
  }

  async publish(target: InvalidationTarget): Promise<void> {
    await this.opts.publisher.publish(this.opts.channel, this.codec.encode(target));
  }
}
