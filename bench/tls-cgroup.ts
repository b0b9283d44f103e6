/**
 * CPU accounting of a running container, read on the host from its cgroup, so the client's own CPU (on
 * the same 2-core machine) never blurs the server's figure.
 *
 * - cgroup v2 (or the v2 hierarchy of a hybrid host, /sys/fs/cgroup/unified): `cpu.stat` `usage_usec`;
 * - cgroup v1: `cpuacct.usage` (nanoseconds).
 * The cgroup is found from /proc/<container init pid>/cgroup, so it works with the cgroupfs and the
 * systemd drivers alike. `processBreakdown` adds per-command figures from /proc/<pid>/stat of every
 * process in the container (plus what the master reaped from exited children).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads the container's total CPU time in microseconds. */
export interface ContainerCpu {
  readonly container: string;
  /** Which file the figure comes from (for the report). */
  readonly source: string;
  usageUsec(): number;
  /** CPU (user + system, microseconds) by process command, plus `(exited children)` reaped by master. */
  processBreakdown(): Map<string, number>;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const CLOCK_TICK_USEC = 1e6 / Number(safeExec('getconf', ['CLK_TCK']) || 100);

function safeExec(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function dockerInspect(container: string, format: string): string {
  return execFileSync('docker', ['inspect', '-f', format, container], { encoding: 'utf8' }).trim();
}

/** Finds the accounting file of `container` (running). Throws with the paths tried when none is readable. */
export function containerCpu(container: string): ContainerCpu {
  const pid = Number(dockerInspect(container, '{{.State.Pid}}'));
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`container ${container} is not running (pid ${pid})`);
  const id = dockerInspect(container, '{{.Id}}');
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const candidates: { path: string; kind: 'v2' | 'v1' }[] = [];
  for (const line of lines) {
    const [, controllers, path] = /^(\d+):([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === '') {
      candidates.push({ path: join(CGROUP_ROOT, path, 'cpu.stat'), kind: 'v2' }, { path: join(CGROUP_ROOT, 'unified', path, 'cpu.stat'), kind: 'v2' });
    } else if (controllers.split(',').includes('cpuacct')) {
      for (const mount of ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']) candidates.push({ path: join(CGROUP_ROOT, mount, path, 'cpuacct.usage'), kind: 'v1' });
    }
  }
  // Nested engines show "/" as the container's own cgroup path: try the usual driver layouts by id too.
  for (const base of [`docker/${id}`, `system.slice/docker-${id}.scope`]) {
    candidates.push({ path: join(CGROUP_ROOT, base, 'cpu.stat'), kind: 'v2' }, { path: join(CGROUP_ROOT, 'unified', base, 'cpu.stat'), kind: 'v2' });
    candidates.push({ path: join(CGROUP_ROOT, 'cpuacct', base, 'cpuacct.usage'), kind: 'v1' }, { path: join(CGROUP_ROOT, 'cpu,cpuacct', base, 'cpuacct.usage'), kind: 'v1' });
  }
  const found = candidates.find((c) => existsSync(c.path) && (c.kind === 'v1' || /usage_usec/.test(readFileSync(c.path, 'utf8'))));
  if (!found) throw new Error(`no CPU accounting for container ${container}; tried ${candidates.map((c) => c.path).join(', ')}`);
  const procsFile = join(found.path, '..', 'cgroup.procs');
  const usageUsec = (): number => {
    const text = readFileSync(found.path, 'utf8');
    if (found.kind === 'v1') return Number(text.trim()) / 1000;
    const match = /^usage_usec (\d+)$/m.exec(text);
    if (!match) throw new Error(`${found.path} has no usage_usec`);
    return Number(match[1]);
  };
  const processBreakdown = (): Map<string, number> => {
    const out = new Map<string, number>();
    const pids = existsSync(procsFile) ? readFileSync(procsFile, 'utf8').split('\n').filter(Boolean) : [];
    for (const p of pids) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] is field 3 (state): utime = field 14, stime 15, cutime 16, cstime 17.
      const own = (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_USEC;
      out.set(comm, (out.get(comm) ?? 0) + own);
      if (comm === 'master') {
        out.set('(exited children)', (out.get('(exited children)') ?? 0) + (Number(fields[13]) + Number(fields[14])) * CLOCK_TICK_USEC);
      }
    }
    return out;
  };
  return { container, source: found.path.replace(id, '<id>'), usageUsec, processBreakdown };
}

/** after - before, per command; keys of both. */
export function breakdownDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of new Set([...before.keys(), ...after.keys()])) out.set(key, (after.get(key) ?? 0) - (before.get(key) ?? 0));
  return out;
}

/** Busy and total CPU time of the whole machine (all cores) from /proc/stat, microseconds. */
export function systemCpu(): { busyUsec: number; totalUsec: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3] + ticks[4];
  return { busyUsec: (total - idle) * CLOCK_TICK_USEC, totalUsec: total * CLOCK_TICK_USEC };
}

/**
 * Waits (at most `maxWaitMs`) until the machine is quiet: less than `threshold` of all cores busy over a
 * 250 ms window. Other work on a shared machine blurs wall-clock figures; returns the last busy share.
 */
export async function waitForQuiet(threshold = 0.15, maxWaitMs = 20_000): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const a = systemCpu();
    await new Promise((r) => setTimeout(r, 250));
    const b = systemCpu();
    const share = (b.busyUsec - a.busyUsec) / Math.max(1, b.totalUsec - a.totalUsec);
    if (share < threshold || Date.now() > deadline) return share;
  }
}

const ENGINE_COMMANDS = new Set(['dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2'.slice(0, 15)]);

/**
 * CPU of the Docker engine's own processes (dockerd, containerd, the shims), microseconds. They run
 * outside the container's cgroup and do work a container causes, e.g. carrying its stdout log lines to
 * the json-file log. Machine-wide: other containers' work lands here too.
 */
export function engineCpuUsec(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    if (!ENGINE_COMMANDS.has(stat.slice(stat.indexOf('(') + 1, close))) continue;
    const fields = stat.slice(close + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_USEC;
  }
  return total;
}
