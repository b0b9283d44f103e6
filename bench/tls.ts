/**
 * TLS on the deployed container: the library's default profile versus Debian's default Postfix TLS
 * setup, on both releases (Postfix 3.7 / OpenSSL 3.0 on Debian 12, Postfix 3.10 / OpenSSL 3.5 on Debian
 * 13), side by side on this machine, each run by the integration harness from its synthesized
 * cdk.tf.json (host networking, 127.0.0.1:31xxx, no outbound delivery; everything is removed at the end,
 * also on failure or Ctrl-C). One load client for every row: bench/tls-load.c run in the trixie image
 * (OpenSSL 3.5, so it offers X25519MLKEM768 and X25519 key shares), host network; the PQ/X25519 pair is
 * the same 3.10 server with postQuantumKeyExchange true (default) and false.
 *
 * Figures (medians over repeated runs, interleaved between servers so drift hits all of them alike):
 * - server CPU per session, from the container's cgroup CPU accounting read before and after a batch of
 *   N sequential sessions (connect, EHLO, STARTTLS, handshake, QUIT), for full handshakes, resumed ones
 *   (each session offers the ticket of the previous one), and without STARTTLS (the floor);
 * - the fraction of reconnections that resume;
 * - sessions per second from a concurrent client (bench/tls-load.c threads when it compiles, else Node
 *   worker threads; fixed count, fixed concurrency), with the client's own CPU share, the server's, and
 *   that of anything else on the machine, so it can be seen what bounds the figure;
 * - time from `docker start` to the first successful STARTTLS handshake;
 * - where the server's CPU goes: by process inside the container, and the Docker engine's own CPU per
 *   session (outside the cgroup: carrying the container's stdout log lines).
 * Knobs (environment): BENCH_TLS=0, BENCH_TLS_ROUNDS, BENCH_TLS_BATCH, BENCH_TLS_LOAD_ROUNDS,
 * BENCH_TLS_LOAD_SESSIONS, BENCH_TLS_CONCURRENCY, BENCH_TLS_WORKERS, BENCH_TLS_STARTUP_RUNS,
 * BENCH_TLS_VARIANTS=0 (headline servers and the PQ/X25519 pair only), BENCH_TLS_CLIENT=host (the native
 * client on the host's OpenSSL) or node, BENCH_TLS_HOLD=1 (keep the containers up for profiling until Ctrl-C).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerStatus, TRIXIE_TEST_IMAGE } from '../test/integration/docker-available';
import { DockerHarness } from '../test/integration/harness';
import { median, printTable } from './stats';
import { PostfixVersion } from '../index';
import { BASELINE, BASELINE_310, BASELINES, BENCH_IMAGES, BENCH_PREFIX, benchCertificates, BenchVariant, LIBRARY, LIBRARY_310, LIBRARY_310_X25519, LIBRARY_VARIANTS, synthBaselineStack, synthLibraryStack } from './tls-apps';
import { breakdownDelta, containerCpu, ContainerCpu, engineCpuUsec, systemCpu, waitForQuiet } from './tls-cgroup';
import { sequentialBatch, starttlsSession } from './tls-client';
import { buildNativeClient, ClientRun, containerNativeClient, LoadClient, nativeClient, nodeClient, SessionMode } from './tls-native';

export interface TlsBenchOptions {
  /** Rounds of sequential batches (CPU per session). */
  readonly rounds: number;
  /** Sessions per sequential batch. */
  readonly batch: number;
  /** Rounds of the concurrent load. */
  readonly loadRounds: number;
  readonly loadSessions: number;
  readonly concurrency: number;
  readonly workers: number;
  readonly startupRuns: number;
  /** Keep everything running after the measurements until Ctrl-C (BENCH_TLS_HOLD=1), for profiling. */
  readonly hold: boolean;
  /** Also measure the non-headline variants (CPU per session only). */
  readonly variants: boolean;
  /**
   * 'auto': the native client run in the trixie image (OpenSSL 3.5: offers X25519MLKEM768) when it builds,
   * else Node; 'host': the native client on the host's OpenSSL; 'node': always Node.
   */
  readonly client: 'auto' | 'host' | 'node';
}

export function tlsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsBenchOptions {
  const n = (name: string, fallback: number): number => (env[name] ? Number(env[name]) : fallback);
  return {
    rounds: n('BENCH_TLS_ROUNDS', 7),
    batch: n('BENCH_TLS_BATCH', 200),
    loadRounds: n('BENCH_TLS_LOAD_ROUNDS', 3),
    loadSessions: n('BENCH_TLS_LOAD_SESSIONS', 1500),
    concurrency: n('BENCH_TLS_CONCURRENCY', 16),
    workers: n('BENCH_TLS_WORKERS', Math.max(1, Math.min(4, cpus().length))),
    startupRuns: n('BENCH_TLS_STARTUP_RUNS', 3),
    variants: env.BENCH_TLS_VARIANTS !== '0',
    hold: env.BENCH_TLS_HOLD === '1',
    client: env.BENCH_TLS_CLIENT === 'node' ? 'node' : env.BENCH_TLS_CLIENT === 'host' ? 'host' : 'auto',
  };
}

/** Figures of one server. */
export interface TlsServerFigures {
  readonly id: string;
  readonly description: string;
  readonly port: number;
  /** Key type of the certificate a Node client got ('ec' / 'rsa'), and the protocol. */
  readonly certificateKey: string;
  readonly protocol: string;
  /** Postfix release of the server, and the key exchange group the load client negotiated. */
  readonly postfixVersion: string;
  readonly group: string;
  /** Median server CPU per session in microseconds. */
  readonly cpuFullUsec: number;
  readonly cpuResumedUsec: number;
  readonly cpuPlainUsec?: number;
  /** Every batch's figure, for the spread. */
  readonly cpuPlainSamples: readonly number[];
  readonly cpuFullSamples: readonly number[];
  readonly cpuResumedSamples: readonly number[];
  /** Reconnections that resumed / reconnections that offered a ticket (sequential batches). */
  readonly resumedFraction: number;
  /** Median wall time of one sequential session (client view), ms. */
  readonly latencyFullMs: number;
  readonly latencyResumedMs: number;
  /** Client CPU per sequential session, microseconds (to show the client is cheaper than the server). */
  readonly clientCpuFullUsec: number;
  /** Median share of all cores other work used during the sequential batches. */
  readonly foreignCpuShare: number;
  /** Median Docker engine CPU per TLS session (µs): outside the container, machine-wide, mostly log transport. */
  readonly engineCpuUsec: number;
  /** Server CPU per full session by process command, microseconds (sum over all rounds / sessions). */
  readonly breakdownFullUsec: Record<string, number>;
  readonly breakdownResumedUsec: Record<string, number>;
  readonly breakdownPlainUsec: Record<string, number>;
  readonly throughput?: ThroughputFigures;
  readonly startupMs?: number;
  readonly startupSamplesMs?: readonly number[];
}

export interface ThroughputFigures {
  readonly concurrency: number;
  readonly sessionsPerRound: number;
  readonly fullPerSecond: number;
  readonly resumedPerSecond: number;
  /** Resumed / offered under concurrent load. */
  readonly resumedFraction: number;
  readonly failed: number;
  /** Client CPU / (wall x cores) while loading with full handshakes. */
  readonly clientCpuShareFull: number;
  /** Server CPU / (wall x cores) in the same runs. */
  readonly serverCpuShareFull: number;
  readonly serverCpuPerSessionUnderLoadUsec: number;
  /** CPU of other work on the machine during the same runs. */
  readonly foreignCpuShareFull: number;
  /** What all cores could serve if the client cost nothing: cores / server CPU per session under load. */
  readonly serverBoundFullPerSecond: number;
  readonly errors: readonly string[];
}

interface LoadSamples {
  readonly full: number[];
  readonly resumed: number[];
  offered: number;
  reused: number;
  failed: number;
  readonly clientShare: number[];
  readonly serverShare: number[];
  readonly foreignShare: number[];
  readonly serverPerSession: number[];
  readonly errors: string[];
}

export interface TlsBenchReport {
  readonly generatedAt: string;
  readonly options: TlsBenchOptions;
  readonly cpuAccounting: string;
  readonly client: string;
  readonly cores: number;
  readonly servers: readonly TlsServerFigures[];
  readonly ratios: Record<string, number>;
}

export type TlsBenchOutcome = { readonly skipped: string } | TlsBenchReport;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function toRecord(map: Map<string, number>, divisor: number): Record<string, number> {
  // Exited smtpd processes are reaped by master: show them with smtpd.
  const merged = new Map<string, number>();
  for (const [k, v] of map) {
    const key = k === '(exited children)' ? 'smtpd' : k;
    merged.set(key, (merged.get(key) ?? 0) + v);
  }
  return Object.fromEntries([...merged].filter(([, v]) => v !== 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v / divisor)]));
}

interface Live {
  readonly variant: BenchVariant;
  readonly cpu: ContainerCpu;
  certificateKey: string;
  protocol: string;
  readonly full: number[];
  readonly resumed: number[];
  readonly plain: number[];
  readonly latencyFull: number[];
  readonly latencyResumed: number[];
  readonly clientFull: number[];
  offered: number;
  reused: number;
  breakdownFull: Map<string, number>;
  breakdownResumed: Map<string, number>;
  breakdownPlain: Map<string, number>;
  fullSessions: number;
  resumedSessions: number;
  plainSessions: number;
  group: string;
  /** Foreign CPU share during each sequential batch. */
  readonly foreign: number[];
  /** Docker engine CPU per session during each TLS batch (µs). */
  readonly engine: number[];
}

function addInto(target: Map<string, number>, delta: Map<string, number>): void {
  for (const [k, v] of delta) target.set(k, (target.get(k) ?? 0) + v);
}

/** A timed client run with the server's CPU (cgroup) and the rest of the machine's CPU around it. */
interface TimedRun extends ClientRun {
  readonly serverCpuUsec: number;
  /** Docker engine processes meanwhile (log transport etc.), microseconds; machine-wide. */
  readonly engineCpuUsec: number;
  /** CPU the rest of the machine used meanwhile (neither this client nor this server), share of all cores. */
  readonly foreignShare: number;
}

async function timedRun(client: LoadClient, live: Live, sessions: number, concurrency: number, mode: SessionMode): Promise<TimedRun> {
  const s0 = systemCpu();
  const e0 = engineCpuUsec();
  const u0 = live.cpu.usageUsec();
  const r = await client.run(live.variant.port, sessions, concurrency, mode, 120_000);
  if (r.group && mode === 'full' && live.group === '?') live.group = r.group;
  const u1 = live.cpu.usageUsec();
  const e1 = engineCpuUsec();
  const s1 = systemCpu();
  const serverCpuUsec = u1 - u0;
  const engine = e1 - e0;
  const foreign = s1.busyUsec - s0.busyUsec - serverCpuUsec - r.clientCpuUsec - engine;
  return { ...r, serverCpuUsec, engineCpuUsec: engine, foreignShare: Math.max(0, foreign) / Math.max(1, s1.totalUsec - s0.totalUsec) };
}

/** One sequential batch: server CPU per session from the cgroup, plus the per-process split. */
async function measureBatch(client: LoadClient, live: Live, mode: SessionMode, count: number): Promise<void> {
  // cgroup CPU time is robust to other work; still avoid starting in the middle of a burst.
  await waitForQuiet(0.5, 2000);
  const b0 = live.cpu.processBreakdown();
  const run = await timedRun(client, live, count, 1, mode);
  const b1 = live.cpu.processBreakdown();
  if (run.failed > 0) throw new Error(`${live.variant.id}: ${run.failed}/${count} ${mode} sessions failed: ${run.error ?? ''}`);
  const perSession = run.serverCpuUsec / count;
  live.foreign.push(run.foreignShare);
  if (mode !== 'plain') live.engine.push(run.engineCpuUsec / count);
  if (mode === 'full') {
    live.full.push(perSession);
    live.latencyFull.push(run.wallMs / count);
    live.clientFull.push(run.clientCpuUsec / count);
    addInto(live.breakdownFull, breakdownDelta(b0, b1));
    live.fullSessions += count;
  } else if (mode === 'resumed') {
    live.resumed.push(perSession);
    live.latencyResumed.push(run.wallMs / count);
    live.offered += run.offered;
    live.reused += run.reused;
    addInto(live.breakdownResumed, breakdownDelta(b0, b1));
    live.resumedSessions += count;
  } else {
    live.plain.push(perSession);
    addInto(live.breakdownPlain, breakdownDelta(b0, b1));
    live.plainSessions += count;
  }
}

/** `docker stop` + `docker start`, then STARTTLS every 20 ms until one succeeds; ms from start. */
async function startupMs(container: string, port: number): Promise<number> {
  execFileSync('docker', ['stop', '-t', '10', container], { stdio: 'ignore' });
  const t0 = performance.now();
  execFileSync('docker', ['start', container], { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await starttlsSession({ port, timeoutMs: 2000 });
    if (r.ok) return performance.now() - t0;
    if (Date.now() > deadline) throw new Error(`${container}: no STARTTLS within 60 s of docker start (${r.error})`);
    await sleep(20);
  }
}

/** Runs the TLS benchmark; `{ skipped }` when no Docker engine or image is there. */
export async function benchTls(options: TlsBenchOptions, log: (line: string) => void = console.log): Promise<TlsBenchOutcome> {
  let status;
  try {
    status = dockerStatus();
  } catch (e) {
    return { skipped: (e as Error).message };
  }
  if (!status.available) return { skipped: status.reason ?? 'Docker is not available' };
  // Both releases or none: the comparison is the point.
  let trixie;
  try {
    trixie = dockerStatus(TRIXIE_TEST_IMAGE);
  } catch (e) {
    return { skipped: (e as Error).message };
  }
  if (!trixie.available) return { skipped: trixie.reason ?? `${TRIXIE_TEST_IMAGE.name} is not available` };

  // The PQ/X25519 pair is part of every run; the other variants only with BENCH_TLS_VARIANTS unset.
  const variants = options.variants ? LIBRARY_VARIANTS : LIBRARY_VARIANTS.filter((v) => v.headline || v === LIBRARY_310_X25519);
  const all = [...variants, ...BASELINES];
  const work = mkdtempSync(join(tmpdir(), 'bench-tls-'));
  const harnesses: DockerHarness[] = [];
  let client: LoadClient | undefined;
  const cleanup = async (): Promise<void> => {
    await client?.close().catch(() => undefined);
    await Promise.all(harnesses.map((h) => h.destroy().catch((e: Error) => log(`cleanup: ${e.message}`))));
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const certs = await benchCertificates(work, all.map((v) => v.hostname));
    const library = DockerHarness.fromFile(synthLibraryStack(join(work, 'out-library'), certs, variants, PostfixVersion.V3_7));
    const library310 = DockerHarness.fromFile(synthLibraryStack(join(work, 'out-library-310'), certs, variants, PostfixVersion.V3_10));
    const baseline = DockerHarness.fromFile(synthBaselineStack(join(work, 'out-baseline'), certs, BASELINES));
    harnesses.push(library, library310, baseline);
    log(`starting ${all.length} containers (${all.map((v) => `${v.container} on 127.0.0.1:${v.port}`).join(', ')})`);
    await Promise.all([library.up(), library310.up(), baseline.up()]);

    const native = options.client === 'node' ? { reason: 'BENCH_TLS_CLIENT=node' } : buildNativeClient();
    if ('path' in native) {
      // One client for every row: in the trixie image (OpenSSL 3.5, offers X25519MLKEM768) unless told otherwise.
      client = options.client === 'host' ? nativeClient(native.path) : await containerNativeClient(native.path, BENCH_IMAGES[PostfixVersion.V3_10], `${BENCH_PREFIX}client`);
    } else {
      client = nodeClient(options.workers);
      log(`native load client unavailable: ${native.reason}; using the Node client (host OpenSSL, no ML-KEM), which costs about twice the CPU per session`);
    }
    log(`client: ${client.name}`);

    const lives: Live[] = all.map((variant) => ({
      variant,
      cpu: containerCpu(variant.container),
      certificateKey: '?',
      protocol: '?',
      full: [],
      resumed: [],
      plain: [],
      latencyFull: [],
      latencyResumed: [],
      clientFull: [],
      offered: 0,
      reused: 0,
      breakdownFull: new Map(),
      breakdownResumed: new Map(),
      breakdownPlain: new Map(),
      fullSessions: 0,
      resumedSessions: 0,
      plainSessions: 0,
      group: '?',
      foreign: [],
      engine: [],
    }));
    // Warm up every server (smtpd processes forked, tlsmgr seeded) and record what a Node client gets.
    for (const live of lives) {
      const warm = await sequentialBatch(live.variant.port, 10, 'full', undefined, true);
      if (warm.failed > 0) throw new Error(`${live.variant.id}: warm-up sessions failed: ${warm.errors.join('; ')}`);
      const resumed = await sequentialBatch(live.variant.port, 5, 'resumed', warm.lastSession);
      if (resumed.reused === 0) log(`  ${live.variant.id}: a Node client did not resume`);
      live.certificateKey = warm.certificateKeys.join('+') || '?';
      live.protocol = warm.protocols.join('+') || '?';
      // Concurrent warm-up: forks a few smtpd processes and (Node client) starts the worker threads untimed.
      const w = await client.run(live.variant.port, 40, 4, 'resumed', 30_000);
      if (w.failed > 0) throw new Error(`${live.variant.id}: warm-up sessions failed: ${w.error ?? ''}`);
    }

    log(`CPU per session: ${options.rounds} rounds x ${options.batch} sequential sessions per server and mode`);
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order so no server always runs first (or right after a noisy neighbour).
      const order = lives.map((_, i) => lives[(i + round) % lives.length]);
      for (const live of order) {
        const modes = live.variant.modes ?? (live.variant.headline ? ['full', 'resumed', 'plain'] : ['full', 'resumed']);
        for (const mode of modes) await measureBatch(client, live, mode, options.batch);
      }
      log(`  round ${round + 1}/${options.rounds} done`);
    }

    const headline = lives.filter((l) => l.variant.headline);
    const throughput = new Map<string, ThroughputFigures>();
    if (options.loadRounds > 0) {
      log(`throughput: ${options.loadRounds} rounds x ${options.loadSessions} sessions, ${options.concurrency} concurrent connections`);
      const samples = new Map<string, LoadSamples>();
      for (const live of headline) samples.set(live.variant.id, { full: [], resumed: [], offered: 0, reused: 0, failed: 0, clientShare: [], serverShare: [], foreignShare: [], serverPerSession: [], errors: [] });
      const cores = cpus().length;
      for (let round = 0; round < options.loadRounds; round++) {
        const order = headline.map((_, i) => headline[(i + round) % headline.length]);
        for (const live of order) {
          const s = samples.get(live.variant.id)!;
          for (const mode of ['full', 'resumed'] as const) {
            // Wall-clock figures suffer from other work on a shared machine: start when it is quiet.
            await waitForQuiet(0.15, 20_000);
            const r = await timedRun(client, live, options.loadSessions, options.concurrency, mode);
            (mode === 'full' ? s.full : s.resumed).push((r.completed / r.wallMs) * 1000);
            s.failed += r.failed;
            if (r.error) s.errors.push(r.error);
            if (mode === 'resumed') {
              s.offered += r.offered;
              s.reused += r.reused;
            } else {
              s.clientShare.push(r.clientCpuUsec / (r.wallMs * 1000 * cores));
              s.serverShare.push(r.serverCpuUsec / (r.wallMs * 1000 * cores));
              s.foreignShare.push(r.foreignShare);
              s.serverPerSession.push(r.serverCpuUsec / Math.max(1, r.completed));
            }
          }
        }
        log(`  round ${round + 1}/${options.loadRounds} done`);
      }
      for (const [id, s] of samples) {
        throughput.set(id, {
          concurrency: options.concurrency,
          sessionsPerRound: options.loadSessions,
          fullPerSecond: median(s.full),
          resumedPerSecond: median(s.resumed),
          resumedFraction: s.offered > 0 ? s.reused / s.offered : 0,
          failed: s.failed,
          clientCpuShareFull: median(s.clientShare),
          serverCpuShareFull: median(s.serverShare),
          serverCpuPerSessionUnderLoadUsec: median(s.serverPerSession),
          foreignCpuShareFull: median(s.foreignShare),
          serverBoundFullPerSecond: (cores * 1e6) / median(s.serverPerSession),
          errors: [...new Set(s.errors)].slice(0, 3),
        });
      }
    }

    const startup = new Map<string, number[]>();
    if (options.startupRuns > 0) {
      log(`startup: docker start -> first STARTTLS, ${options.startupRuns} runs per server`);
      for (let run = 0; run < options.startupRuns; run++) {
        for (const live of headline.filter((l) => [LIBRARY, BASELINE, LIBRARY_310, BASELINE_310].includes(l.variant))) {
          const list = startup.get(live.variant.id) ?? [];
          list.push(await startupMs(live.variant.container, live.variant.port));
          startup.set(live.variant.id, list);
        }
      }
    }

    const servers: TlsServerFigures[] = lives.map((l) => ({
      id: l.variant.id,
      description: l.variant.description,
      port: l.variant.port,
      certificateKey: l.certificateKey,
      protocol: l.protocol,
      postfixVersion: l.variant.version,
      group: l.group,
      cpuFullUsec: median(l.full),
      cpuResumedUsec: median(l.resumed),
      cpuPlainUsec: l.plain.length > 0 ? median(l.plain) : undefined,
      cpuFullSamples: l.full.map(Math.round),
      cpuPlainSamples: l.plain.map(Math.round),
      cpuResumedSamples: l.resumed.map(Math.round),
      resumedFraction: l.offered > 0 ? l.reused / l.offered : 0,
      latencyFullMs: median(l.latencyFull),
      latencyResumedMs: median(l.latencyResumed),
      clientCpuFullUsec: median(l.clientFull),
      foreignCpuShare: median(l.foreign),
      engineCpuUsec: median(l.engine),
      breakdownFullUsec: toRecord(l.breakdownFull, l.fullSessions),
      breakdownResumedUsec: toRecord(l.breakdownResumed, l.resumedSessions),
      breakdownPlainUsec: toRecord(l.breakdownPlain, Math.max(1, l.plainSessions)),
      throughput: throughput.get(l.variant.id),
      startupMs: startup.has(l.variant.id) ? median(startup.get(l.variant.id)!) : undefined,
      startupSamplesMs: startup.get(l.variant.id)?.map(Math.round),
    }));
    const ratios = reportRatios(servers);
    const report: TlsBenchReport = { generatedAt: new Date().toISOString(), options, cpuAccounting: lives[0].cpu.source, client: client.name, cores: cpus().length, servers, ratios };
    if (options.hold) {
      // BENCH_TLS_HOLD=1: keep the servers and the client container up for perf/strace; Ctrl-C removes them.
      printTlsReport(report);
      log(`\nholding: servers ${all.map((v) => `${v.container} 127.0.0.1:${v.port}`).join(', ')}; client container ${BENCH_PREFIX}client; Ctrl-C removes everything`);
      // A pending timer keeps Node's event loop alive (a bare unresolved promise would let the process exit).
      await new Promise<never>(() => setInterval(() => undefined, 60_000));
    }
    return report;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup();
  }
}

/** Ratios of two servers' figures: CPU (lower is better) and throughput, startup. */
function pairRatios(prefix: string, a: TlsServerFigures | undefined, b: TlsServerFigures | undefined): Record<string, number> {
  if (!a || !b) return {};
  const out: Record<string, number> = {};
  const put = (name: string, x: number | undefined, y: number | undefined): void => {
    if (x && y) out[`${prefix}: ${name}`] = x / y;
  };
  put('cpuFull', a.cpuFullUsec, b.cpuFullUsec);
  put('cpuResumed', a.cpuResumedUsec, b.cpuResumedUsec);
  put('cpuPlain', a.cpuPlainUsec, b.cpuPlainUsec);
  put('throughputFull', a.throughput?.fullPerSecond, b.throughput?.fullPerSecond);
  put('throughputResumed', a.throughput?.resumedPerSecond, b.throughput?.resumedPerSecond);
  put('startup', a.startupMs, b.startupMs);
  return out;
}

/** The comparisons issue 11 asks for: 3.10/3.7, library/Debian default per release, PQ/X25519. */
function reportRatios(servers: readonly TlsServerFigures[]): Record<string, number> {
  const by = (id: string): TlsServerFigures | undefined => servers.find((s) => s.id === id);
  return {
    ...pairRatios('library/debian@3.7', by(LIBRARY.id), by(BASELINE.id)),
    ...pairRatios('library/debian@3.10', by(LIBRARY_310.id), by(BASELINE_310.id)),
    ...pairRatios('3.10/3.7@library', by(LIBRARY_310.id), by(LIBRARY.id)),
    ...pairRatios('3.10/3.7@debian', by(BASELINE_310.id), by(BASELINE.id)),
    ...pairRatios('pq/x25519@3.10', by(LIBRARY_310.id), by(LIBRARY_310_X25519.id)),
  };
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));
const pct = (n: number | undefined): string => (n === undefined ? '-' : `${(n * 100).toFixed(0)}%`);

/** Prints the tables of a report. */
export function printTlsReport(report: TlsBenchReport): void {
  // Each server against Debian's default on its own release.
  const baseOf = (s: TlsServerFigures): TlsServerFigures =>
    report.servers.find((b) => b.id === (s.postfixVersion === PostfixVersion.V3_10 ? BASELINE_310.id : BASELINE.id)) ?? report.servers.find((b) => b.id === BASELINE.id)!;
  const base = report.servers.find((s) => s.id === BASELINE.id)!;
  const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? (a / b).toFixed(2) : '-');
  console.log(`client: ${report.client}`);
  console.log(`\nTLS: server CPU per session from ${report.cpuAccounting} (median of ${report.options.rounds} batches x ${report.options.batch} sequential sessions, servers interleaved; µs; base = Debian's default on the same release)`);
  printTable(
    ['server', 'postfix', 'cert', 'proto', 'group', 'full µs', 'resumed µs', 'no-TLS µs', 'resumed', 'full/base', 'resumed/base', 'client µs/full', 'engine µs', 'other CPU'],
    report.servers.map((s) => [
      s.id, s.postfixVersion, s.certificateKey, s.protocol, s.group, fmt(s.cpuFullUsec), fmt(s.cpuResumedUsec), fmt(s.cpuPlainUsec), pct(s.resumedFraction),
      ratio(s.cpuFullUsec, baseOf(s).cpuFullUsec), ratio(s.cpuResumedUsec, baseOf(s).cpuResumedUsec), fmt(s.clientCpuFullUsec), fmt(s.engineCpuUsec), pct(s.foreignCpuShare),
    ]),
  );
  console.log('\nTLS: ratios (CPU: lower is better; throughput: higher is better)');
  printTable(['comparison', 'figure', 'ratio'], Object.entries(report.ratios).map(([k, v]) => [...k.split(': '), v.toFixed(2)]));
  const loaded = report.servers.filter((s) => s.throughput);
  if (loaded.length > 0) {
    const t0 = loaded[0].throughput!;
    console.log(
      `\nTLS: sessions per second, ${t0.concurrency} concurrent connections, ${t0.sessionsPerRound} sessions per run (median of ${report.options.loadRounds}); ` +
        `the ${report.cores} cores are shared by client, server and anything else running (CPU columns: share of all cores during full-handshake runs)`,
    );
    printTable(
      ['server', 'full/s', 'resumed/s', 'resumed', 'full/base', 'resumed/base', 'client CPU', 'server CPU', 'other CPU', 'server µs/session', 'server-bound full/s', 'failed'],
      loaded.map((s) => {
        const t = s.throughput!;
        return [
          s.id, fmt(t.fullPerSecond), fmt(t.resumedPerSecond), pct(t.resumedFraction), ratio(t.fullPerSecond, baseOf(s).throughput?.fullPerSecond),
          ratio(t.resumedPerSecond, baseOf(s).throughput?.resumedPerSecond), pct(t.clientCpuShareFull), pct(t.serverCpuShareFull), pct(t.foreignCpuShareFull),
          fmt(t.serverCpuPerSessionUnderLoadUsec), fmt(t.serverBoundFullPerSecond), String(t.failed),
        ];
      }),
    );
    const busy = loaded.filter((s) => s.throughput!.foreignCpuShareFull > 0.1);
    if (busy.length > 0) console.log(`!!! other work used more than 10% of the CPU during the throughput runs of ${busy.map((s) => s.id).join(', ')}: sessions/s are noisy`);
  }
  const started = report.servers.filter((s) => s.startupMs !== undefined);
  if (started.length > 0) {
    console.log('\nTLS: docker start -> first successful STARTTLS (median)');
    printTable(['server', 'ms', 'runs (ms)', 'vs base'], started.map((s) => [s.id, fmt(s.startupMs), (s.startupSamplesMs ?? []).join(' '), ratio(s.startupMs, baseOf(s).startupMs)]));
  }
  const shown = report.servers.filter((s) => [LIBRARY.id, BASELINE.id, LIBRARY_310.id, BASELINE_310.id].includes(s.id));
  const kinds = [['full', 'breakdownFullUsec'], ['resumed', 'breakdownResumedUsec'], ['no-TLS', 'breakdownPlainUsec']] as const;
  const commands = [...new Set(shown.flatMap((s) => kinds.flatMap(([, k]) => Object.keys(s[k]))))];
  console.log('\nTLS: where the server CPU of one session goes (µs, by process, /proc utime+stime summed over all rounds; 10 ms tick resolution)');
  printTable(
    ['process', ...shown.flatMap((s) => kinds.map(([label]) => `${s.id} ${label}`))],
    commands.map((c) => [c, ...shown.flatMap((s) => kinds.map(([, k]) => fmt(s[k][c] ?? 0)))]),
  );
  void base;
}
