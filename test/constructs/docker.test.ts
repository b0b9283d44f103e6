/**
 * The Docker layer, with cdktf's Testing matchers: the image builds the shipped docker/ directory with host
 * networking; the loader container gets the rendered files by content under the staging directory, private keys
 * only by `source` path with a `source_hash`, and writes them into the config volume; the Postfix container
 * mounts that volume and a named queue volume, with a healthcheck, a restart policy and ports (or host networking).
 */
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONFIG_VOLUME_PATH,
  DEFAULT_IMAGE_NAME,
  DOCKER_CONTEXT,
  GENERATION_STAGING_DIRECTORY,
  PostfixContainer,
  PostfixContainerProps,
  PostfixImage,
  PostfixServer,
  PostfixVersion,
  SaslBackend,
  SecurityLevel,
  SubmissionMode,
  SubmissionPort,
  TlsServer,
} from '../../index';
import { buildServer, clientIdentity, errorOf, HOST, filesUnder, keyBodyLines, newStack, ServerParts, serverCert, TestPki, useTestPki } from '../helpers/fixtures';

Testing.setupJest();
const pki = useTestPki();

interface Upload {
  readonly file: string;
  readonly content?: string;
  readonly source?: string;
  readonly source_hash?: string;
}
interface ContainerJson {
  readonly name: string;
  readonly image: string;
  readonly upload?: Upload[];
  readonly command?: string[];
  readonly depends_on?: string[];
  readonly ports?: { internal: number; external: number; ip: string }[];
  readonly network_mode?: string;
  readonly restart: string;
  readonly must_run: boolean;
  readonly volumes: { volume_name: string; container_path: string }[];
  readonly healthcheck: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
}

/** A full mail server: dual certificates, client CA + relay client, sasldb credentials, 587 and 465. */
function fullParts(t: TestPki): ServerParts {
  return {
    server: { sasl: SaslBackend.cyrusSasldb(credentialsFile(t)) },
    tls: { certificates: [serverCert(t.serverEcdsa), serverCert(t.serverRsa)] },
    clientCerts: { trustedCaFiles: [t.clientCa.certPath], relayClients: [clientIdentity(t.client, 'relay.example.net')] },
    sessionCache: { timeoutSeconds: 3600 },
    submissions: [{}, { mode: SubmissionMode.WRAPPER }],
  };
}

function credentialsFile(t: TestPki): string {
  return t.saslCredentials;
}

function synth(parts: ServerParts = fullParts(pki()), container: Partial<PostfixContainerProps> = {}, existingImageName?: string) {
  const { app, stack } = newStack();
  new DockerProvider(stack, 'docker', {});
  const server = buildServer(stack, 'mx', pki(), parts);
  const image = new PostfixImage(stack, 'Image', existingImageName ? { existingImageName } : {});
  const construct = new PostfixContainer(stack, 'Container', { server, image, ...container });
  const json = Testing.synth(stack, true);
  const parsed = JSON.parse(json) as { resource: { docker_container: Record<string, ContainerJson>; docker_image: Record<string, Record<string, unknown>>; docker_volume: Record<string, { name: string }> } };
  return { app, stack, server, construct, json, parsed, ...containersOf(parsed.resource.docker_container) };
}

/** The Postfix container and its loader (the one that runs once) of one PostfixContainer. */
function containersOf(byId: Record<string, ContainerJson>): { container: ContainerJson; loader: ContainerJson } {
  const all = Object.values(byId);
  const [container] = all.filter((c) => c.must_run);
  const [loader] = all.filter((c) => !c.must_run);
  return { container, loader };
}

/** A rendered file's upload to the loader: under the staging directory, at its place below /etc/postfix. */
const staged = (file: string): string => file.replace(/^\/etc\/postfix\//, `${GENERATION_STAGING_DIRECTORY}/`);
const uploadOf = (c: ContainerJson, file: string): Upload => {
  const upload = (c.upload ?? []).find((u) => u.file === file);
  if (!upload) throw new Error(`no upload of ${file}`);
  return upload;
};

describe('PostfixImage', () => {
  test('builds the shipped docker/ directory with host networking, kept locally', () => {
    const { json } = synth();
    expect(existsSync(join(DOCKER_CONTEXT, 'Dockerfile'))).toBe(true);
    expect(existsSync(join(DOCKER_CONTEXT, 'healthcheck.sh'))).toBe(true);
    expect(json).toHaveResourceWithProperties(Image, {
      name: DEFAULT_IMAGE_NAME,
      keep_locally: true,
      build: { context: expect.stringMatching(/^assets\/Image_Context_[0-9A-F]+\/[0-9A-F]{32}$/), network_mode: 'host' },
    });
    expect(Testing.toHaveResourceWithProperties(json, Image.tfResourceType, { build: { network_mode: 'bridge' } })).toBe(false);
  });

  test('is rebuilt when the docker/ directory changes: a content digest trigger, stable across synths', () => {
    const a = synth().parsed.resource.docker_image;
    const b = synth().parsed.resource.docker_image;
    const [image] = Object.values(a) as { triggers: { docker_context_sha256: string } }[];
    expect(image.triggers.docker_context_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toEqual(a);
  });

  test('existingImageName uses that image and builds nothing', () => {
    const { json, parsed, container } = synth(undefined, {}, 'registry.example.com/postfix:1.2');
    expect(json).toHaveResourceWithProperties(Image, { name: 'registry.example.com/postfix:1.2', keep_locally: true });
    const [image] = Object.values(parsed.resource.docker_image);
    expect(image.build).toBeUndefined();
    expect(container.image).toMatch(/^\$\{docker_image\.[A-Za-z0-9_]+\.image_id\}$/);
  });
});

describe('PostfixContainer', () => {
  test('runs the image it was given', () => {
    const { parsed, container } = synth();
    const [imageId] = Object.keys(parsed.resource.docker_image);
    expect(container.image).toBe(`\${docker_image.${imageId}.image_id}`);
    expect(container.must_run).toBe(true);
  });

  test('the loader uploads main.cf, master.cf and the lookup tables by content, exactly as rendered, under the staging directory', () => {
    const { server, loader } = synth();
    const rendered = server.render();
    expect(uploadOf(loader, staged('/etc/postfix/main.cf'))).toEqual({ file: `${GENERATION_STAGING_DIRECTORY}/main.cf`, content: rendered.mainCf });
    expect(uploadOf(loader, staged('/etc/postfix/master.cf'))).toEqual({ file: `${GENERATION_STAGING_DIRECTORY}/master.cf`, content: rendered.masterCf });
    expect(rendered.tables).toHaveLength(1);
    for (const table of rendered.tables) expect(uploadOf(loader, staged(table.path))).toEqual({ file: staged(table.path), content: table.content });
    expect(loader.upload?.every((u) => u.file.startsWith(`${GENERATION_STAGING_DIRECTORY}/`))).toBe(true);
  });

  test('the loader runs once (--load-generation, restart no, must_run false) with the config volume; Postfix mounts it, depends on the loader and has no config uploads', () => {
    const { parsed, container, loader } = synth(undefined, { hostNetwork: true });
    const ids = Object.fromEntries(Object.entries(parsed.resource.docker_volume).map(([id, v]) => [v.name, id]));
    const config = { volume_name: `\${docker_volume.${ids['postfix-config-postfix-mx']}.name}`, container_path: CONFIG_VOLUME_PATH };
    expect(loader).toMatchObject({ name: 'postfix-mx-loader', image: container.image, command: ['--load-generation'], restart: 'no', must_run: false, network_mode: 'host', volumes: [config] });
    expect((loader as unknown as Record<string, unknown>).healthcheck).toBeUndefined();
    const [loaderId] = Object.entries(parsed.resource.docker_container).find(([, c]) => c === loader)!;
    expect(container.depends_on).toEqual([`docker_container.${loaderId}`]);
    expect(container.volumes).toEqual([expect.objectContaining({ container_path: '/var/spool/postfix' }), config]);
    expect(container.upload).toBeUndefined();
  });

  test('configVolumeName is used as given; a config volume named like the queue volume is refused, naming the prop', () => {
    const { json } = synth(undefined, { configVolumeName: 'mail-config' });
    expect(json).toHaveResourceWithProperties(Volume, { name: 'mail-config' });
    expect(errorOf(() => synth(undefined, { queueVolumeName: 'mail', configVolumeName: 'Mail' })).message).toBe(
      '[stack/Container] config volume name "Mail" is already used by this container\'s queue volume name; names are compared ignoring case and Unicode form: set a distinct configVolumeName',
    );
    expect(errorOf(() => synth(undefined, { configVolumeName: 'bad/name' })).message).toBe('[stack/Container] configVolumeName "bad/name" is invalid: use letters, digits, \'_\', \'.\', \'-\'');
  });

  test('a maillogFile in a directory of its own is uploaded empty, so the directory exists when Postfix opens it (the relay oracle saw postfix-script stop on "open logfile ... No such file or directory")', () => {
    const { container } = synth({ server: { maillogFile: '/var/log/postfix/mail.log' } });
    // The Postfix container's only upload: it must exist before start.
    expect(container.upload).toEqual([{ file: '/var/log/postfix/mail.log', content: '', permissions: '0600' }]);
    // The default, the container log, needs no file.
    expect(synth({}).container.upload).toBeUndefined();
  });

  test('a maillogFile that names a directory, or a file the server uploads, is refused naming the container, the server and the prop', () => {
    expect(errorOf(() => synth({ server: { maillogFile: '/var/log/postfix/' } })).message).toBe(
      '[stack/Container] maillogFile "/var/log/postfix/" of server stack/mx names a directory: give a file (e.g. /var/log/mail.log), or \'/dev/stdout\' for docker logs',
    );
    const clash = errorOf(() => synth({ server: { maillogFile: '/etc/postfix/main.cf', additionalParameters: { maillog_file_prefixes: '/var, /dev/stdout, /etc/postfix' } } })).message;
    expect(clash).toBe('[stack/Container] maillogFile "/etc/postfix/main.cf" of server stack/mx is a file the server uploads: give another file (e.g. /var/log/mail.log), or \'/dev/stdout\' for docker logs');
  });

  test('uploads certificate chains and the client CA file by content', () => {
    const { loader } = synth();
    expect(uploadOf(loader, staged('/etc/postfix/tls/ecdsa.chain.pem')).content).toBe(readFileSync(pki().serverEcdsa.chainPath, 'utf8'));
    expect(uploadOf(loader, staged('/etc/postfix/tls/rsa.chain.pem')).content).toBe(readFileSync(pki().serverRsa.chainPath, 'utf8'));
    expect(uploadOf(loader, staged('/etc/postfix/tls/client-ca.pem')).content).toContain(readFileSync(pki().clientCa.certPath, 'utf8').trim());
  });

  test('uploads private keys and SASL credentials ONLY by source path, with a source_hash', () => {
    const { json, loader } = synth();
    const secrets = [
      [staged('/etc/postfix/tls/private/ecdsa.key.pem'), pki().serverEcdsa.keyPath],
      [staged('/etc/postfix/tls/private/rsa.key.pem'), pki().serverRsa.keyPath],
      [staged('/etc/postfix/sasl/private/credentials'), credentialsFile(pki())],
    ];
    for (const [file, source] of secrets) {
      expect(uploadOf(loader, file)).toEqual({ file, source, source_hash: `\${filesha256("${source}")}` });
      expect(json).toHaveResourceWithProperties(Container, { upload: expect.arrayContaining([{ file, source, source_hash: `\${filesha256("${source}")}` }]) });
    }
    // Only the secrets travel by source; everything else is inline content.
    const uploads = loader.upload ?? [];
    expect(uploads.filter((u) => u.source !== undefined).map((u) => u.file).sort()).toEqual(secrets.map(([file]) => file).sort());
    expect(uploads.filter((u) => u.source === undefined).every((u) => typeof u.content === 'string')).toBe(true);
  });

  test('the synthesized JSON never contains a private key, neither its label nor its body', () => {
    const { app, json } = synth();
    expect(json).not.toContain('PRIVATE KEY');
    expect(json).not.toContain(pki().saslPassword);
    for (const keyPath of [pki().serverEcdsa.keyPath, pki().serverRsa.keyPath]) {
      for (const line of keyBodyLines(keyPath)) expect(json).not.toContain(line);
    }
    app.synth();
    for (const file of filesUnder(app.outdir)) expect(readFileSync(file, 'utf8')).not.toContain('PRIVATE KEY');
  });

  test('mounts a named queue volume at /var/spool/postfix', () => {
    const { json, parsed, container } = synth();
    expect(json).toHaveResourceWithProperties(Volume, { name: 'postfix-queue-postfix-mx' });
    const [volumeId] = Object.entries(parsed.resource.docker_volume).find(([, v]) => v.name === 'postfix-queue-postfix-mx')!;
    expect(container.volumes[0]).toEqual({ volume_name: `\${docker_volume.${volumeId}.name}`, container_path: '/var/spool/postfix' });
  });

  test('queueVolumeName and containerName are used as given', () => {
    const { json, container } = synth(undefined, { containerName: 'mail-1', queueVolumeName: 'mail-queue' });
    expect(container.name).toBe('mail-1');
    expect(json).toHaveResourceWithProperties(Volume, { name: 'mail-queue' });
  });

  test('the default container name derives from the server id', () => {
    expect(synth().container.name).toBe('postfix-mx');
  });

  test('the healthcheck calls /usr/local/bin/healthcheck.sh on the SMTP port, completing a STARTTLS handshake', () => {
    const { json, container } = synth();
    expect(container.healthcheck).toEqual({ test: ['CMD', '/usr/local/bin/healthcheck.sh', '25', 'starttls'], interval: '10s', timeout: '8s', start_period: '5s', retries: 3 });
    expect(json).toHaveResourceWithProperties(Container, { healthcheck: expect.objectContaining({ test: ['CMD', '/usr/local/bin/healthcheck.sh', '25', 'starttls'] }) });
  });

  test.each([
    ['a custom SMTP port', { server: { smtpPort: 2525 } }, ['2525', 'starttls']],
    ['submission only (587)', { server: { smtpService: false, sasl: SaslBackend.cyrus() }, submissions: [{}] }, ['587', 'starttls']],
    ['submissions only (465, wrapper mode)', { server: { smtpService: false, sasl: SaslBackend.cyrus() }, submissions: [{ mode: SubmissionMode.WRAPPER }] }, ['465', 'tls']],
    ['wrapper first, STARTTLS second: the STARTTLS port is probed', { server: { smtpService: false, sasl: SaslBackend.cyrus() }, submissions: [{ mode: SubmissionMode.WRAPPER }, {}] }, ['587', 'starttls']],
    ['no TLS on port 25: the plain banner', { tls: { securityLevel: SecurityLevel.NONE } }, ['25', 'plain']],
  ] as [string, ServerParts, string[]][])('the healthcheck probes the right port and mode: %s', (_name, parts, args) => {
    expect(synth(parts).container.healthcheck.test).toEqual(['CMD', '/usr/local/bin/healthcheck.sh', ...args]);
  });

  test('a submission port that requires a client certificate is probed by its plain banner (the probe has none)', () => {
    const t = pki();
    const parts: ServerParts = {
      server: { smtpService: false, sasl: SaslBackend.cyrus() },
      tls: { certificates: [serverCert(t.serverEcdsa)] },
      clientCerts: { trustedCaFiles: [t.clientCa.certPath], relayClients: [clientIdentity(t.client, 'relay.example.net')] },
      submissions: [{ requireClientCertificate: true }],
    };
    expect(synth(parts).container.healthcheck.test).toEqual(['CMD', '/usr/local/bin/healthcheck.sh', '587', 'plain']);
  });

  test('PostfixImage builds the shipped Dockerfile on Debian 13 (3.10) by default and on Debian 12 for V3_7; the server must match', () => {
    const images = (release?: PostfixVersion) => {
      const { stack } = newStack();
      new DockerProvider(stack, 'docker', {});
      const server = buildServer(stack, 'mx', pki(), { server: { postfixVersion: release } });
      new PostfixContainer(stack, 'Container', { server, image: new PostfixImage(stack, 'Image', { postfixVersion: release }) });
      return Object.values(JSON.parse(Testing.synth(stack, true)).resource.docker_image) as { name: string; build: { build_args?: Record<string, string> } }[];
    };
    const [trixie] = images();
    expect(trixie.name).toBe('postfix-tls-cdktf:trixie');
    expect(trixie.build.build_args).toBeUndefined();
    expect(readFileSync(join(DOCKER_CONTEXT, 'Dockerfile'), 'utf8')).toMatch(/^ARG BASE_IMAGE=debian:trixie-slim$/m);
    const [bookworm] = images(PostfixVersion.V3_7);
    expect(bookworm.name).toBe('postfix-tls-cdktf:bookworm');
    expect(bookworm.build.build_args).toEqual({ BASE_IMAGE: 'debian:bookworm-slim' });

    const other = newStack();
    const mismatched = buildServer(other.stack, 'mx', pki(), { server: { postfixVersion: PostfixVersion.V3_7 } });
    const image = new PostfixImage(other.stack, 'Image');
    expect(errorOf(() => new PostfixContainer(other.stack, 'Container', { server: mismatched, image })).message).toBe(
      '[stack/Container] server stack/mx is rendered for Postfix 3.7 (postfixVersion), but image stack/Image runs Postfix 3.10: set the same postfixVersion on the PostfixServer and the PostfixImage',
    );
  });

  test('certificateExpiryWarningDays is passed to the healthcheck only when set; bad values are refused', () => {
    expect(synth(undefined, { certificateExpiryWarningDays: 14 }).container.healthcheck.test).toEqual(['CMD', '/usr/local/bin/healthcheck.sh', '--expiry-warning-days', '14', '25', 'starttls']);
    expect(errorOf(() => synth(undefined, { certificateExpiryWarningDays: -1 })).message).toMatch(/^\[stack\/Container\] certificateExpiryWarningDays -1 /);
    expect(errorOf(() => synth(undefined, { certificateExpiryWarningDays: '14' as unknown as number })).message).toMatch(/certificateExpiryWarningDays "14" is a string, not a number/);
    expect(readFileSync(join(DOCKER_CONTEXT, 'healthcheck.sh'), 'utf8')).toContain('if [ "${1:-}" = --expiry-warning-days ]; then');
  });

  test('each server certificate known at synth has its expiry date as an output', () => {
    const t = pki();
    const { parsed } = synth({ tls: { certificates: [serverCert(t.serverEcdsa), serverCert(t.serverRsa)] } });
    const outputs = (parsed as unknown as { output: Record<string, { value: string; description: string }> }).output;
    const expiry = (path: string) => new Date(new X509Certificate(readFileSync(path)).validTo).toISOString();
    expect(Object.values(outputs)).toEqual([
      { value: expiry(t.serverEcdsa.certPath), description: 'expiry of the ECDSA server certificate of mx.example.com' },
      { value: expiry(t.serverRsa.certPath), description: 'expiry of the RSA server certificate of mx.example.com' },
    ]);
  });

  test('the healthcheck script understands the modes the container passes', () => {
    const script = readFileSync(join(DOCKER_CONTEXT, 'healthcheck.sh'), 'utf8');
    expect(script).toContain('port="${1:-25}"');
    expect(script).toContain('mode="${2:-plain}"');
    expect(script).toContain('if [ "$mode" = tls ]');
    expect(script).toContain('elif [ "$mode" = starttls ]');
  });

  test('the healthcheck reaches a service bound to one non-loopback address (the script only dials 127.0.0.1)', () => {
    const { container } = synth({ server: { listenAddress: '192.0.2.25' } }, { hostNetwork: true });
    expect(container.healthcheck.test.join(' ')).toContain('192.0.2.25');
  });

  test('restart policy: unless-stopped by default, as given otherwise', () => {
    expect(synth().container.restart).toBe('unless-stopped');
    expect(synth(undefined, { restart: 'always' }).container.restart).toBe('always');
  });

  test('publishes 25, 587 and 465 on 0.0.0.0 by default', () => {
    const { json, container } = synth();
    expect(container.network_mode).toBeUndefined();
    expect(container.ports).toEqual([
      { internal: 25, external: 25, ip: '0.0.0.0' },
      { internal: 587, external: 587, ip: '0.0.0.0' },
      { internal: 465, external: 465, ip: '0.0.0.0' },
    ]);
    expect(json).toHaveResourceWithProperties(Container, { ports: [25, 587, 465].map((internal) => expect.objectContaining({ internal })) });
  });

  test('publishAddress binds the published ports to that address', () => {
    expect(synth(undefined, { publishAddress: '127.0.0.1' }).container.ports?.map((p) => p.ip)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  test('hostNetwork: network_mode host and no published ports', () => {
    const { json, container } = synth(undefined, { hostNetwork: true });
    expect(container.network_mode).toBe('host');
    expect(container.ports).toBeUndefined();
    expect(json).toHaveResourceWithProperties(Container, { network_mode: 'host' });
  });

  test('the container may be created before the server\'s children: files, ports and healthcheck are read at synth', () => {
    const { stack } = newStack();
    new DockerProvider(stack, 'docker', {});
    const server = new PostfixServer(stack, 'mx', { hostname: HOST, sasl: SaslBackend.dovecot() });
    new PostfixContainer(stack, 'Container', { server, image: new PostfixImage(stack, 'Image') });
    new TlsServer(server, 'Tls', { certificates: [serverCert(pki().serverEcdsa)] });
    new SubmissionPort(server, 'Submissions', { mode: SubmissionMode.WRAPPER });
    const { container, loader } = containersOf((JSON.parse(Testing.synth(stack)) as { resource: { docker_container: Record<string, ContainerJson> } }).resource.docker_container);
    expect((loader.upload ?? []).map((u) => u.file)).toEqual(expect.arrayContaining(['/etc/postfix/main.cf', '/etc/postfix/tls/ecdsa.chain.pem', '/etc/postfix/tls/private/ecdsa.key.pem'].map(staged)));
    expect(uploadOf(loader, staged('/etc/postfix/master.cf')).content).toContain('submissions inet');
    expect((container as unknown as { ports: { internal: number }[] }).ports.map((p) => p.internal)).toEqual([25, 465]);
  });

  test('a server with no service to run is refused', () => {
    const { stack } = newStack();
    const server = new PostfixServer(stack, 'idle', { hostname: HOST, smtpService: false });
    new TlsServer(server, 'Tls', { certificates: [serverCert(pki().serverEcdsa)] });
    new PostfixContainer(stack, 'Container', { server, image: new PostfixImage(stack, 'Image') });
    expect(errorOf(() => Testing.synth(stack)).message).toBe('[stack/Container] server stack/idle has no SMTP or submission service to run: keep smtpService or add a SubmissionPort');
  });

  test('one container per server: two servers in one stack get their own containers and volumes', () => {
    const { stack } = newStack();
    new DockerProvider(stack, 'docker', {});
    const image = new PostfixImage(stack, 'Image');
    const a = buildServer(stack, 'mx', pki());
    const b = buildServer(stack, 'relay', pki(), { server: { publicMx: false, smtpPort: 2525 } });
    new PostfixContainer(stack, 'MxContainer', { server: a, image });
    new PostfixContainer(stack, 'RelayContainer', { server: b, image });
    const json = Testing.synth(stack, true);
    expect(json).toHaveResourceWithProperties(Container, { name: 'postfix-mx', ports: [expect.objectContaining({ internal: 25 })] });
    expect(json).toHaveResourceWithProperties(Container, { name: 'postfix-relay', ports: [expect.objectContaining({ internal: 2525 })] });
    expect(json).toHaveResourceWithProperties(Volume, { name: 'postfix-queue-postfix-relay' });
    expect(json).toHaveResourceWithProperties(Container, { name: 'postfix-relay-loader' });
    expect(json).toHaveResourceWithProperties(Volume, { name: 'postfix-config-postfix-relay' });
    const loaders = (Object.values(JSON.parse(json).resource.docker_container) as ContainerJson[]).filter((c) => !c.must_run);
    const mainCfOf = (c: ContainerJson) => uploadOf(c, staged('/etc/postfix/main.cf')).content;
    expect(loaders).toHaveLength(2);
    expect(mainCfOf(loaders[0])).not.toBe(mainCfOf(loaders[1]));
  });
});
