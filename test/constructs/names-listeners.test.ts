/**
 * Issue 9 part 6, each defect with its reproduction: Docker names that differ only in case or Unicode form,
 * listeners that cannot bind together, review paths outside the target directory, and a CApath whose
 * rehash in the container lost a CA.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing } from 'cdktf';
import { PostfixContainer, PostfixImage, writeReviewDirectory } from '../../index';
import { buildServer, errorOf, newStack, ServerParts, tmpDir, useTestPki } from '../helpers/fixtures';

const pki = useTestPki();

describe('container and volume names are unique per stack, ignoring case and Unicode form', () => {
  test.each([
    ['MX', 'mx', {}, 'container name "postfix-mx"', 'containerName'],
    ['mxk', 'mx\u212A', {}, 'container name "postfix-mxk"', 'containerName'],
    ['a', 'b', { containerName: 'Mail' }, 'container name "Mail"', 'containerName'],
    ['a', 'b', { queueVolumeName: 'Queue' }, 'queue volume name "Queue"', 'queueVolumeName'],
    ['a', 'b', { configVolumeName: 'Config' }, 'config volume name "Config"', 'configVolumeName'],
  ])('servers %j and %j', (first, second, extra, shows, fix) => {
    const { stack } = newStack();
    const image = new PostfixImage(stack, 'Image');
    const lower = (props: object) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, (v as string).toLowerCase()]));
    new PostfixContainer(stack, 'First', { server: buildServer(stack, first, pki(), { server: { smtpPort: 2525 } }), image, ...lower(extra) });
    const message = errorOf(() => new PostfixContainer(stack, 'Second', { server: buildServer(stack, second, pki()), image, ...extra })).message;
    expect(message).toContain('[stack/Second]');
    expect(message).toContain(shows);
    expect(message).toContain('stack/First');
    expect(message).toContain(fix);
  });
});

test('a container named like the loader of another (containerName + "-loader") is refused, naming both', () => {
  const { stack } = newStack();
  const image = new PostfixImage(stack, 'Image');
  new PostfixContainer(stack, 'First', { server: buildServer(stack, 'a', pki(), { server: { smtpPort: 2525 } }), image, containerName: 'mail' });
  const message = errorOf(() => new PostfixContainer(stack, 'Second', { server: buildServer(stack, 'b', pki()), image, containerName: 'Mail-Loader' })).message;
  expect(message).toBe('[stack/Second] container name "Mail-Loader" is already used by stack/First ("mail-loader", its loader container name (containerName + "-loader")); names are compared ignoring case and Unicode form: set a distinct containerName');
});

describe('listeners that cannot bind together are refused at synth', () => {
  const synthError = (parts: ServerParts): string => {
    const { stack } = newStack();
    buildServer(stack, 'mx', pki(), parts);
    return errorOf(() => Testing.synth(stack, true)).message;
  };

  test('0.0.0.0:25 next to 127.0.0.1:25 in one server', () => {
    const message = synthError({ server: { listenAddress: '0.0.0.0' }, submissions: [{ port: 25, listenAddress: '127.0.0.1' }] });
    expect(message).toContain('[stack/mx] [duplicate-listener]');
    expect(message).toContain('0.0.0.0:25');
    expect(message).toContain('127.0.0.1:25');
  });

  test('::1:2525 next to 0:0:0:0:0:0:0:1:2525 in one server', () => {
    const message = synthError({ server: { listenAddress: '::1', smtpPort: 2525, publicMx: false }, submissions: [{ port: 2525, listenAddress: '0:0:0:0:0:0:0:1' }] });
    expect(message).toContain('[duplicate-listener]');
    expect(message).toContain('0:0:0:0:0:0:0:1:2525');
  });

  const twoContainers = (a: object, b: object, hostNetwork = false) => {
    const { stack } = newStack();
    new DockerProvider(stack, 'docker');
    const image = new PostfixImage(stack, 'Image');
    new PostfixContainer(stack, 'A', { server: buildServer(stack, 'a', pki(), { server: a }), image, hostNetwork });
    new PostfixContainer(stack, 'B', { server: buildServer(stack, 'b', pki(), { server: b }), image, hostNetwork });
    return stack;
  };

  test('two containers publishing port 25 on the same host address', () => {
    const message = errorOf(() => Testing.synth(twoContainers({}, {}), true)).message;
    expect(message).toContain('[stack/B] host port 0.0.0.0:25 overlaps 0.0.0.0:25 of stack/A');
    expect(message).toContain('publishAddress');
  });

  test('two host-network containers, a wildcard and a specific address on one port', () => {
    const message = errorOf(() => Testing.synth(twoContainers({ smtpPort: 2525 }, { smtpPort: 2525, listenAddress: '127.0.0.1' }, true), true)).message;
    expect(message).toContain('host port 127.0.0.1:2525 overlaps *:2525 of stack/A');
  });

  test('two host-network containers on distinct addresses of one port are fine', () => {
    expect(() => Testing.synth(twoContainers({ smtpPort: 2525, listenAddress: '127.0.0.2' }, { smtpPort: 2525, listenAddress: '127.0.0.1' }, true), true)).not.toThrow();
  });
});

describe('review paths stay inside the target directory', () => {
  test("a server id '..' is refused and writes nothing outside", () => {
    const tmp = tmpDir('review-escape');
    try {
      const { app, stack } = newStack();
      buildServer(stack, '..', pki());
      const target = join(tmp.dir, 'out', 'review');
      const message = errorOf(() => writeReviewDirectory(app, target)).message;
      expect(message).toContain('[stack/..] server id ".."');
      expect(readdirSync(tmp.dir)).toEqual([]);
      expect(existsSync(join(tmp.dir, 'out', 'main.cf'))).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });

  test('server ids that differ only in case would share a directory on macOS: refused', () => {
    const { app, stack } = newStack();
    buildServer(stack, 'MX', pki());
    buildServer(stack, 'mx', pki(), { server: { smtpPort: 2525 } });
    expect(errorOf(() => writeReviewDirectory(app, '/nonexistent-review')).message).toContain('two servers share the id mx (ignoring case)');
  });
});

describe('CApath uploads survive the container\'s openssl rehash', () => {
  test('a CA from capathCaFiles and a CA with the same subject from capathCaPems both verify after rehash', () => {
    const tmp = tmpDir('capath-rehash');
    try {
      const cas = ['a', 'b'].map((n) => {
        const cert = join(tmp.dir, `${n}.pem`);
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp.dir, `${n}.key`), '-subj', '/CN=Same Subject CA', '-days', '2', '-out', cert], { stdio: 'ignore' });
        return cert;
      });
      const { stack } = newStack();
      const server = buildServer(stack, 'mx', pki(), { clientCerts: { capathCaFiles: [cas[0]], capathCaPems: [readFileSync(cas[1], 'utf8')] } });
      const capath = join(tmp.dir, 'capath');
      mkdirSync(capath);
      const uploads = server.files().filter((f) => f.containerPath.startsWith('/etc/postfix/tls/capath/'));
      expect(uploads).toHaveLength(2);
      for (const f of uploads) writeFileSync(join(capath, f.containerPath.split('/').pop()!), f.content!);
      execFileSync('openssl', ['rehash', capath]); // what docker/entrypoint.sh runs
      for (const ca of cas) expect(execFileSync('openssl', ['verify', '-CApath', capath, ca], { encoding: 'utf8' })).toContain(': OK');
    } finally {
      tmp.cleanup();
    }
  });
});
