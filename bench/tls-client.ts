/**
 * A deliberately small STARTTLS client for the TLS benchmark: connect to 127.0.0.1, read the banner,
 * EHLO, STARTTLS, TLS handshake (optionally resuming a saved session), QUIT. No transcript, no
 * certificate verification work beyond what Node's TLS always does, so the client stays cheap next to
 * the server it measures. Only ever talks to 127.0.0.1.
 */
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, SecureContext, TLSSocket } from 'node:tls';

export const BENCH_HOST = '127.0.0.1';

export interface SessionOptions {
  readonly port: number;
  /** A session (ticket) saved from an earlier connection, to resume. */
  readonly session?: Buffer;
  /** false: connect, EHLO, QUIT without TLS (the floor a session costs without TLS). */
  readonly starttls?: boolean;
  readonly timeoutMs?: number;
  /** Report the key type of the server certificate (parses it: only for warm-up, not in timed batches). */
  readonly inspect?: boolean;
}

export interface SessionResult {
  readonly ok: boolean;
  /** The handshake resumed the offered session. */
  readonly reused: boolean;
  /** The newest session the server issued (ticket), to resume the next connection. */
  readonly session?: Buffer;
  readonly protocol?: string;
  /** Key type of the server certificate that was presented ('ec', 'rsa'); only on full handshakes. */
  readonly certificateKey?: string;
  readonly error?: string;
}

/**
 * One TLS context for every session: without it Node builds a new context (and loads the CA store) per
 * connection, which would make the client cost more than the server it measures.
 */
let sharedContext: SecureContext | undefined;
function context(): SecureContext {
  sharedContext ??= createSecureContext({});
  return sharedContext;
}

/** Reads SMTP replies off a socket; resolves one complete (possibly multi-line) reply at a time. */
class ReplyReader {
  private buffer = '';
  private pending?: { resolve: (code: number) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(private socket: Socket) {
    this.listen(socket);
  }

  public listen(socket: Socket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.drain();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Stops reading the plaintext socket before the TLS layer takes it over. */
  public detach(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
  }

  public hasBufferedData(): boolean {
    return this.buffer.length > 0;
  }

  public next(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending = { resolve, reject };
      this.drain();
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  private drain(): void {
    if (!this.pending) return;
    for (;;) {
      const end = this.buffer.indexOf('\n');
      if (end < 0) return;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      if (line.length >= 4 && line[3] === ' ') {
        const p = this.pending;
        this.pending = undefined;
        p.resolve(Number(line.slice(0, 3)));
        return;
      }
    }
  }
}

async function expectReply(reader: ReplyReader, code: number, what: string): Promise<void> {
  const got = await reader.next();
  if (got !== code) throw new Error(`${what}: expected ${code}, got ${got}`);
}

/** One session; never throws (failures come back as ok: false). */
export async function starttlsSession(options: SessionOptions): Promise<SessionResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let socket: Socket | undefined;
  let secure: TLSSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = (async (): Promise<SessionResult> => {
      socket = await new Promise<Socket>((resolve, reject) => {
        const s = netConnect({ host: BENCH_HOST, port: options.port }, () => resolve(s));
        s.once('error', reject);
      });
      socket.setNoDelay(true);
      const reader = new ReplyReader(socket);
      await expectReply(reader, 220, 'banner');
      socket.write('EHLO bench.client.test\r\n');
      await expectReply(reader, 250, 'EHLO');
      if (options.starttls === false) {
        socket.write('QUIT\r\n');
        await expectReply(reader, 221, 'QUIT');
        return { ok: true, reused: false };
      }
      socket.write('STARTTLS\r\n');
      await expectReply(reader, 220, 'STARTTLS');
      if (reader.hasBufferedData()) throw new Error('data after 220 to STARTTLS');
      reader.detach();
      let latest: Buffer | undefined;
      const plain = socket;
      secure = await new Promise<TLSSocket>((resolve, reject) => {
        const s = tlsConnect({ socket: plain, secureContext: context(), rejectUnauthorized: false, session: options.session }, () => resolve(s));
        s.on('session', (ticket: Buffer) => (latest = ticket));
        s.once('error', reject);
      });
      const tls = secure;
      reader.listen(tls);
      const reused = tls.isSessionReused();
      const certificateKey = options.inspect && !reused ? tls.getPeerX509Certificate()?.publicKey.asymmetricKeyType : undefined;
      tls.write('QUIT\r\n');
      await expectReply(reader, 221, 'QUIT');
      return { ok: true, reused, session: latest, protocol: tls.getProtocol() ?? undefined, certificateKey };
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([work, timeout]);
  } catch (e) {
    return { ok: false, reused: false, error: (e as Error).message };
  } finally {
    if (timer) clearTimeout(timer);
    secure?.destroy();
    socket?.destroy();
  }
}

/** Result of `sequentialBatch`. */
export interface BatchResult {
  readonly sessions: number;
  readonly failed: number;
  readonly reused: number;
  readonly wallMs: number;
  /** Client process CPU (user + system) during the batch, microseconds. */
  readonly clientCpuUsec: number;
  readonly protocols: readonly string[];
  readonly certificateKeys: readonly string[];
  readonly errors: readonly string[];
}

/**
 * N sessions one after the other. `resume`: every session offers the newest ticket of the previous one
 * (the first offers `seed`, or nothing).
 */
export async function sequentialBatch(
  port: number,
  count: number,
  mode: 'full' | 'resumed' | 'plain',
  seed?: Buffer,
  inspect = false,
): Promise<BatchResult & { lastSession?: Buffer }> {
  let session = seed;
  let failed = 0;
  let reused = 0;
  const protocols = new Set<string>();
  const keys = new Set<string>();
  const errors: string[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const r = await starttlsSession({ port, starttls: mode !== 'plain', session: mode === 'resumed' ? session : undefined, inspect });
    if (!r.ok) {
      failed++;
      if (errors.length < 5) errors.push(r.error ?? 'unknown');
      continue;
    }
    if (r.reused) reused++;
    if (r.session) session = r.session;
    if (r.protocol) protocols.add(r.protocol);
    if (r.certificateKey) keys.add(r.certificateKey);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { sessions: count, failed, reused, wallMs, clientCpuUsec: cpu.user + cpu.system, protocols: [...protocols], certificateKeys: [...keys], errors, lastSession: session };
}
