/**
 * A stand-in for Dovecot's auth service, for live tests of `SaslBackend.dovecot(...)` servers: the shipped image
 * runs no Dovecot, and without an auth service every submission smtpd dies at its first EHLO
 * ("fatal: no SASL authentication mechanisms"). Postfix reaches this one over TCP (`smtpd_sasl_path =
 * inet:127.0.0.1:PORT`; the test containers share the host's network), on loopback only.
 *
 * It speaks the server side of the Dovecot authentication protocol 1.x as Postfix's client uses it (written from
 * the protocol description, doc.dovecot.org "Authentication Protocol"): on connect it sends VERSION, the
 * mechanisms (PLAIN and LOGIN, both plaintext), SPID, CUID, COOKIE and DONE; the client sends VERSION and CPID,
 * then one `AUTH <id> <mechanism> ...` per attempt, continued with `CONT <id> <base64>`. Credentials in `users`
 * succeed (`OK <id> user=<name>`); everything else fails (`FAIL <id> user=<name>`). Every attempt is counted,
 * so a test can prove that an AUTH really reached the auth service rather than a dead smtpd.
 */
import { createServer, Server, Socket } from 'node:net';

export interface AuthAttempt {
  readonly mechanism: string;
  readonly user: string;
  readonly granted: boolean;
}

interface Pending {
  readonly mechanism: string;
  user?: string;
}

export class DovecotAuthStub {
  /** Listens on 127.0.0.1:`port`; `users` maps login to password. */
  public static async start(port: number, users: Readonly<Record<string, string>> = {}): Promise<DovecotAuthStub> {
    const stub = new DovecotAuthStub(port, users);
    await new Promise<void>((resolve, reject) => {
      stub.server.once('error', reject);
      stub.server.listen(port, '127.0.0.1', () => {
        stub.server.off('error', reject);
        resolve();
      });
    });
    return stub;
  }

  /** Every AUTH that reached a verdict, in order. */
  public readonly attempts: AuthAttempt[] = [];
  /** Connections from Postfix (one per smtpd process that needed the mechanism list). */
  public connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    public readonly port: number,
    private readonly users: Readonly<Record<string, string>>,
  ) {
    this.server = createServer((socket) => this.serve(socket));
  }

  /** The `SaslBackend.dovecot(...)` path that reaches this stub. */
  public get saslPath(): string {
    return `inet:127.0.0.1:${this.port}`;
  }

  public async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    socket.write(['VERSION\t1\t2', 'MECH\tPLAIN\tplaintext', 'MECH\tLOGIN\tplaintext', `SPID\t${process.pid}`, `CUID\t${this.connections}`, `COOKIE\t${'0'.repeat(32)}`, 'DONE', ''].join('\n'));
    /** Exchanges in progress, per request id: the mechanism, and for LOGIN the user name once it has been sent. */
    const login = new Map<string, Pending>();
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const reply = this.answer(line.split('\t'), login);
        if (reply !== undefined) socket.write(`${reply}\n`);
      }
    });
  }

  private verdict(id: string, mechanism: string, user: string, password: string): string {
    const granted = Object.prototype.hasOwnProperty.call(this.users, user) && this.users[user] === password;
    this.attempts.push({ mechanism, user, granted });
    // Tab and line break would end the field or the line; a user name with them cannot be granted anyway.
    const shown = user.replace(/[\t\n\r]/g, '?');
    return `${granted ? 'OK' : 'FAIL'}\t${id}\tuser=${shown}`;
  }

  private answer(fields: string[], login: Map<string, Pending>): string | undefined {
    const [command, id, ...rest] = fields;
    const decode = (value: string): string => Buffer.from(value, 'base64').toString('utf8');
    if (command === 'AUTH' && id !== undefined) {
      const mechanism = (rest[0] ?? '').toUpperCase();
      const response = rest.find((f) => f.startsWith('resp='))?.slice('resp='.length);
      if (mechanism === 'PLAIN') {
        if (response === undefined) {
          login.set(id, { mechanism });
          return `CONT\t${id}\t`;
        }
        const [, user = '', password = ''] = decode(response).split('\0');
        return this.verdict(id, mechanism, user, password);
      }
      if (mechanism === 'LOGIN') {
        login.set(id, response === undefined ? { mechanism } : { mechanism, user: decode(response) });
        return `CONT\t${id}\t${Buffer.from(response === undefined ? 'Username:' : 'Password:').toString('base64')}`;
      }
      return `FAIL\t${id}\treason=unsupported mechanism`;
    }
    if (command === 'CONT' && id !== undefined && login.has(id)) {
      const state = login.get(id)!;
      const value = decode(rest[0] ?? '');
      if (state.mechanism === 'PLAIN') {
        // PLAIN sent without an initial response: this is the whole authzid\0user\0password message.
        login.delete(id);
        const [, user = '', password = ''] = value.split('\0');
        return this.verdict(id, 'PLAIN', user, password);
      }
      if (state.user === undefined) {
        state.user = value;
        return `CONT\t${id}\t${Buffer.from('Password:').toString('base64')}`;
      }
      login.delete(id);
      return this.verdict(id, 'LOGIN', state.user, value);
    }
    // VERSION and CPID from the client need no answer.
    return undefined;
  }
}
