import { describe, expect, it } from 'vitest';
import { connectionKey, parseInto } from './unsent-bytes.js';

describe('parseInto (/proc/net/tcp)', () => {
  it('keeps the connections with bytes in their send queue, keyed by local and remote port', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 0100007F:1F90 0100007F:D431 01 000F4240:00000000 01:00000014 00000000     0        0 2 1 0 20 4 30 10 -1',
      '   2: 0100007F:1F90 0100007F:D432 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1',
      '   3: 00000000000000000000FFFF0100007F:1F90 00000000000000000000FFFF0100007F:D433 01 00000010:00000000 00:0 0 0 0 4',
    ].join('\n');
    const out = new Map<string, number>();
    parseInto(text, out);
    expect([...out]).toEqual([
      [connectionKey(8080, 0xd431), 1_000_000],
      [connectionKey(8080, 0xd433), 16],
    ]);
  });
});
