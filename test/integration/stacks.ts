/**
 * Builds test stacks from the library's own constructs, synthesizes them with cdktf into a temporary
 * directory and hands the `cdk.tf.json` to the harness. Nothing here renders Postfix files: the
 * constructs do, and the harness runs exactly what they synthesized.
 *
 * Every test server listens on 127.0.0.1 only, runs with host networking, and cannot deliver mail to
 * another host (see NO_OUTBOUND_DELIVERY, which the harness also enforces).
 */
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostfixContainer, PostfixImage, PostfixImageProps, PostfixServer, PostfixServerProps, PostfixVersion } from '../../index';
import { CertificateFiles, LocalPki } from '../../lib/pki/local-pki';
import { DockerHarness } from './harness';

/**
 * The Postfix release the live tests target when a test does not choose one: 3.10 (the library's default), or
 * 3.7 with POSTFIX_TEST_VERSION=3.7 (how `npm test` runs the seed behaviours on Debian 12 as well).
 */
export const TEST_POSTFIX_VERSION: PostfixVersion = testVersion(process.env.POSTFIX_TEST_VERSION);

function testVersion(value: string | undefined): PostfixVersion {
  if (value === undefined || value === '') return PostfixVersion.V3_10;
  const version = Object.values(PostfixVersion).find((v) => v === value);
  if (!version) throw new Error(`POSTFIX_TEST_VERSION=${value}: expected one of ${Object.values(PostfixVersion).join(', ')}`);
  return version;
}

/** Where every test server listens. */
export const LOOPBACK = '127.0.0.1';

/**
 * main.cf parameters that make outbound delivery impossible: mail for any non-local domain goes to the
 * discard(8) transport instead of smtp(8), so it is accepted (a relay permission shows as 250 to RCPT,
 * which `error:` would turn into 550 at RCPT time) and then dropped, never sent; and smtpd looks up no client
 * name in DNS. All are valid Postfix 3.7 and 3.10 parameters; the harness refuses any test main.cf without them.
 */
export const NO_OUTBOUND_DELIVERY: Readonly<Record<string, string>> = {
  default_transport: 'discard:outbound delivery disabled in tests',
  relay_transport: 'discard:outbound delivery disabled in tests',
  // Test clients connect from loopback addresses /etc/hosts does not name (127.0.0.2): no PTR query leaves the host.
  smtpd_peername_lookup: 'no',
};

/** A temporary directory removed by `cleanup()`. */
export class TempDir {
  public readonly path: string;
  constructor(prefix: string) {
    this.path = mkdtempSync(join(tmpdir(), `postfix-it-${prefix}-`));
  }
  public file(name: string, content: string, mode = 0o600): string {
    const path = join(this.path, name);
    writeFileSync(path, content, { mode });
    return path;
  }
  public cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A development PKI in a temporary directory, generated with the library's LocalPki. */
export class TestPki {
  public readonly pki: LocalPki;
  constructor(directory: string) {
    this.pki = new LocalPki(directory);
  }
  public root(name: string, algorithm: 'rsa' | 'ecdsa' = 'ecdsa'): Promise<CertificateFiles> {
    return this.pki.ensureRootCa(name, { algorithm, commonName: `${name} test CA` });
  }
  public intermediate(name: string, issuer: string): Promise<CertificateFiles> {
    return this.pki.ensureIntermediate(name, issuer, { commonName: `${name} test intermediate CA` });
  }
  public server(name: string, issuer: string, hostnames: string[], algorithm: 'rsa' | 'ecdsa', rsaBits?: number): Promise<CertificateFiles> {
    return this.pki.ensureServerCert(name, { issuer, hostnames, algorithm, rsaBits });
  }
  public client(name: string, issuer: string): Promise<CertificateFiles> {
    return this.pki.ensureClientCert(name, { issuer, commonName: `${name}.client.test` });
  }
}

/** Props of `testServer`: the library's props plus the listening port. */
export interface TestServerProps extends Omit<PostfixServerProps, 'listenAddress' | 'smtpPort'> {
  /** Port of the SMTP service on 127.0.0.1 (ignored when smtpService is false). */
  readonly port?: number;
}

/**
 * `props` with the SMTP service on 127.0.0.1:`port` (unless smtpService is false), NO_OUTBOUND_DELIVERY added,
 * and TEST_POSTFIX_VERSION unless the props choose a release.
 */
export function onLoopback<P extends Partial<PostfixServerProps>>(props: P, port: number | undefined): P {
  return {
    ...props,
    postfixVersion: props.postfixVersion ?? TEST_POSTFIX_VERSION,
    ...(props.smtpService !== false ? { smtpPort: port, listenAddress: LOOPBACK } : {}),
    additionalParameters: { ...(props.additionalParameters ?? {}), ...NO_OUTBOUND_DELIVERY },
  };
}

/** A PostfixServer on 127.0.0.1 that can never deliver to another host. */
export function testServer(scope: TerraformStack, id: string, props: TestServerProps): PostfixServer {
  const { port, ...rest } = props;
  if (props.smtpService !== false && port === undefined) throw new Error(`test server ${id} needs a port`);
  return new PostfixServer(scope, id, onLoopback<PostfixServerProps>(rest, port));
}

/** A synthesized test app: its stack JSON path and the directory to remove afterwards. */
export interface SynthesizedStack {
  readonly cdkTfJsonPath: string;
  readonly outdir: string;
}

/**
 * Builds `App({ outdir })` with one stack holding a DockerProvider, the PostfixImage (the shipped one of
 * TEST_POSTFIX_VERSION unless `imageProps` choose) and whatever `build` adds; returns the synthesized
 * `stacks/<name>/cdk.tf.json`.
 */
export function synthStack(
  outdir: string,
  name: string,
  build: (stack: TerraformStack, image: PostfixImage) => void,
  imageProps: PostfixImageProps = {},
): SynthesizedStack {
  const app = new App({ outdir, skipValidation: false });
  const stack = new TerraformStack(app, name);
  new DockerProvider(stack, 'docker', {});
  const image = new PostfixImage(stack, 'Image', { ...imageProps, postfixVersion: imageProps.postfixVersion ?? TEST_POSTFIX_VERSION });
  build(stack, image);
  app.synth();
  return { cdkTfJsonPath: join(outdir, 'stacks', name, 'cdk.tf.json'), outdir };
}

/** A container for `server` on the host network, named `name` (unique across test files). */
export function testContainer(stack: TerraformStack, server: PostfixServer, image: PostfixImage, name: string): PostfixContainer {
  return new PostfixContainer(stack, `${server.node.id}Container`, { server, image, containerName: name, hostNetwork: true });
}

/**
 * Synthesizes and starts a stack; the returned harness must be destroyed in afterAll (it also removes
 * what it created if the test process dies).
 */
export async function startStack(
  outdir: string,
  name: string,
  build: (stack: TerraformStack, image: PostfixImage) => void,
  imageProps: PostfixImageProps = {},
): Promise<DockerHarness> {
  const { cdkTfJsonPath } = synthStack(outdir, name, build, imageProps);
  const harness = DockerHarness.fromFile(cdkTfJsonPath);
  try {
    await harness.up();
  } catch (e) {
    await harness.destroy().catch(() => undefined);
    throw e;
  }
  return harness;
}

/**
 * One test file's live stack: `start` it in beforeAll; the afterAll registered here removes the containers,
 * volumes and the temporary directory, also when a test failed.
 */
export class LiveStack {
  private current?: DockerHarness;

  constructor(private readonly tmp: TempDir) {
    afterAll(async () => {
      await this.current?.destroy();
      tmp.cleanup();
    }, 60_000);
  }

  async start(name: string, build: (stack: TerraformStack, image: PostfixImage) => void, imageProps: PostfixImageProps = {}): Promise<DockerHarness> {
    this.current = await startStack(`${this.tmp.path}/out`, name, build, imageProps);
    return this.current;
  }

  /** The running stack; throws when beforeAll could not start it. */
  get harness(): DockerHarness {
    if (!this.current) throw new Error('stack did not start');
    return this.current;
  }
}

/**
 * Warnings Postfix or the entrypoint logged about the configuration of each container (e.g. "unused
 * parameter" for a name Postfix does not know, or a value it had to correct), by container name.
 */
export async function postfixWarnings(harness: DockerHarness): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of harness.containerNames) {
    const logs = await harness.logs(name);
    out[name] = logs.split('\n').filter((l) => /warning|fatal|panic|error/i.test(l) && !/TLS library problem|SSL_accept error|lost connection|authentication failed|SASL authentication failure|SASL [A-Z]+ authentication failed|non-SMTP command from/.test(l));
  }
  return out;
}
