/**
 * Containers of the image with this checkout's docker/entrypoint.sh, for the tests that must prove the
 * entrypoint before the shared image is rebuilt. Files go in the way the docker provider uploads them
 * (create, copy, start), as one complete configuration generation of the contract in docker/README.md
 * (generations/ID/ and `latest` naming it, no loader); the entrypoint is copied in too.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CONFIG_VOLUME_PATH } from '../../constructs/docker/postfix-container';
import { DEFAULT_TEST_IMAGE } from './docker-available';

const IMAGE = DEFAULT_TEST_IMAGE.name;

export const ENTRYPOINT = resolve(__dirname, '..', '..', 'docker', 'entrypoint.sh');

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

/**
 * Creates container `name` with `files` (path under /etc/postfix/ -> content) as the generation `test` and
 * this checkout's entrypoint, and starts it.
 */
export function startWithFiles(name: string, files: Readonly<Record<string, string>>, network: 'none' | 'host'): void {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  try {
    removeContainer(name);
    docker(['create', '--name', name, '--network', network, IMAGE]);
    const generation = `${CONFIG_VOLUME_PATH.slice(1)}/generations/test`;
    const entries = Object.entries(files).map(([path, content]) => {
      if (!path.startsWith('/etc/postfix/')) throw new Error(`${path} is not under /etc/postfix/`);
      return [`${generation}/${path.slice('/etc/postfix/'.length)}`, content] as const;
    });
    for (const [path, content] of [...entries, [`${CONFIG_VOLUME_PATH.slice(1)}/latest`, 'test\n'] as const]) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    // The generation first, then `latest` (one tar stream, in this order).
    const list = [...entries.map(([path]) => path), `${CONFIG_VOLUME_PATH.slice(1)}/latest`];
    execFileSync('bash', ['-c', 'set -o pipefail; tar -C "$1" -cf - --owner=0 --group=0 --numeric-owner "${@:3}" | docker cp - "$2:/"', 'bash', dir, name, ...list], { timeout: 30_000 });
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
