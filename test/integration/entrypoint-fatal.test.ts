/**
 * Issue 9, part 5: when Postfix refuses its configuration, the reason is in `docker logs`. On Postfix 3.7 the
 * `postfix` command prints its fatal errors only to a terminal, so the entrypoint used to die with an empty
 * reason ("postfix post-install create-missing failed: ") in a restart loop.
 *
 * The library's own main.cf and master.cf (a server that the library renders) get one line changed to a value
 * the library refuses at synth, then go into a container of the image with the repository's entrypoint, the
 * way the docker provider uploads files (create, copy, start), with this checkout's entrypoint
 * (checkout-container.ts). No network (--network none).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { PostfixServer, SecurityLevel, TlsServer } from '../../index';
import { containerLogs, describeWithImage, docker, ENTRYPOINT, removeContainer, startWithFiles } from './checkout-container';
import { DEFAULT_TEST_IMAGE } from './docker-available';
import { TEST_POSTFIX_VERSION } from './stacks';

const PREFIX = 'pfit-entrypoint-fatal';

/** main.cf and master.cf of a small server the library renders (no TLS files needed). */
function renderedConfig(): { mainCf: string; masterCf: string } {
  const stack = new TerraformStack(new App({ outdir: mkdtempSync(join(tmpdir(), 'pfit-entrypoint-out-')) }), 'stack');
  const server = new PostfixServer(stack, 'mx', { hostname: 'mx.entrypoint.test', publicMx: false, postfixVersion: TEST_POSTFIX_VERSION });
  new TlsServer(server, 'Tls', { securityLevel: SecurityLevel.NONE });
  return server.render();
}

/** Runs the image on `mainCf` until the entrypoint exits; returns its exit code and its docker logs. */
function runUntilExit(name: string, mainCf: string, masterCf: string): { code: number; logs: string } {
  try {
    startWithFiles(name, { '/etc/postfix/main.cf': mainCf, '/etc/postfix/master.cf': masterCf }, 'none');
    const code = Number(docker(['wait', name], 180_000).trim());
    return { code, logs: containerLogs(name) };
  } finally {
    removeContainer(name);
  }
}

describeWithImage(`the entrypoint shows why Postfix refuses its configuration (live, Postfix ${TEST_POSTFIX_VERSION})`, () => {
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

  test('without any configuration generation, the entrypoint waits (bounded) and exits 1 naming what is missing', () => {
    const name = `${PREFIX}-no-generation`;
    try {
      removeContainer(name);
      docker(['create', '--name', name, '--network', 'none', '-e', 'GENERATION_WAIT_SECONDS=2', DEFAULT_TEST_IMAGE.name]);
      docker(['cp', ENTRYPOINT, `${name}:/usr/local/bin/entrypoint.sh`]);
      docker(['start', name]);
      expect(Number(docker(['wait', name], 60_000).trim())).toBe(1);
      expect(containerLogs(name)).toContain('postfix-entrypoint: FATAL: no complete configuration generation after 2s: /var/lib/postfix-config/latest must name a directory in /var/lib/postfix-config/generations (the loader container writes both; see docker/README.md)');
    } finally {
      removeContainer(name);
    }
  }, 120_000);
});
