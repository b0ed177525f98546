// SSE readers for bench/bridge-fanout.ts, in a child process: opens `count` streams, reports each pulse event's
// tick timestamp, arrival of its last byte and size, for the ticks of the window the parent asks about.
//   (spawned with an IPC channel) node --import tsx bench/fanout/readers.ts <port> <path> <count>
import { type IncomingMessage, request } from 'node:http';

const MARK = Buffer.from('data: {"timestamp":');
const END = Buffer.from('\n\n');

/** One reading SSE client: records, for each pulse event, its tick timestamp, when its last byte came, its size. */
class Reader {
  readonly events: { tick: number; at: number; bytes: number }[] = [];
  dropped = false;
  private frameBytes = 0;
  private head = '';
  private lastByte = 0;
  private req: ReturnType<typeof request> | undefined;
  private done = false;

  constructor(port: number, path: string) {
    this.req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { accept: 'text/event-stream' } },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          this.dropped = true;
          res.resume();
          return;
        }
        res.on('data', (chunk: Buffer) => this.data(chunk));
        res.on('close', () => {
          if (!this.done) this.dropped = true;
        });
      },
    );
    this.req.on('error', () => {
      if (!this.done) this.dropped = true;
    });
    this.req.end();
  }

  private data(chunk: Buffer): void {
    const now = performance.timeOrigin + performance.now();
    let from = 0;
    // A frame end may straddle two chunks.
    if (this.lastByte === 0x0a && chunk[0] === 0x0a) {
      this.frameEnd(now, 1);
      from = 1;
    }
    for (let end = chunk.indexOf(END, from); end >= 0; end = chunk.indexOf(END, from)) {
      this.collectHead(chunk, from, end);
      this.frameBytes += end + 2 - from;
      this.frameEnd(now, 0);
      from = end + 2;
    }
    this.collectHead(chunk, from, chunk.length);
    this.frameBytes += chunk.length - from;
    this.lastByte = chunk[chunk.length - 1] as number;
  }

  private collectHead(chunk: Buffer, from: number, to: number): void {
    if (this.head.length < 160) this.head += chunk.toString('latin1', from, Math.min(to, from + 160 - this.head.length));
  }

  private frameEnd(at: number, extra: number): void {
    this.frameBytes += extra;
    // system_pulse and system_pulse_delta, not pulse_status (whose data also starts with a timestamp).
    const mark = this.head.includes('event: system_pulse') ? this.head.indexOf(MARK.toString()) : -1;
    if (mark >= 0) {
      const start = mark + MARK.length;
      const tick = Number(this.head.slice(start, this.head.indexOf(',', start)));
      this.events.push({ tick, at, bytes: this.frameBytes });
    }
    this.frameBytes = 0;
    this.head = '';
  }

  close(): void {
    this.done = true;
    this.req?.destroy();
  }
}

const [port, path, count] = [Number(process.argv[2]), process.argv[3] as string, Number(process.argv[4])];
const readers: Reader[] = [];
for (let i = 0; i < count; i++) {
  readers.push(new Reader(port, path));
  if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20));
}
process.send?.('connected');
process.on('message', (m: { from: number; to: number } | 'started') => {
  // How many readers have had their first pulse (a delta stream's first is the whole state).
  if (m === 'started') process.send?.(readers.filter((r) => r.events.length > 0 || r.dropped).length);
  else
    process.send?.({
      events: readers.map((r) => r.events.filter((e) => e.tick >= m.from && e.tick < m.to)),
      dropped: readers.map((r) => r.dropped),
    });
});
