/**
 * Concurrent STARTTLS load from worker threads (the Node fallback of the TLS benchmark), so the client's
 * TLS work spreads over every core instead of queueing on one event loop. `LoadPool.start` starts W
 * workers and waits until all are ready (TypeScript loading is not timed); each `run` gives every worker
 * its share of a fixed number of sessions with a fixed number of concurrent connections. Bounded: a
 * fixed count, every session has its own timeout, and nothing new starts after `deadlineMs`.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { starttlsSession } from './tls-client';

export interface LoadOptions {
  readonly port: number;
  readonly sessions: number;
  readonly concurrency: number;
  /** Each connection loop resumes the ticket of its previous session. */
  readonly resume: boolean;
  readonly workers: number;
  /** Hard stop for the whole run. */
  readonly deadlineMs: number;
}

export interface LoadResult {
  readonly sessions: number;
  readonly completed: number;
  readonly failed: number;
  /** Sessions that offered a ticket, and how many of those resumed. */
  readonly offered: number;
  readonly reused: number;
  readonly wallMs: number;
  /** CPU of the client process (all worker threads) during the timed part, microseconds. */
  readonly clientCpuUsec: number;
  readonly errors: readonly string[];
}

interface WorkerTask {
  readonly port: number;
  readonly sessions: number;
  readonly concurrency: number;
  readonly resume: boolean;
  readonly deadline: number;
}

interface WorkerReport {
  readonly completed: number;
  readonly failed: number;
  readonly offered: number;
  readonly reused: number;
  readonly errors: string[];
}

async function runTask(task: WorkerTask): Promise<WorkerReport> {
  let next = 0;
  const report = { completed: 0, failed: 0, offered: 0, reused: 0, errors: [] as string[] };
  const loop = async (): Promise<void> => {
    let ticket: Buffer | undefined;
    while (next < task.sessions && Date.now() < task.deadline) {
      next++;
      const offered = task.resume ? ticket : undefined;
      const r = await starttlsSession({ port: task.port, session: offered, timeoutMs: Math.max(1000, Math.min(15_000, task.deadline - Date.now())) });
      if (!r.ok) {
        report.failed++;
        if (report.errors.length < 5) report.errors.push(r.error ?? 'unknown');
        continue;
      }
      report.completed++;
      if (offered) {
        report.offered++;
        if (r.reused) report.reused++;
      }
      if (r.session) ticket = r.session;
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, loop));
  return report;
}

if (!isMainThread && parentPort && (workerData as { role?: string } | undefined)?.role === 'tls-load') {
  const port = parentPort;
  port.postMessage({ type: 'ready' });
  port.on('message', (task: WorkerTask) => {
    runTask(task).then(
      (report) => port.postMessage({ type: 'done', report }),
      (e: Error) => port.postMessage({ type: 'done', report: { completed: 0, failed: task.sessions, offered: 0, reused: 0, errors: [e.message] } }),
    );
  });
}

/** Worker threads started once (TypeScript loading is not timed) and reused for every run. */
export class LoadPool {
  /** Starts `count` workers and waits until all are ready. */
  public static async start(count: number): Promise<LoadPool> {
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(__filename, {
        workerData: { role: 'tls-load' },
        // The parent may run under ts-node or @swc/jest: load this TypeScript file the same way.
        execArgv: ['-r', require.resolve('ts-node/register/transpile-only')],
        env: { ...process.env, TS_NODE_SWC: 'true', TS_NODE_TRANSPILE_ONLY: 'true' },
      });
      workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', (m: { type: string }) => (m.type === 'ready' ? resolve() : reject(new Error(`unexpected ${m.type}`))));
          worker.once('error', reject);
        }),
      );
    }
    const pool = new LoadPool(workers);
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private constructor(private readonly workers: Worker[]) {}

  /** One run over all workers; resolves when every worker finished (or the deadline passed). */
  public async run(options: Omit<LoadOptions, 'workers'>): Promise<LoadResult> {
    const n = this.workers.length;
    const deadline = Date.now() + options.deadlineMs;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const reports = await Promise.all(
      this.workers.map((worker, i) => {
        const share = Math.floor(options.sessions / n) + (i < options.sessions % n ? 1 : 0);
        const concurrency = Math.floor(options.concurrency / n) + (i < options.concurrency % n ? 1 : 0);
        return new Promise<WorkerReport>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`load worker ${i} did not finish within ${options.deadlineMs + 20_000} ms`)), options.deadlineMs + 20_000);
          worker.once('message', (m: { type: string; report: WorkerReport }) => {
            clearTimeout(timer);
            resolve(m.report);
          });
          worker.postMessage({ port: options.port, sessions: share, concurrency: Math.max(1, concurrency), resume: options.resume, deadline } satisfies WorkerTask);
        });
      }),
    );
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      sessions: options.sessions,
      completed: reports.reduce((s, r) => s + r.completed, 0),
      failed: reports.reduce((s, r) => s + r.failed, 0),
      offered: reports.reduce((s, r) => s + r.offered, 0),
      reused: reports.reduce((s, r) => s + r.reused, 0),
      wallMs,
      clientCpuUsec: cpu.user + cpu.system,
      errors: reports.flatMap((r) => r.errors).slice(0, 5),
    };
  }

  public async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
