/**
 * Containers of the image with this checkout's docker/entrypoint.sh, for the tests that must prove the
 * entrypoint before the shared image is rebuilt. Files go in the way the docker provider uploads them
 * (create, copy, start); the entrypoint is copied in too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_TEST_IMAGE } from './docker-available';

const IMAGE = DEFAULT_TEST_IMAGE.name;

const ENTRYPOINT = resolve(__dirname, '..', '..', 'docker', 'entrypoint.sh');

export function docker(args: string[], timeout = 60_000): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
}

/** `describe` when an engine and the image exist; otherwise one loud line and `describe.skip` (a failure under CI=true). */
export function describeWithImage(name: string, fn: () => void): void {
  let available = true;
  try {
    docker(['image', 'inspect', '-f', '{{.Id}}', IMAGE], 20_000);
  } catch {
    if (process.env.CI === 'true') throw new Error(`integration: ${IMAGE} or a Docker engine is missing; run ${DEFAULT_TEST_IMAGE.setup}`);
    console.warn(`SKIPPED ${name}: no Docker engine or no image ${IMAGE} (run ${DEFAULT_TEST_IMAGE.setup})`);
    available = false;
  }
  (available ? describe : describe.skip)(name, fn);
}

/** Creates container `name` with `files` (container path -> content) and this checkout's entrypoint, and starts it. */
export function startWithFiles(name: string, files: Readonly<Record<string, string>>, network: 'none' | 'host'): void {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  try {
    removeContainer(name);
    docker(['create', '--name', name, '--network', network, IMAGE]);
    Object.entries(files).forEach(([path, content], i) => {
      const local = join(dir, String(i));
      writeFileSync(local, content);
      execFileSync('sh', ['-c', 'docker cp "$1" "$2" >/dev/null', 'sh', local, `${name}:${path}`], { timeout: 30_000 });
    });
    docker(['cp', ENTRYPOINT, `${name}:/usr/local/bin/entrypoint.sh`]);
    docker(['start', name]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `docker logs` of the container, stdout and stderr together. */
export function containerLogs(name: string): string {
  return execFileSync('sh', ['-c', 'docker logs "$1" 2>&1', 'sh', name], { encoding: 'utf8', timeout: 20_000 });
}

export function removeContainer(name: string): void {
  try {
    docker(['rm', '-f', name]);
  } catch {
    // not there
  }
}
