/**
 * Issue 9, part 5: when Postfix refuses its configuration, the reason is in `docker logs`. On Postfix 3.7 the
 * `postfix` command prints its fatal errors only to a terminal, so the entrypoint used to die with an empty
 * reason ("postfix post-install create-missing failed: ") in a restart loop.
 *
 * The library's own main.cf and master.cf (a server that the library renders) get one line changed to a value
 * the library refuses at synth, then go into a container of the image with the repository's entrypoint, the
 * way the docker provider uploads files (create, copy, start). The entrypoint is copied in as well, so the test
 * proves this checkout's entrypoint even before the shared image is rebuilt. No network (--network none).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { PostfixServer, SecurityLevel, TlsServer } from '../../index';
import { DEFAULT_IMAGE_NAME } from '../../constructs/docker/postfix-image';

const ENTRYPOINT = resolve(__dirname, '..', '..', 'docker', 'entrypoint.sh');
const PREFIX = 'pfit-entrypoint-fatal';

function docker(args: string[], timeout = 60_000): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
}

function imageAvailable(): boolean {
  try {
    docker(['image', 'inspect', '-f', '{{.Id}}', DEFAULT_IMAGE_NAME], 20_000);
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`integration: ${DEFAULT_IMAGE_NAME} or a Docker engine is missing; run scripts/setup-docker.sh`);
    console.warn(`SKIPPED entrypoint-fatal: no Docker engine or no image ${DEFAULT_IMAGE_NAME} (run scripts/setup-docker.sh)`);
    return false;
  }
}

/** main.cf and master.cf of a small server the library renders (no TLS files needed). */
function renderedConfig(): { mainCf: string; masterCf: string } {
  const stack = new TerraformStack(new App({ outdir: mkdtempSync(join(tmpdir(), 'pfit-entrypoint-out-')) }), 'stack');
  const server = new PostfixServer(stack, 'mx', { hostname: 'mx.entrypoint.test', publicMx: false });
  new TlsServer(server, 'Tls', { securityLevel: SecurityLevel.NONE });
  return server.render();
}

/** Runs the image on `mainCf` until the entrypoint exits; returns its exit code and its docker logs. */
function runUntilExit(name: string, mainCf: string, masterCf: string): { code: number; logs: string } {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  try {
    writeFileSync(join(dir, 'main.cf'), mainCf);
    writeFileSync(join(dir, 'master.cf'), masterCf);
    docker(['rm', '-f', name]);
    docker(['create', '--name', name, '--network', 'none', DEFAULT_IMAGE_NAME]);
    for (const file of ['main.cf', 'master.cf']) docker(['cp', join(dir, file), `${name}:/etc/postfix/${file}`]);
    docker(['cp', ENTRYPOINT, `${name}:/usr/local/bin/entrypoint.sh`]);
    docker(['start', name]);
    const code = Number(docker(['wait', name], 180_000).trim());
    // docker logs replays the container's stdout and stderr on its own stdout and stderr.
    const logs = execFileSync('sh', ['-c', 'docker logs "$1" 2>&1', 'sh', name], { encoding: 'utf8', timeout: 20_000 });
    return { code, logs };
  } finally {
    try {
      docker(['rm', '-f', name]);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const maybe = imageAvailable() ? describe : describe.skip;

maybe('the entrypoint shows why Postfix refuses its configuration (live, Postfix 3.7)', () => {
  const { mainCf, masterCf } = renderedConfig();

  test('the rendered config has the line each case replaces, and no alias table that postalias would stop on first', () => {
    expect(mainCf).toMatch(/^maillog_file = \/dev\/stdout$/m);
    expect(mainCf).toMatch(/^alias_maps = inline:/m);
  });

  test.each([
    ['maillog_file = /dev/stderr', mainCf.replace(/^maillog_file = .*$/m, 'maillog_file = /dev/stderr'), "postfix: fatal: maillog_file value '/dev/stderr' does not match any prefix in maillog_file_prefixes"],
    ['message_size_limit = ten', `${mainCf}message_size_limit = ten\n`, 'fatal: bad numerical configuration: message_size_limit = ten'],
  ])('%s: the container exits 1 and docker logs give the fatal reason', (what, changed, reason) => {
    const { code, logs } = runUntilExit(`${PREFIX}-${what.split(' ')[0]}`, changed, masterCf);
    expect(code).toBe(1);
    expect(logs).toContain('postfix-entrypoint: FATAL: ');
    expect(logs).toContain(reason);
  }, 240_000);
});
