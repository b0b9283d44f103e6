/**
 * The harness itself: what it refuses (pure, no engine needed), and on a live engine that it reproduces
 * the containers faithfully (the loader runs once and exits 0 before Postfix starts), replaces stale containers,
 * applies a change by replacing only what changed, cleans up, and removes what a killed run leaves.
 * Ports 26000-26999.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONFIG_VOLUME_PATH, GENERATION_STAGING_DIRECTORY, ServerCertificate, TlsServer } from '../../index';
import { eventually } from './clients';
import { DEFAULT_TEST_IMAGE, describeWithDocker } from './docker-available';
import { DockerHarness, planStack, run } from './harness';
import { synthStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const SERVER = { name: 'pfit-harness-mx', smtp: 26025, host: 'mx.harness.test' };
const TS_NODE = resolve(__dirname, '..', '..', 'node_modules', 'ts-node', 'dist', 'bin.js');

type Doc = { resource: Record<string, Record<string, Record<string, unknown>>> } & Record<string, unknown>;

const tmp = new TempDir('harness');
const LOADER = `${SERVER.name}-loader`;
const QUEUE = `postfix-queue-${SERVER.name}`;
const CONFIG = `postfix-config-${SERVER.name}`;
let json: string;
let changedJson: string;

beforeAll(async () => {
  const pki = new TestPki(`${tmp.path}/pki`);
  await pki.root('harness-root');
  const cert = await pki.server('harness-server', 'harness-root', [SERVER.host], 'ecdsa');
  const build = (extra: Record<string, string>) => synthStack(`${tmp.path}/out-${Object.keys(extra).length}`, 'harness', (stack, image) => {
    const server = testServer(stack, 'mx', { hostname: SERVER.host, port: SERVER.smtp, additionalParameters: extra });
    new TlsServer(server, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath })] });
    testContainer(stack, server, image, SERVER.name);
  });
  json = readFileSync(build({}).cdkTfJsonPath, 'utf8');
  // A main.cf-only change: the loader's uploads differ, the Postfix container's attributes do not.
  changedJson = readFileSync(build({ smtpd_banner: 'mx.harness.test ESMTP harness-apply' }).cdkTfJsonPath, 'utf8');
}, 60_000);

afterAll(() => tmp.cleanup());

/** A deep copy of the synthesized document with `change` applied to its Postfix container (and loader). */
function variant(change: (container: Record<string, unknown>, doc: Doc, loader: Record<string, unknown>) => void): Doc {
  const doc = JSON.parse(json) as Doc;
  const containers = Object.values(doc.resource.docker_container);
  const container = containers.find((c) => c.must_run !== false)!;
  const loader = containers.find((c) => c.must_run === false)!;
  change(container, doc, loader);
  return doc;
}

/** The loader's upload of a rendered file (`name` relative to /etc/postfix). */
function loaderUpload(loader: Record<string, unknown>, name: string): { file: string; content: string } {
  return (loader.upload as { file: string; content: string }[]).find((u) => u.file === `${GENERATION_STAGING_DIRECTORY}/${name}`)!;
}

describe('harness plan (no engine needed)', () => {
  test('a synthesized stack is planned as written: host network, volumes, healthcheck, restart, the loader and every upload', () => {
    const plan = planStack(json);
    expect(plan.volumes.slice().sort()).toEqual([CONFIG, QUEUE]);
    const [container] = plan.containers.filter((c) => c.name === SERVER.name);
    const [loader] = plan.containers.filter((c) => c.name === LOADER);
    expect(plan.containers).toHaveLength(2);
    expect(container.image).toBe(DEFAULT_TEST_IMAGE.name);
    expect(container.restart).toBe('unless-stopped');
    expect([container.mustRun, container.command, container.dependsOn]).toEqual([true, [], [loader.resource]]);
    const config = { volumeName: CONFIG, containerPath: CONFIG_VOLUME_PATH, readOnly: false };
    expect(container.volumes).toEqual([{ volumeName: QUEUE, containerPath: '/var/spool/postfix', readOnly: false }, config]);
    expect(container.healthcheck?.flags).toEqual([
      '--health-cmd', `/usr/local/bin/healthcheck.sh ${SERVER.smtp} starttls 127.0.0.1`,
      '--health-interval', '10s', '--health-timeout', '8s', '--health-start-period', '5s', '--health-retries', '3',
    ]);
    expect(container.uploads).toEqual([]);
    expect(loader).toMatchObject({ image: DEFAULT_TEST_IMAGE.name, restart: 'no', mustRun: false, command: ['--load-generation'], dependsOn: [], volumes: [config] });
    expect(loader.healthcheck).toBeUndefined();
    const files = loader.uploads.map((u) => u.file);
    expect(files).toEqual(expect.arrayContaining(['main.cf', 'master.cf', 'tls/private/ecdsa.key.pem', 'tls/ecdsa.chain.pem'].map((f) => `${GENERATION_STAGING_DIRECTORY}/${f}`)));
    const key = loader.uploads.find((u) => u.file.endsWith('ecdsa.key.pem'))!;
    expect(key.content).toBeUndefined(); // the key travels by path only
    expect(key.source).toMatch(/harness-server\.key\.pem$/);
    expect(key.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('refuses a container that runs once unless it is one: restart "no", no healthcheck; depends_on only on containers of the stack', () => {
    expect(() => planStack(variant((_c, _d, l) => (l.restart = 'always')))).toThrow(/must_run = false with restart "always": only a container that runs once/);
    expect(() => planStack(variant((c, _d, l) => (l.healthcheck = c.healthcheck)))).toThrow(/must_run = false with a healthcheck/);
    expect(() => planStack(variant((c) => (c.depends_on = ['docker_container.Nope'])))).toThrow(/depends_on docker_container\.Nope, which the stack does not define/);
    expect(() => planStack(variant((c) => (c.depends_on = ['null_resource.x'])))).toThrow(/"depends_on" must list docker_container resources/);
    expect(() => planStack(variant((_c, _d, l) => (l.command = ['${var.flag}'])))).toThrow(/"command" holds an unresolved token/);
  });

  test('refuses a container without host networking, naming the resource', () => {
    const doc = variant((c) => delete c.network_mode);
    expect(() => new DockerHarness(doc)).toThrow(/harness refuses docker_container\.\S+: network_mode is null; integration tests only run containers with host networking/);
    expect(() => new DockerHarness(variant((c) => (c.network_mode = 'bridge')))).toThrow(/network_mode is "bridge"/);
  });

  test('refuses attributes it cannot reproduce (published ports, env, entrypoint)', () => {
    expect(() => planStack(variant((c) => (c.ports = [{ internal: 25, external: 25 }])))).toThrow(/attribute "ports" is not supported/);
    expect(() => planStack(variant((c) => (c.env = ['A=b'])))).toThrow(/attribute "env" is not supported/);
    expect(() => planStack(variant((c) => (c.entrypoint = ['postconf'])))).toThrow(/attribute "entrypoint" is not supported/);
    // Unset attributes (null, empty lists) are what Terraform treats as absent: accepted.
    expect(() => planStack(variant((c) => (c.ports = [])))).not.toThrow();
  });

  test('refuses unresolved tokens, except filesha256() of the uploaded source file', () => {
    const token = '${tls_private_key.Key_1234.private_key_pem}';
    const withToken = variant((_c, _d, l) => (l.upload as Record<string, unknown>[]).push({ file: `${GENERATION_STAGING_DIRECTORY}/tls/private/x.pem`, content: token }));
    expect(() => planStack(withToken)).toThrow(/"content" holds an unresolved token/);
    const wrongHash = variant((_c, _d, l) => {
      const key = (l.upload as Record<string, string>[]).find((u) => u.source !== undefined)!;
      key.source_hash = '${filesha256("/etc/passwd")}';
    });
    expect(() => planStack(wrongHash)).toThrow(/"source_hash" hashes \/etc\/passwd, not the uploaded/);
    expect(() => planStack(variant((c) => (c.image = '${docker_image.Nope.image_id}')))).toThrow(/docker_image\.Nope, which the stack does not define/);
  });

  test('resolves file("PATH") in an upload content as Terraform does (the relay oracle\'s deploy-time CA cases), and nothing else', () => {
    const caFile = tmp.file('file-call-ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n${not.a.token}\n', 0o644);
    const caUpload = `${GENERATION_STAGING_DIRECTORY}/tls/ca.pem`;
    const upload = (content: string) => variant((_c, _d, l) => (l.upload as Record<string, unknown>[]).push({ file: caUpload, content }));
    const uploaded = (doc: Doc, directory?: string) => planStack(doc, directory).containers.flatMap((c) => c.uploads).find((u) => u.file === caUpload)?.content;
    // Alone, and joined to literal text; the file's own text is not evaluated again.
    expect(uploaded(upload(`\${file(${JSON.stringify(caFile)})}`))).toBe(readFileSync(caFile, 'utf8'));
    expect(uploaded(upload(`LITERAL\n\${file(${JSON.stringify(caFile)})}`))).toBe(`LITERAL\n${readFileSync(caFile, 'utf8')}`);
    // A relative path is read from the stack directory Terraform runs in.
    expect(uploaded(upload('${file("file-call-ca.pem")}'), tmp.path)).toBe(readFileSync(caFile, 'utf8'));
    expect(() => planStack(upload('${file("file-call-ca.pem")}'))).toThrow(/a relative path, but no stack directory was given/);
    expect(() => planStack(upload('${file("/nonexistent/ca.pem")}'))).toThrow(/which is not a readable file/);
    // Any other function or reference stays refused, also next to a file() call.
    expect(() => planStack(upload(`\${file(${JSON.stringify(caFile)})}\${upper("x")}`))).toThrow(/"content" holds an unresolved token/);
    expect(() => planStack(upload('${file(var.path)}'))).toThrow(/"content" holds an unresolved token/);
    // A private key read through file() is still refused (Terraform would keep it in the state).
    const keyFile = tmp.file('file-call-key.pem', '-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n');
    expect(() => planStack(upload(`\${file(${JSON.stringify(keyFile)})}`))).toThrow(/holds private key material inline/);
  });

  test('refuses private key material inline in the JSON, and never repeats it in the message', () => {
    const keyBody = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETSECRET';
    const inline = variant((_c, _d, l) => (l.upload as Record<string, unknown>[]).push({ file: `${GENERATION_STAGING_DIRECTORY}/tls/private/inline.pem`, content: `-----BEGIN PRIVATE KEY-----\n${keyBody}\n-----END PRIVATE KEY-----\n` }));
    let message = '';
    try {
      planStack(inline);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/holds private key material inline; keys must be uploaded from a local file/);
    expect(message).not.toContain(keyBody);
    const unknownAttribute = variant((c) => (c.labels = `-----BEGIN PRIVATE KEY-----\n${keyBody}\n-----END PRIVATE KEY-----`));
    let other = '';
    try {
      planStack(unknownAttribute);
    } catch (e) {
      other = (e as Error).message;
    }
    expect(other).toMatch(/attribute "labels" is not supported/);
    expect(other).not.toContain(keyBody);
  });

  test('refuses resource types, data sources and providers it does not reproduce', () => {
    expect(() => planStack(variant((_c, d) => (d.resource.tls_private_key = { k: { algorithm: 'ECDSA' } })))).toThrow(/resource type tls_private_key is not reproduced/);
    expect(() => planStack(variant((_c, d) => (d.data = { docker_network: { n: { name: 'x' } } })))).toThrow(/top-level block "data"/);
    expect(() => planStack(variant((_c, d) => ((d.provider as Record<string, unknown>).docker = [{ host: 'tcp://10.0.0.1:2375' }])))).toThrow(/provider docker: attribute "host"/);
  });

  test('accepts outputs with literal values (they create nothing), refuses those with expressions', () => {
    expect(() => planStack(variant((_c, d) => (d.output = { zone: { value: '_25._tcp.mx.example.com. 3600 IN TLSA 3 1 1 ab\n' } })))).not.toThrow();
    expect(() => planStack(variant((_c, d) => (d.output = { id: { value: '${docker_container.x.id}' } })))).toThrow(/harness refuses output id: only outputs with a literal string value/);
  });

  test('refuses a main.cf through which mail could leave the host, and a Postfix container whose configuration it cannot see', () => {
    const open = variant((_c, _d, l) => {
      const upload = loaderUpload(l, 'main.cf');
      upload.content = upload.content.replace(/^(default_transport|relay_transport) = .*$/gm, '');
    });
    expect(() => new DockerHarness(open)).toThrow(/main\.cf must set default_transport to error:\.\.\. or discard:\.\.\./);
    const lookups = variant((_c, _d, l) => {
      const upload = loaderUpload(l, 'main.cf');
      upload.content = upload.content.replace(/^smtpd_peername_lookup = .*$/m, '');
    });
    expect(() => new DockerHarness(lookups)).toThrow(/main\.cf must set smtpd_peername_lookup = no, so smtpd sends no reverse DNS query off the host/);
    const relayhost = variant((_c, _d, l) => {
      loaderUpload(l, 'main.cf').content += 'relayhost = [smtp.example.com]\n';
    });
    expect(() => new DockerHarness(relayhost)).toThrow(/main\.cf sets relayhost/);
    const override = variant((_c, _d, l) => {
      const upload = loaderUpload(l, 'master.cf');
      upload.content = upload.content.replace(/^(\S+\s+inet .*smtpd)$/m, '$1\n  -o relay_transport=smtp');
    });
    expect(() => new DockerHarness(override)).toThrow(/master\.cf overrides relay_transport for a service/);
    // A generation uploaded straight into the contract's directory (no loader) is checked the same way.
    const direct = (change: (mainCf: string) => string) => variant((c, d, l) => {
      c.upload = (l.upload as { file: string; content?: string }[]).map((u) => ({
        ...u,
        file: u.file.replace(GENERATION_STAGING_DIRECTORY, `${CONFIG_VOLUME_PATH}/generations/direct`),
        ...(u.file.endsWith('/main.cf') ? { content: change(u.content!) } : {}),
      }));
      delete c.depends_on;
      for (const [id, body] of Object.entries(d.resource.docker_container)) if (body === l) delete d.resource.docker_container[id];
    });
    expect(() => new DockerHarness(direct((m) => m))).not.toThrow();
    expect(() => new DockerHarness(direct((m) => `${m}relayhost = [smtp.example.com]\n`))).toThrow(/main\.cf sets relayhost/);
    // Postfix without a loader on a shared volume (or a main.cf of its own): nothing to check, refused.
    const unfed = variant((c) => ((c.volumes as unknown[]).splice(1), delete c.depends_on));
    expect(() => new DockerHarness(unfed)).toThrow(/docker_container\.\S+: no inline \/etc\/postfix\/main\.cf upload, nor a loader container sharing a volume with it/);
  });

  test('without an engine: one loud warning and skipped suites on a laptop, a thrown error under CI=true', () => {
    const probe = (ci: string): { stdout: string; stderr: string } => {
      const result = spawnSync(process.execPath, [TS_NODE, '--swc', '--transpile-only', join(__dirname, 'fixtures', 'availability.ts')], {
        env: { PATH: '/nonexistent', CI: ci, HOME: process.env.HOME ?? '/tmp' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { stdout: result.stdout, stderr: result.stderr };
    };
    const laptop = probe('false');
    expect(laptop.stdout).toContain('RESULT skip first, skip second');
    const warnings = laptop.stderr.split('\n').filter((l) => l.includes('SKIPPING Docker integration tests'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no Docker engine answers `docker info`/);
    const ci = probe('true');
    expect(ci.stdout).toMatch(/THROWN integration tests cannot run under CI=true: no Docker engine answers/);
  }, 90_000);
});

describeWithDocker('harness on the engine', () => {
  let harness: DockerHarness | undefined;

  afterAll(async () => {
    await harness?.destroy();
  }, 60_000);

  test('refuses an image that is not present locally, before creating anything', async () => {
    const doc = variant((_c, d) => {
      const [image] = Object.values(d.resource.docker_image);
      image.name = 'postfix-tls-cdktf:does-not-exist';
    });
    const h = new DockerHarness(doc);
    await expect(h.up()).rejects.toThrow(/harness refuses image postfix-tls-cdktf:does-not-exist: it is not present on the local engine/);
    await h.destroy();
    expect((await run('docker', ['container', 'inspect', SERVER.name])).code).not.toBe(0);
  });

  test('replaces a stale container of the same name, runs exactly what the plan says, and destroy() removes container and volume', async () => {
    execFileSync('docker', ['create', '--name', SERVER.name, '--network', 'host', DEFAULT_TEST_IMAGE.name, 'true']);
    const staleId = execFileSync('docker', ['inspect', '-f', '{{.Id}}', SERVER.name], { encoding: 'utf8' }).trim();
    const extraUploads = [
      { file: '/usr/local/share/pfit/deep/utf8.txt', content: 'grüße ✓\n' },
      { file: '/usr/local/share/pfit/bytes.bin', content_base64: Buffer.from([0, 255, 1, 128]).toString('base64') },
      { file: '/usr/local/share/pfit/run.sh', content: '#!/bin/sh\n', executable: true },
    ];
    harness = new DockerHarness(variant((c) => (c.upload = extraUploads)));
    await harness.up();
    const loader = JSON.parse((await run('docker', ['inspect', LOADER])).stdout)[0];
    const inspect = JSON.parse((await run('docker', ['inspect', SERVER.name])).stdout)[0];
    // The loader ran once, exited 0, before Postfix started.
    expect([loader.State.Status, loader.State.ExitCode, loader.HostConfig.RestartPolicy.Name, loader.Args]).toEqual(['exited', 0, 'no', ['--load-generation']]);
    expect(Date.parse(loader.State.FinishedAt)).toBeLessThanOrEqual(Date.parse(inspect.State.StartedAt));
    expect(inspect.Id).not.toBe(staleId);
    expect(inspect.HostConfig.NetworkMode).toBe('host');
    expect(inspect.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(inspect.Config.Healthcheck.Test).toEqual(['CMD-SHELL', `/usr/local/bin/healthcheck.sh ${SERVER.smtp} starttls 127.0.0.1`]);
    expect(inspect.Config.Healthcheck.Interval).toBe(10_000_000_000);
    expect(inspect.State.Health.Status).toBe('healthy');
    const mounts = (inspect.Mounts as { Name: string }[]).slice().sort((a, b) => a.Name.localeCompare(b.Name));
    expect(mounts).toEqual([
      expect.objectContaining({ Type: 'volume', Name: CONFIG, Destination: CONFIG_VOLUME_PATH }),
      expect.objectContaining({ Type: 'volume', Name: QUEUE, Destination: '/var/spool/postfix' }),
    ]);
    // Uploaded files reach Postfix byte-identical to the synthesized content, through the generation.
    let synthesized = '';
    variant((_c, _d, l) => (synthesized = loaderUpload(l, 'main.cf').content));
    expect(synthesized).toMatch(/^smtpd_peername_lookup = no$/m);
    expect(await harness.execOk(SERVER.name, ['cat', '/etc/postfix/main.cf'])).toBe(synthesized);
    // Text goes in as UTF-8, content_base64 as raw bytes, into parent directories the engine creates;
    // modes as the provider sets them (0644, 0744 when executable).
    expect(await harness.execOk(SERVER.name, ['cat', '/usr/local/share/pfit/deep/utf8.txt'])).toBe('grüße ✓\n');
    expect((await harness.execOk(SERVER.name, ['od', '-An', '-tu1', '/usr/local/share/pfit/bytes.bin'])).trim().split(/\s+/)).toEqual(['0', '255', '1', '128']);
    expect((await harness.execOk(SERVER.name, ['stat', '-c', '%a %U', '/usr/local/share/pfit/deep/utf8.txt', '/usr/local/share/pfit/run.sh', '/usr/local/share/pfit/deep'])).trim().split('\n')).toEqual(['644 root', '744 root', '755 root']);
    expect(await harness.execOk(SERVER.name, ['/usr/local/bin/healthcheck.sh', String(SERVER.smtp), 'plain', '127.0.0.1'])).toBe('');
    const elsewhere = await harness.exec(SERVER.name, ['/usr/local/bin/healthcheck.sh', String(SERVER.smtp), 'plain', '127.0.0.2']);
    expect(elsewhere.code).not.toBe(0); // the probe dials the given address, where nothing listens
    expect(elsewhere.stderr).toContain('cannot connect to 127.0.0.2:');

    await harness.destroy();
    harness = undefined;
    expect((await run('docker', ['container', 'inspect', SERVER.name])).code).not.toBe(0);
    expect((await run('docker', ['volume', 'inspect', QUEUE])).code).not.toBe(0);
    expect((await run('docker', ['volume', 'inspect', CONFIG])).code).not.toBe(0);
    expect((await run('docker', ['container', 'inspect', LOADER])).code).not.toBe(0);
  }, 90_000);

  test('apply() replaces only the containers whose planned attributes changed: a main.cf change replaces the loader, Postfix keeps running and reloads', async () => {
    const h = new DockerHarness(json);
    try {
      await h.up();
      const postfixId = await h.containerId(SERVER.name);
      const loaderId = await h.containerId(LOADER);
      // The same document again changes nothing.
      expect(await h.apply(json)).toEqual({ replaced: [], kept: expect.arrayContaining([SERVER.name, LOADER]) });
      expect(await h.containerId(LOADER)).toBe(loaderId);
      expect(await h.apply(changedJson)).toEqual({ replaced: [LOADER], kept: [SERVER.name] });
      expect(await h.containerId(SERVER.name)).toBe(postfixId);
      expect(await h.containerId(LOADER)).not.toBe(loaderId);
      const banner = await eventually('the reloaded banner', async () => {
        const out = await h.execOk(SERVER.name, ['postconf', '-h', 'smtpd_banner']);
        return out.includes('harness-apply') ? out : undefined;
      }, 30_000, 500);
      expect(banner.trim()).toBe('mx.harness.test ESMTP harness-apply');
    } finally {
      await h.destroy();
    }
  }, 120_000);

  test('a container whose entrypoint refuses the configuration fails up() at once, with the log tail and no key material', async () => {
    const broken = variant((_c, _d, l) => {
      loaderUpload(l, 'main.cf').content += 'smtpd_tls_CAfile = /etc/postfix/tls/missing-ca.pem\n';
    });
    const h = new DockerHarness(broken);
    const started = Date.now();
    try {
      const error = await h.up().then(() => undefined, (e: Error) => e);
      expect(error?.message).toMatch(new RegExp(`container ${SERVER.name} stopped .* before it was healthy`));
      expect(error?.message).toMatch(/postfix-entrypoint: FATAL: smtpd_tls_CAfile = \/etc\/postfix\/tls\/missing-ca\.pem \(main\.cf\): file \/etc\/postfix\/tls\/missing-ca\.pem does not exist/);
      expect(error?.message).not.toMatch(/PRIVATE KEY/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await h.destroy();
    }
    expect((await run('docker', ['container', 'inspect', SERVER.name])).code).not.toBe(0);
  }, 90_000);

  test('a test process that dies without destroy() leaves nothing behind (reaper)', async () => {
    const volume = `pfit-harness-leak-${process.pid}`;
    const child = spawnSync(process.execPath, [TS_NODE, '--swc', '--transpile-only', join(__dirname, 'fixtures', 'leak-volume.ts'), volume], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stdout).toContain(`created ${volume}`);
    let gone = false;
    for (let i = 0; i < 40 && !gone; i++) {
      gone = (await run('docker', ['volume', 'inspect', volume])).code !== 0;
      if (!gone) await new Promise((r) => setTimeout(r, 250));
    }
    expect(gone).toBe(true);
  }, 90_000);
});
