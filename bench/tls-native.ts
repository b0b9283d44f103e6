/**
 * The load clients of the TLS benchmark behind one interface:
 * - native: bench/tls-load.c (threads + OpenSSL), compiled once into .cache/bench/ when `cc` and the
 *   OpenSSL headers exist (Debian: gcc, libssl-dev). About half the CPU of Node's TLS client per session,
 *   so on a 2-core machine more of the CPU is left to the server being measured.
 * - node: bench/tls-client.ts (sequential) and bench/tls-worker.ts (worker threads), always available.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { sequentialBatch } from './tls-client';
import { LoadPool } from './tls-worker';

export type SessionMode = 'full' | 'resumed' | 'plain';

export interface ClientRun {
  readonly completed: number;
  readonly failed: number;
  /** Sessions that offered a ticket, and how many of those resumed. */
  readonly offered: number;
  readonly reused: number;
  readonly wallMs: number;
  /** The client's own CPU (user + system), microseconds. */
  readonly clientCpuUsec: number;
  readonly error?: string;
  /** Key exchange group of the first handshake, when the client reports it (native client). */
  readonly group?: string;
  /** OpenSSL the client ran with (native client). */
  readonly openssl?: string;
}

export interface LoadClient {
  readonly name: string;
  /** `sessions` sessions, `concurrency` at a time; nothing new starts after `deadlineMs`. */
  run(port: number, sessions: number, concurrency: number, mode: SessionMode, deadlineMs: number, groups?: string): Promise<ClientRun>;
  /** Releases what the client holds (worker threads). */
  close(): Promise<void>;
}

const SOURCE = join(__dirname, 'tls-load.c');
const CACHE = join(__dirname, '..', '.cache', 'bench');

/** Compiles the native client if needed; returns its path, or the reason it cannot be built. */
export function buildNativeClient(): { path: string } | { reason: string } {
  const source = readFileSync(SOURCE);
  const binary = join(CACHE, `tls-load-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return { path: binary };
  mkdirSync(CACHE, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-O2', '-o', partial, SOURCE, '-lssl', '-lcrypto', '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    renameSync(partial, binary);
    return { path: binary };
  } catch (e) {
    rmSync(partial, { force: true });
    const stderr = ((e as { stderr?: Buffer }).stderr ?? Buffer.from((e as Error).message)).toString().trim().split('\n')[0];
    return { reason: `cannot compile bench/tls-load.c (needs cc and OpenSSL headers, Debian: gcc libssl-dev): ${stderr}` };
  }
}

type NativeOutput = { completed: number; failed: number; offered: number; reused: number; wallUs: number; cpuUs: number; error: string; group?: string; openssl?: string };

function runNative(command: string, args: string[], deadlineMs: number): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: deadlineMs + 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`tls-load failed: ${error.message} ${stderr}`));
      const r = JSON.parse(stdout) as NativeOutput;
      resolve({ completed: r.completed, failed: r.failed, offered: r.offered, reused: r.reused, wallMs: r.wallUs / 1000, clientCpuUsec: r.cpuUs, error: r.error || undefined, group: r.group || undefined, openssl: r.openssl });
    });
  });
}

/** The native client on the host's OpenSSL (Debian 12: 3.0, no ML-KEM). */
export function nativeClient(path: string): LoadClient {
  return {
    name: 'native (bench/tls-load.c, host OpenSSL, threads)',
    run: (port, sessions, concurrency, mode, deadlineMs, groups) =>
      runNative('env', [...(groups ? [`TLS_LOAD_GROUPS=${groups}`] : []), path, String(port), String(sessions), String(concurrency), mode, String(deadlineMs)], deadlineMs),
    close: async () => undefined,
  };
}

/**
 * The same native binary run in `image` (postfix-tls-cdktf:trixie: OpenSSL 3.5, so it offers X25519MLKEM768)
 * on the host network: one long-lived container (`sleep`), each run a `docker exec`. The binary is built
 * on the host against OpenSSL 3.0's headers; libssl.so.3 of 3.5 keeps that ABI. Its CPU is its own rusage,
 * outside every server's cgroup.
 */
export async function containerNativeClient(path: string, image: string, name: string): Promise<LoadClient> {
  execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  execFileSync('docker', ['run', '-d', '--rm', '--name', name, '--network', 'host', '-v', `${dirname(path)}:/bench:ro`, '--entrypoint', 'sleep', image, 'infinity'], { stdio: 'ignore' });
  const binary = `/bench/${basename(path)}`;
  const client: LoadClient = {
    name: `native (bench/tls-load.c, threads) in ${image}, host network`,
    run: (port, sessions, concurrency, mode, deadlineMs, groups) =>
      runNative('docker', ['exec', ...(groups ? ['-e', `TLS_LOAD_GROUPS=${groups}`] : []), name, binary, String(port), String(sessions), String(concurrency), mode, String(deadlineMs)], deadlineMs),
    close: async () => {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    },
  };
  return client;
}

/** Node's client; its worker threads start with the first concurrent run and stay until close(). */
export function nodeClient(workers: number): LoadClient {
  let pool: Promise<LoadPool> | undefined;
  return {
    name: `node (tls module, ${workers} worker threads for concurrent load)`,
    run: async (port, sessions, concurrency, mode, deadlineMs) => {
      if (concurrency <= 1) {
        const b = await sequentialBatch(port, sessions, mode);
        return {
          completed: b.sessions - b.failed,
          failed: b.failed,
          offered: mode === 'resumed' ? b.sessions - 1 : 0,
          reused: b.reused,
          wallMs: b.wallMs,
          clientCpuUsec: b.clientCpuUsec,
          error: b.errors[0],
        };
      }
      if (mode === 'plain') throw new Error('the Node load client runs plain sessions only sequentially');
      pool ??= LoadPool.start(workers);
      const r = await (await pool).run({ port, sessions, concurrency, resume: mode === 'resumed', deadlineMs });
      return { completed: r.completed, failed: r.failed, offered: r.offered, reused: r.reused, wallMs: r.wallMs, clientCpuUsec: r.clientCpuUsec, error: r.errors[0] };
    },
    close: async () => {
      if (pool) await (await pool).close();
    },
  };
}
