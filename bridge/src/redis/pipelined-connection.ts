import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import RedisParser from 'redis-parser';
import { commandRefusal } from './command-refusal.js';

/** One reply: a bulk string's bytes, an integer, nil, an array, or the error Redis answered for that command. */
export type PipelinedReply = Buffer | number | null | Error | PipelinedReply[];

/**
 * Most commands one batch may hold: a batch's replies are held in memory until its last one lands, so the caller
 * bounds their bytes by what each command can answer times this.
 */
export const MAX_COMMANDS_PER_BATCH = 1_024;

interface Batch {
  expected: number;
  replies: PipelinedReply[];
  resolve(replies: PipelinedReply[]): void;
  reject(err: Error): void;
}

/** The connection options a pipelined connection takes from the client it stands beside (so it reaches the same Redis, as the same user). */
type Reach = Pick<RedisOptions, 'host' | 'port' | 'path' | 'family' | 'username' | 'password' | 'db' | 'tls'>;

/**
 * Redis could not be reached on a connection of the pipelined read's own, or closed it as it opened (`ERR max number
 * of clients reached`, a proxy's limit): the reader can take the client's connection instead. Not for Redis being
 * slow to answer the opening (that is a deadline: another connection would only add to its load).
 */
export class ConnectionNotOpened extends Error {
  constructor(reason: Error) {
    super(reason.message, { cause: reason });
    this.name = 'ConnectionNotOpened';
  }
}

/** Redis did not answer a batch (or the opening) within the timeout. */
class Unanswered extends Error {}

/** One argument of a command, as RESP writes it (a bulk string). */
export function respArgument(arg: string | number): string {
  const text = String(arg);
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** A command of arguments already written (`respArgument`), as RESP writes it: what any Redis reads. */
export function respCommand(...args: string[]): string {
  return `*${args.length}\r\n${args.join('')}`;
}

/**
 * A connection of its own for batches of read commands, written as one RESP text and parsed by `redis-parser`
 * without a client's per-command objects: at thousands of commands a poll, ioredis's Command and promise per
 * command cost the bridge ~12 µs each, this ~1.5 µs (bench/bridge-tick.ts). Meant for plain reads only: it has no
 * offline queue, no retry and no resend. A batch that fails, aborts or passes its deadline destroys the socket, so
 * that no late reply is taken for another batch's (Redis may still run what was sent: reads only, no harm); the
 * next batch connects again.
 */
export class PipelinedConnection {
  private socket: Socket | undefined;
  private ready: Promise<Socket> | undefined;
  private readonly pending: Batch[] = [];
  private readonly parser: RedisParser;
  private closed = false;
  /** Why the last opening failed, until one succeeds: the read then goes another way (ConnectionNotOpened). */
  private notOpened: Error | undefined;

  constructor(
    private readonly reach: Reach,
    private readonly timeoutMs: number,
    private readonly name: string,
  ) {
    this.parser = new RedisParser({
      returnReply: (reply: PipelinedReply) => this.reply(reply),
      returnError: (err: Error) => this.reply(err),
      returnFatalError: (err: Error) => this.fail(err),
      returnBuffers: true,
    });
  }

  /**
   * Sends `count` commands, written as one RESP text (`respCommand`), in one write and resolves with their replies
   * in order; a command Redis refused answers its error in its place. Rejects when the connection fails, `signal`
   * aborts, or the replies take longer than the timeout.
   */
  async send(text: string, count: number, signal?: AbortSignal): Promise<PipelinedReply[]> {
    if (count > MAX_COMMANDS_PER_BATCH) throw new RangeError(`${count} commands in one batch, over ${MAX_COMMANDS_PER_BATCH}`);
    signal?.throwIfAborted();
    if (this.closed) throw new Error('pipelined connection closed');
    return this.exchange(text, count, signal, false);
  }

  /** Why the connection could not be opened last time it was, until it is (ConnectionNotOpened); else undefined. */
  get unopened(): Error | undefined {
    return this.notOpened;
  }

  /** Closes the connection; a batch in flight rejects. Idempotent. */
  close(): void {
    this.closed = true;
    this.fail(new Error('pipelined connection closed'));
  }

  private async exchange(text: string, expected: number, signal: AbortSignal | undefined, handshake: boolean): Promise<PipelinedReply[]> {
    const socket = handshake ? (this.socket as Socket) : await this.connected(signal);
    return new Promise<PipelinedReply[]>((resolve, reject) => {
      const stop = (err: Error) => {
        // The socket goes with the batch: its replies, when they come, must not be read as another's.
        this.fail(err);
        reject(err);
      };
      const timer = setTimeout(
        () => stop(new Unanswered(`redis did not answer ${expected} reads within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref();
      const onAbort = () => stop(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.pending.push({
        expected,
        replies: [],
        resolve: (replies) => {
          settle();
          resolve(replies);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      socket.write(text);
    });
  }

  /**
   * The socket, connected and past its handshake (AUTH, SELECT, CLIENT SETNAME), opened now if there is none.
   * Rejects with ConnectionNotOpened when Redis could not be reached or refused it; as is, when it did not answer in
   * time or `signal` aborted.
   */
  private connected(signal?: AbortSignal): Promise<Socket> {
    if (this.ready === undefined) {
      const ready = this.open(signal).then(
        (socket) => {
          this.notOpened = undefined;
          return socket;
        },
        (err: Error) => {
          if (err instanceof Unanswered || signal?.aborted || this.closed) throw err;
          this.notOpened = err;
          throw new ConnectionNotOpened(err);
        },
      );
      this.ready = ready;
      // A failed opening is not kept: the next batch opens again.
      ready.catch(() => {
        if (this.ready === ready) this.ready = undefined;
      });
    }
    return this.ready;
  }

  private async open(signal?: AbortSignal): Promise<Socket> {
    const { host = 'localhost', port = 6379, path, family, tls } = this.reach;
    const socket = path
      ? connectTcp({ path })
      : tls
        ? connectTls({ host, port, servername: host, ...tls })
        : connectTcp({ host, port, ...(family ? { family } : {}) });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.parser.execute(chunk);
    });
    socket.on('error', (err) => {
      if (this.socket === socket) this.fail(err);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail(new Error('redis closed the pipelined connection'));
    });
    const handshake: (string | number)[][] = [];
    const { username, password, db } = this.reach;
    if (password) handshake.push(username ? ['AUTH', username, password] : ['AUTH', password]);
    if (db) handshake.push(['SELECT', db]);
    // Only a name in CLIENT LIST: an ACL without CLIENT refuses it, and that is fine.
    handshake.push(['CLIENT', 'SETNAME', this.name]);
    const text = handshake.map((args) => respCommand(...args.map(respArgument))).join('');
    const replies = await this.exchange(text, handshake.length, signal, true);
    // The name may be refused; any other error is Redis's reason to close the connection (`ERR max number of
    // clients reached`), which the next write would only report as a broken pipe.
    const refused = replies.find((reply, i) => reply instanceof Error && (i < replies.length - 1 || commandRefusal(reply) === undefined));
    if (refused) {
      this.fail(refused as Error);
      throw refused;
    }
    return socket;
  }

  private reply(reply: PipelinedReply): void {
    const batch = this.pending[0];
    if (batch === undefined) {
      this.fail(new Error('redis sent a reply nothing asked for'));
      return;
    }
    batch.replies.push(reply);
    if (batch.replies.length < batch.expected) return;
    this.pending.shift();
    batch.resolve(batch.replies);
  }

  /** Drops the socket and fails every batch in flight. */
  private fail(err: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    this.ready = undefined;
    this.parser.reset();
    socket?.destroy();
    for (const batch of this.pending.splice(0)) batch.reject(err);
  }
}
