/**
 * Real SMTP clients for the integration tests, all talking to 127.0.0.1 only:
 * - `SmtpSession`: a small SMTP/STARTTLS client on Node's `net` and `tls`;
 * - `sClient`: `openssl s_client` (with `-starttls smtp` unless the port speaks TLS from the first byte);
 * - `swaks`.
 * Transcripts that could carry secrets (AUTH lines) are redacted before they reach an error message.
 */
import { X509Certificate } from 'node:crypto';
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions, TLSSocket } from 'node:tls';
import { redact, run } from './harness';

export const HOST = '127.0.0.1';

/** One SMTP reply: the code and the text of every line. */
export interface SmtpReply {
  readonly code: number;
  readonly lines: readonly string[];
  /** All lines joined with '\n', without the codes. */
  readonly text: string;
}

/** Raised when the server closes the connection while a reply is awaited. */
export class ConnectionClosed extends Error {}

/** A line-oriented SMTP client; switch to TLS with `startTls()` or connect with `implicitTls`. */
export class SmtpSession {
  /**
   * Connects and reads the banner. With `implicitTls`, TLS starts with the first byte (port 465) and the
   * banner is read inside TLS.
   */
  public static async open(
    port: number,
    options: { implicitTls?: ConnectionOptions; timeoutMs?: number; localAddress?: string } = {},
  ): Promise<SmtpSession> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    // localAddress: the client's source address (e.g. 127.0.0.2, a loopback address no test server trusts).
    const local = options.localAddress !== undefined ? { localAddress: options.localAddress } : {};
    // Bounded: a server whose smtpd cannot start (master throttles it) accepts the connection and never answers.
    const bounded = <S extends Socket>(s: S, resolve: (s: S) => void, reject: (e: Error) => void): void => {
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no ${options.implicitTls ? 'TLS handshake' : 'connection'} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.once(options.implicitTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
    };
    const socket = options.implicitTls
      ? await new Promise<TLSSocket>((resolve, reject) => bounded(tlsConnect({ host: HOST, port, servername: undefined, ...local, ...options.implicitTls }), resolve, reject))
      : await new Promise<Socket>((resolve, reject) => bounded(netConnect({ host: HOST, port, ...local }), resolve, reject));
    const session = new SmtpSession(socket, timeoutMs);
    session.banner = await session.read();
    return session;
  }

  public banner!: SmtpReply;
  /** Everything sent and received, for failure messages (AUTH payloads redacted). */
  public readonly transcript: string[] = [];
  private socket: Socket;
  private buffer = '';
  private waiting?: { resolve: () => void };
  private closedFlag = false;
  private error?: Error;
  /** Resolves when the server closed the connection. */
  public closed: Promise<void>;
  private resolveClosed!: () => void;

  private constructor(socket: Socket, private readonly timeoutMs: number) {
    this.socket = socket;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.attach(socket);
  }

  /** The TLS socket once TLS is active. */
  public get tls(): TLSSocket | undefined {
    return this.socket instanceof TLSSocket ? this.socket : undefined;
  }

  public get isClosed(): boolean {
    return this.closedFlag;
  }

  private attach(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
    socket.on('close', () => {
      if (socket !== this.socket) return;
      this.closedFlag = true;
      this.resolveClosed();
      this.wake();
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve();
  }

  /** Reads one (possibly multi-line) reply. */
  public async read(): Promise<SmtpReply> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const reply = this.takeReply();
      if (reply) {
        this.transcript.push(...reply.lines.map((l) => `S: ${reply.code}${l === '' ? '' : ` ${l}`}`));
        return reply;
      }
      if (this.error) throw new ConnectionClosed(`connection error: ${this.error.message}\n${this.dump()}`);
      if (this.closedFlag) throw new ConnectionClosed(`server closed the connection\n${this.dump()}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no SMTP reply within ${this.timeoutMs} ms\n${this.dump()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiting = {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    }
  }

  private takeReply(): SmtpReply | undefined {
    const lines: string[] = [];
    let offset = 0;
    for (;;) {
      const end = this.buffer.indexOf('\n', offset);
      if (end < 0) return undefined;
      const line = this.buffer.slice(offset, end).replace(/\r$/, '');
      offset = end + 1;
      const match = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!match) throw new Error(`malformed SMTP reply line ${JSON.stringify(line)}\n${this.dump()}`);
      lines.push(match[3]);
      if (match[2] === ' ') {
        this.buffer = this.buffer.slice(offset);
        return { code: Number(match[1]), lines, text: lines.join('\n') };
      }
    }
  }

  /** Sends a line without waiting. */
  public write(line: string): void {
    this.transcript.push(`C: ${/^AUTH /i.test(line) ? 'AUTH [redacted]' : line}`);
    this.socket.write(`${line}\r\n`);
  }

  /** Sends a command and reads its reply. */
  public async command(line: string): Promise<SmtpReply> {
    this.write(line);
    return this.read();
  }

  /** EHLO; returns the reply and the extension keywords (upper case, first word of each line after the greeting). */
  public async ehlo(name = 'client.test'): Promise<{ reply: SmtpReply; extensions: string[] }> {
    const reply = await this.command(`EHLO ${name}`);
    if (reply.code !== 250) throw new Error(`EHLO refused: ${reply.code} ${reply.text}\n${this.dump()}`);
    return { reply, extensions: reply.lines.slice(1).map((l) => l.split(' ')[0].toUpperCase()) };
  }

  /** The AUTH mechanisms offered in an EHLO reply, or undefined when AUTH is not offered. */
  public static authMechanisms(ehloReply: SmtpReply): string[] | undefined {
    const line = ehloReply.lines.slice(1).find((l) => /^AUTH[ =]/i.test(l));
    return line?.slice(5).trim().split(/\s+/);
  }

  /**
   * STARTTLS, then the TLS handshake on the same socket. Resolves with the TLS socket; rejects when the
   * server refuses STARTTLS or the handshake fails.
   */
  public async startTls(options: ConnectionOptions = {}): Promise<TLSSocket> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) throw new Error(`STARTTLS refused: ${reply.code} ${reply.text}`);
    if (this.buffer !== '') throw new Error('server sent data after 220 to STARTTLS');
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const timer = setTimeout(() => {
        plain.destroy();
        reject(new Error(`no TLS handshake within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const s = tlsConnect({ socket: plain, rejectUnauthorized: false, ...options }, () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    this.socket = secure;
    this.attach(secure);
    return secure;
  }

  /** MAIL FROM, RCPT TO for each recipient, DATA; returns every reply (stops at the first refusal). */
  public async sendMail(from: string, recipients: readonly string[], message: string): Promise<SmtpReply[]> {
    const replies: SmtpReply[] = [];
    const mail = await this.command(`MAIL FROM:<${from}>`);
    replies.push(mail);
    if (mail.code !== 250) return replies;
    for (const rcpt of recipients) {
      const reply = await this.command(`RCPT TO:<${rcpt}>`);
      replies.push(reply);
      if (reply.code !== 250) return replies;
    }
    const data = await this.command('DATA');
    replies.push(data);
    if (data.code !== 354) return replies;
    const body = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(`${body}\r\n.\r\n`);
    this.transcript.push('C: <message>', 'C: .');
    replies.push(await this.read());
    return replies;
  }

  /** QUIT (if still connected) and close. */
  public async quit(): Promise<void> {
    if (!this.closedFlag) {
      try {
        await this.command('QUIT');
      } catch {
        // already gone
      }
    }
    this.socket.destroy();
  }

  public destroy(): void {
    this.socket.destroy();
  }

  public dump(): string {
    return `--- SMTP transcript ---\n${this.transcript.join('\n')}`;
  }
}

/** One relay attempt: how the client connects and what it presents before MAIL and RCPT. */
export interface RelayAttempt {
  readonly port: number;
  /** An address at a domain the server is not the destination of. */
  readonly recipient: string;
  /** STARTTLS after the first EHLO; 'if-offered': only when the EHLO reply lists STARTTLS. */
  readonly startTls?: boolean | 'if-offered';
  /** TLS from the first byte (wrapper mode, 465); the options are used for that handshake. */
  readonly implicitTls?: boolean;
  /** TLS client options (client certificate, ciphers). */
  readonly tlsOptions?: ConnectionOptions;
  /** AUTH PLAIN with these credentials before MAIL (the answer is recorded; MAIL and RCPT follow either way). */
  readonly auth?: { readonly user: string; readonly password: string };
  /** Source address of the connection. */
  readonly localAddress?: string;
}

/** How far a relay attempt got and what answered it. */
export interface RelayOutcome {
  /** RCPT TO the outside recipient was answered 250. */
  readonly relayed: boolean;
  /** Step that gave the final answer: connect, banner, ehlo, tls, auth, mail, rcpt. */
  readonly step: string;
  readonly code: number;
  readonly text: string;
  /** Whether TLS was active when MAIL was sent. */
  readonly tls: boolean;
  /** The reply to AUTH, when attempted. */
  readonly authCode?: number;
}

/** EHLO, optional STARTTLS (+ client certificate), EHLO, optional AUTH, MAIL, RCPT to `recipient`; never DATA. */
export async function tryRelay(attempt: RelayAttempt): Promise<RelayOutcome> {
  const refused = (step: string, e: unknown, tls = false): RelayOutcome => ({ relayed: false, step, code: 0, text: (e as Error).message.split('\n')[0], tls });
  let session: SmtpSession;
  try {
    session = await SmtpSession.open(attempt.port, {
      localAddress: attempt.localAddress,
      ...(attempt.implicitTls ? { implicitTls: { rejectUnauthorized: false, ...attempt.tlsOptions } } : {}),
    });
  } catch (e) {
    return refused(attempt.implicitTls ? 'tls' : 'connect', e);
  }
  try {
    if (session.banner.code !== 220) return { relayed: false, step: 'banner', code: session.banner.code, text: session.banner.text, tls: session.tls !== undefined };
    let authCode: number | undefined;
    let offersStartTls = false;
    const steps: [string, () => Promise<SmtpReply>][] = [['ehlo', async () => {
      const reply = await session.command('EHLO client.test');
      offersStartTls = reply.lines.slice(1).some((l) => /^STARTTLS$/i.test(l.trim()));
      return reply;
    }]];
    if (attempt.startTls) {
      steps.push(
        ['tls', async () => {
          if (attempt.startTls === true || offersStartTls) await session.startTls(attempt.tlsOptions ?? {});
          return { code: 220, lines: [], text: 'TLS established' };
        }],
        ['ehlo', () => session.command('EHLO client.test')],
      );
    }
    if (attempt.auth) {
      const token = Buffer.from(`\0${attempt.auth.user}\0${attempt.auth.password}`).toString('base64');
      steps.push(['auth', async () => {
        const reply = await session.command(`AUTH PLAIN ${token}`);
        authCode = reply.code;
        // The answer to AUTH is recorded; the attempt goes on to MAIL and RCPT whatever it was.
        return { ...reply, code: 250 };
      }]);
    }
    steps.push(['mail', () => session.command('MAIL FROM:<sender@client.test>')], ['rcpt', () => session.command(`RCPT TO:<${attempt.recipient}>`)]);
    for (const [step, send] of steps) {
      let reply: SmtpReply;
      try {
        reply = await send();
      } catch (e) {
        // A TLS 1.3 server rejects a client certificate after the client already finished its handshake.
        return { ...refused(step, e, session.tls !== undefined), authCode };
      }
      if (step === 'rcpt' || reply.code !== (step === 'tls' ? 220 : 250)) {
        return { relayed: step === 'rcpt' && reply.code === 250, step, code: reply.code, text: reply.text, tls: session.tls !== undefined, authCode };
      }
    }
    throw new Error('unreachable');
  } finally {
    await session.quit();
  }
}

/** A short RFC 5322 message with a unique subject, to find it in a mailbox. */
export function testMessage(subject: string, from = 'sender@client.test', to = 'root@localhost'): string {
  return [`From: <${from}>`, `To: <${to}>`, `Subject: ${subject}`, `Date: ${new Date().toUTCString()}`, '', `Body of ${subject}.`].join('\n');
}

/** Result of one `openssl s_client` run. */
export interface SClientResult {
  readonly code: number;
  /** stdout + stderr. */
  readonly output: string;
  /**
   * Whether the TLS handshake completed: a cipher was negotiated and s_client exited 0 (a failed
   * certificate check under -verify_return_error, or an alert from the server, makes it exit 1).
   */
  readonly handshake: boolean;
  /** "Cipher is X" of the session, or undefined. */
  readonly cipher?: string;
  /** Negotiated protocol, e.g. TLSv1.3. */
  readonly protocol?: string;
  /** New or Reused. */
  readonly reused: boolean;
  /** The certificates the server sent (with -showcerts), leaf first. */
  readonly chain: X509Certificate[];
  /** Lines of SMTP replies the server sent after the handshake (e.g. "250 2.1.0 Ok"). */
  readonly smtpLines: string[];
}

export interface SClientOptions {
  /** Address to connect to (a loopback address). */
  readonly host?: string;
  /** Implicit TLS (port 465): no -starttls. */
  readonly implicitTls?: boolean;
  /** Extra s_client arguments. */
  readonly args?: readonly string[];
  /** Lines sent after the handshake (CRLF added); QUIT is appended. */
  readonly send?: readonly string[];
  readonly timeoutMs?: number;
}

/** Runs `openssl s_client -connect 127.0.0.1:PORT [-starttls smtp] -showcerts ...`, sends `send` then QUIT. */
export async function sClient(port: number, options: SClientOptions = {}): Promise<SClientResult> {
  const host = options.host ?? HOST;
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new Error(`sClient connects to loopback addresses only, not ${host}`);
  const args = [
    's_client',
    '-connect', `${host}:${port}`,
    ...(options.implicitTls ? [] : ['-starttls', 'smtp']),
    '-showcerts',
    '-ign_eof',
    ...(options.args ?? []),
  ];
  const input = [...(options.send ?? []), 'QUIT'].map((l) => `${l}\r\n`).join('');
  const result = await run('openssl', args, { input, timeoutMs: options.timeoutMs ?? 20_000 });
  const output = redact(result.stdout + result.stderr);
  const session = /^(New|Reused), (\S+), Cipher is (\S+)/m.exec(output);
  const cipher = session && session[3] !== '(NONE)' ? session[3] : undefined;
  const chain = (output.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
  return {
    code: result.code,
    output,
    handshake: cipher !== undefined && result.code === 0 && !/:SSL routines:/.test(output),
    cipher,
    protocol: session && session[2] !== '(NONE)' ? session[2] : undefined,
    reused: session?.[1] === 'Reused',
    chain,
    // s_client consumes the plaintext part of the dialogue itself; what it prints is the server's TLS-side output.
    smtpLines: result.stdout.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => /^\d{3}[ -]/.test(l)),
  };
}

/**
 * `openssl s_client -starttls smtp` of another OpenSSL (e.g. 3.5 from the trixie image), run in `image` on the
 * host network: `lines` are sent one at a time after the handshake (Postfix 3.10 refuses unauthenticated
 * pipelining), then QUIT; `mount` is a host directory readable at /pki (client keys). Returns stdout + stderr.
 */
export async function imageSClient(image: string, port: number, args: readonly string[], options: { lines?: readonly string[]; mount?: string } = {}): Promise<string> {
  const quoted = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const dialogue = [...(options.lines ?? []), 'QUIT'].map((l) => `sleep 0.5; printf '%s\\r\\n' ${quoted(l)}`).join('; ');
  const script = `(sleep 1; ${dialogue}; sleep 0.5) | openssl s_client -starttls smtp -connect ${HOST}:${port} -ign_eof ${args.map(quoted).join(' ')} 2>&1`;
  const mount = options.mount ? ['-v', `${options.mount}:/pki:ro`] : [];
  const result = await run('docker', ['run', '--rm', '--network', 'host', ...mount, '--entrypoint', 'sh', image, '-c', script], { timeoutMs: 60_000 });
  return redact(result.stdout + result.stderr);
}

/** Result of a swaks run. */
export interface SwaksResult {
  readonly code: number;
  /** The transcript, AUTH lines redacted. */
  readonly transcript: string;
  /** Server reply lines ("<~ 250 ..." / "<- 250 ..."), without the arrow. */
  readonly replies: string[];
}

/** Runs swaks against 127.0.0.1:PORT. `args` are swaks options (e.g. --tls, --auth PLAIN ...). */
export async function swaks(port: number, args: readonly string[], timeoutMs = 30_000): Promise<SwaksResult> {
  const result = await run('swaks', ['--server', HOST, '--port', String(port), '--helo', 'client.test', '--timeout', '15', ...args], { timeoutMs });
  const transcript = (result.stdout + result.stderr)
    .split('\n')
    .map((l) => (/^\s*[~-]> AUTH /.test(l) || /^\s*[~-]> [A-Za-z0-9+/=]{8,}$/.test(l) ? l.replace(/>.*/, '> [redacted]') : l))
    .join('\n');
  const replies = transcript
    .split('\n')
    .map((l) => /^\s*<[~-]\*?\s+(\d{3}[ -].*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined);
  return { code: result.code, transcript: redact(transcript), replies };
}

/** Polls `check` until it returns a value or the time is up. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
