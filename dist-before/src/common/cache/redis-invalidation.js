import { ALL, } from './invalidated-cache.js';
/** `{"key":"<key>"}`, or `{"key":null}` for all. */
export const jsonCodec = (field = 'key') => ({
    encode: (t) => JSON.stringify({ [field]: t === ALL ? null : t }),
    decode: (m) => {
        try {
            const v = JSON.parse(m)[field];
            return typeof v === 'string' ? v : ALL;
        }
        catch {
            return ALL;
        }
    },
});
/**
 * Redis pub/sub transport. The cache is connected once SUBSCRIBE succeeded on a ready connection,
 * and disconnected as soon as the connection closes (ioredis then reconnects by itself).
 */
export class RedisInvalidation {
    constructor(opts) {
        this.opts = opts;
        this.codec = opts.codec ?? jsonCodec();
    }
    subscribe(sink) {
        let stopped = false;
        let sub;
        let again;
        const open = () => {
            sub = this.opts.subscriber();
            sub.on('error', () => undefined); // reported by health; here it only means "disconnected"
            sub.on('close', () => sink.disconnected());
            sub.on('end', () => {
                sink.disconnected();
                // No more reconnects on this one (a cluster node that went away): subscribe elsewhere.
                if (!stopped)
                    again = setTimeout(open, this.opts.resubscribeMs ?? 200).unref();
            });
            sub.on('ready', () => {
                sub.subscribe(this.opts.channel).then(() => sink.connected(), () => sink.disconnected());
            });
            sub.on('message', (channel, message) => {
                if (channel === this.opts.channel)
                    sink.invalidate(this.codec.decode(message));
            });
        };
        open();
        return () => {
            stopped = true;
            clearTimeout(again);
            sub.disconnect();
        };
    }
    async publish(target) {
        await this.opts.publisher.publish(this.opts.channel, this.codec.encode(target));
    }
}
//# sourceMappingURL=redis-invalidation.js.map