import { createSocket, type Socket } from 'node:dgram';

/**
 * A DNS server on loopback UDP speaking the real protocol, for the crawler's resolver: answers A
 * queries for every name with `a` (none: an empty answer), AAAA with none, or stays silent.
 */
export async function startDnsServer(opts: { a?: string[]; silent?: boolean }): Promise<{ address: string; queries: number; close(): Promise<void> }> {
  const socket: Socket = createSocket('udp4');
  const state = { queries: 0 };
  socket.on('message', (msg, rinfo) => {
    state.queries++;
    if (opts.silent || msg.length < 12) return;
    let end = 12;
    while (end < msg.length && msg[end] !== 0) end += msg[end] + 1; // the name's labels
    const question = msg.subarray(12, end + 5); // the name's end, QTYPE and QCLASS
    const qtype = question.readUInt16BE(question.length - 4);
    const answers = qtype === 1 ? (opts.a ?? []) : [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // the query's id
    header.writeUInt16BE(0x8180, 2); // a response, recursion available, no error
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the question's name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
      return rr;
    });
    socket.send(Buffer.concat([header, question, ...records]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    get queries() {
      return state.queries;
    },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
