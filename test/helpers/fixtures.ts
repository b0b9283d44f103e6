/**
 * Shared fixtures of the construct and example tests: a test PKI made at test time in a tmp dir (never
 * committed, never snapshotted), deliberately bad certificate inputs, and small cdktf synth helpers.
 *
 * Use `const pki = useTestPki();` at the top of a test file: it builds the PKI once in `beforeAll` and removes
 * it in `afterAll`; call `pki()` inside tests.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, TerraformStack, Testing } from 'cdktf';
import { CertificateFiles, LocalPki } from '../../lib/pki/local-pki';
import { Construct } from 'constructs';
import { ClientIdentity, ServerCertificate } from '../../constructs/certificates';
import { ClientCertPolicy, ClientCertPolicyProps } from '../../constructs/client-cert-policy';
import { PostfixServer, PostfixServerProps, SaslBackend } from '../../constructs/postfix-server';
import { SessionCache, SessionCacheProps } from '../../constructs/session-cache';
import { SmtpClientTls, SmtpClientTlsProps } from '../../constructs/smtp-client-tls';
import { SubmissionPort, SubmissionPortProps } from '../../constructs/submission-port';
import { TlsServer, TlsServerProps } from '../../constructs/tls-server';

export const HOST = 'mx.example.com';

/** A chain file (leaf first) and its key file, as `ServerCertificate.fromFiles` takes them. */
export interface KeyPairFiles {
  readonly chainFile: string;
  readonly keyFile: string;
}

/** Inputs that must be refused, each a real file made at test time. */
export interface BadInputs {
  /** The ECDSA server chain with its key encrypted under a passphrase (PKCS#8 "ENCRYPTED PRIVATE KEY"). */
  readonly encryptedKey: KeyPairFiles;
  /** The ECDSA server chain with a freshly generated, unrelated ECDSA key. */
  readonly mismatchedKey: KeyPairFiles;
  /** Intermediate first, then the server certificate; the right key. */
  readonly reversedChain: KeyPairFiles;
  /** A certificate for mx.example.com with extendedKeyUsage clientAuth only, used as a server certificate. */
  readonly clientOnly: KeyPairFiles;
  /** A server certificate for mx.example.com valid 2020-01-01 .. 2021-01-01. */
  readonly expired: KeyPairFiles;
  /** A valid server certificate for other.example.org only. */
  readonly otherHost: KeyPairFiles;
  /** A client certificate (clientAuth) valid 2020-01-01 .. 2021-01-01. */
  readonly expiredClientCert: string;
  /** A leaf (non-CA) certificate, for places that want a CA. */
  readonly nonCaCert: string;
}

export interface TestPki {
  readonly dir: string;
  readonly pki: LocalPki;
  readonly root: CertificateFiles;
  readonly intermediate: CertificateFiles;
  readonly serverRsa: CertificateFiles;
  readonly serverEcdsa: CertificateFiles;
  /** A dedicated root CA for client certificates. */
  readonly clientCa: CertificateFiles;
  /** A second, unrelated client CA (for "more than one trusted CA" rules). */
  readonly otherClientCa: CertificateFiles;
  readonly client: CertificateFiles;
  readonly client2: CertificateFiles;
  /** A SASL credentials file (`user password` per line, mode 0600) for SaslBackend.cyrusSasldb. */
  readonly saslCredentials: string;
  /** The password in `saslCredentials`, to prove it never leaks. */
  readonly saslPassword: string;
  readonly bad: BadInputs;
}

const PAST = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') };

function writeSecret(path: string, content: string): string {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** Builds the whole test PKI (about a second; RSA keys dominate). */
export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'postfix-test-pki-'));
  const pki = new LocalPki(join(dir, 'pki'));
  const root = await pki.ensureRootCa('root');
  const intermediate = await pki.ensureIntermediate('intermediate', 'root');
  const serverRsa = await pki.ensureServerCert('mx-rsa', { issuer: 'intermediate', hostnames: [HOST], algorithm: 'rsa' });
  const serverEcdsa = await pki.ensureServerCert('mx-ecdsa', { issuer: 'intermediate', hostnames: [HOST], algorithm: 'ecdsa' });
  const clientCa = await pki.ensureRootCa('client-ca');
  const otherClientCa = await pki.ensureRootCa('other-client-ca');
  const client = await pki.ensureClientCert('client', { issuer: 'client-ca', commonName: 'relay.example.net' });
  const client2 = await pki.ensureClientCert('client2', { issuer: 'client-ca', commonName: 'backup.example.net' });

  const clientOnly = await pki.ensureServerCert('mx-client-only', { issuer: 'intermediate', hostnames: [HOST], extendedKeyUsage: ['clientAuth'] });
  const expired = await pki.ensureServerCert('mx-expired', { issuer: 'intermediate', hostnames: [HOST], ...PAST });
  const otherHost = await pki.ensureServerCert('other-host', { issuer: 'intermediate', hostnames: ['other.example.org'] });
  const expiredClient = await pki.ensureClientCert('client-expired', { issuer: 'client-ca', commonName: 'old.example.net', ...PAST });

  const bad = join(dir, 'bad');
  mkdirSync(bad);
  const ecdsaKeyPem = readFileSync(serverEcdsa.keyPath, 'utf8');
  const encryptedKey = createPrivateKey(ecdsaKeyPem)
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'test-passphrase' })
    .toString();
  const unrelated = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const reversed = join(bad, 'reversed.chain.pem');
  writeFileSync(reversed, readFileSync(intermediate.certPath, 'utf8') + readFileSync(serverEcdsa.certPath, 'utf8'));

  const saslPassword = 'correct-horse-battery-staple';
  const saslCredentials = writeSecret(join(dir, 'sasl-credentials'), `alice@example.com ${saslPassword}\n`);

  return {
    dir,
    pki,
    saslCredentials,
    saslPassword,
    root,
    intermediate,
    serverRsa,
    serverEcdsa,
    clientCa,
    otherClientCa,
    client,
    client2,
    bad: {
      encryptedKey: { chainFile: serverEcdsa.chainPath, keyFile: writeSecret(join(bad, 'encrypted.key.pem'), encryptedKey) },
      mismatchedKey: { chainFile: serverEcdsa.chainPath, keyFile: writeSecret(join(bad, 'unrelated.key.pem'), unrelated) },
      reversedChain: { chainFile: reversed, keyFile: serverEcdsa.keyPath },
      clientOnly: { chainFile: clientOnly.chainPath, keyFile: clientOnly.keyPath },
      expired: { chainFile: expired.chainPath, keyFile: expired.keyPath },
      otherHost: { chainFile: otherHost.chainPath, keyFile: otherHost.keyPath },
      expiredClientCert: expiredClient.certPath,
      nonCaCert: client.certPath,
    },
  };
}

/** Registers beforeAll/afterAll that build and remove a test PKI; returns an accessor for tests. */
export function useTestPki(): () => TestPki {
  let current: TestPki | undefined;
  beforeAll(async () => {
    current = await createTestPki();
  }, 60_000);
  afterAll(() => {
    if (current) rmSync(current.dir, { recursive: true, force: true });
  });
  return () => {
    if (!current) throw new Error('test PKI not built yet: call it inside a test or hook');
    return current;
  };
}

/**
 * A DSA server certificate for mx.example.com issued by the test intermediate, made with the openssl CLI (node
 * cannot issue certificates). Returns the chain (leaf + intermediate) and key files.
 */
export function makeDsaServerCert(t: TestPki): KeyPairFiles {
  const dir = join(t.dir, 'dsa');
  mkdirSync(dir, { recursive: true });
  const file = (name: string): string => join(dir, name);
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', file('params.pem')]);
  run(['genpkey', '-paramfile', file('params.pem'), '-out', file('dsa.key.pem')]);
  chmodSync(file('dsa.key.pem'), 0o600);
  run(['req', '-new', '-key', file('dsa.key.pem'), '-subj', `/CN=${HOST}`, '-out', file('dsa.csr')]);
  writeFileSync(
    file('ext.cnf'),
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${HOST}\n`,
  );
  run([
    'x509', '-req', '-in', file('dsa.csr'), '-CA', t.intermediate.certPath, '-CAkey', t.intermediate.keyPath,
    '-set_serial', '0x5a5a5a5a', '-days', '365', '-sha256', '-extfile', file('ext.cnf'), '-out', file('dsa.crt.pem'),
  ]);
  writeFileSync(file('dsa.chain.pem'), readFileSync(file('dsa.crt.pem'), 'utf8') + readFileSync(t.intermediate.certPath, 'utf8'));
  return { chainFile: file('dsa.chain.pem'), keyFile: file('dsa.key.pem') };
}

export function serverCert(files: CertificateFiles | KeyPairFiles): ServerCertificate {
  return 'chainFile' in files
    ? ServerCertificate.fromFiles(files)
    : ServerCertificate.fromFiles({ chainFile: files.chainPath, keyFile: files.keyPath });
}

export function clientIdentity(files: CertificateFiles, name: string): ClientIdentity {
  return ClientIdentity.fromCertificateFile(files.certPath, name);
}

/** Fixed, made-up SHA-256 fingerprints for snapshot cases (freshly generated certificates differ on every run). */
export const FIXED_FINGERPRINTS = {
  relay: '0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9',
  backup: 'F0:E1:D2:C3:B4:A5:96:87:78:69:5A:4B:3C:2D:1E:0F:F0:E1:D2:C3:B4:A5:96:87:78:69:5A:4B:3C:2D:1E:0F',
  blocked: '11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00',
} as const;

let outdirRoot: string | undefined;
// Testing.app() would leave one tmp outdir per app behind; these live under one root removed after each file.
afterAll(() => {
  if (outdirRoot) rmSync(outdirRoot, { recursive: true, force: true });
  outdirRoot = undefined;
});

/** A fresh `Testing.app()` (own tmp outdir, removed after the test file) with one stack named `stack`. */
export function newStack(id = 'stack'): { app: App; stack: TerraformStack } {
  outdirRoot ??= mkdtempSync(join(tmpdir(), 'postfix-cdktf-test-'));
  const app = Testing.app({ outdir: mkdtempSync(join(outdirRoot, 'app-')) });
  return { app, stack: new TerraformStack(app, id) };
}

export interface SynthResult<T> {
  readonly app: App;
  readonly stack: TerraformStack;
  /** What `build` returned. */
  readonly built: T;
  /** `Testing.synth(stack, true)`: the Terraform JSON, validations run. */
  readonly json: string;
  readonly parsed: { resource?: Record<string, Record<string, Record<string, unknown>>> } & Record<string, unknown>;
}

/** Builds a stack with `build` and synthesizes it with validations (`Testing.synth(stack, true)`). */
export function synthStack<T>(build: (stack: TerraformStack) => T): SynthResult<T> {
  const { app, stack } = newStack();
  const built = build(stack);
  const json = Testing.synth(stack, true);
  return { app, stack, built, json, parsed: JSON.parse(json) };
}

/** One annotation as cdktf writes it into the synth manifest. */
export interface ManifestAnnotation {
  readonly constructPath: string;
  readonly level: string;
  readonly message: string;
}

/** Runs the real `app.synth()` into the app's outdir and returns the annotations of stack `stackId` from manifest.json. */
export function fullSynthAnnotations(app: App, stackId = 'stack'): ManifestAnnotation[] {
  app.synth();
  const manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { annotations: ManifestAnnotation[] }>;
  };
  return manifest.stacks[stackId].annotations;
}

/** The error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

/** Every regular file under `dir`, recursively, as absolute paths. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The base64 body lines of a PEM key file (to prove they never leak, not only the "PRIVATE KEY" label). */
export function keyBodyLines(keyPath: string): string[] {
  return readFileSync(keyPath, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'));
}

/** A fresh tmp directory, removed by the returned cleanup. */
export function tmpDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The parts of a server for `buildServer`; each child is only created when given. */
export interface ServerParts {
  /** Merged over `{ hostname: HOST }` (plus a Cyrus SASL backend when there are submission ports). */
  readonly server?: Partial<PostfixServerProps>;
  /** TlsServer props; default `{ certificates: [the ECDSA test certificate] }`; `false` for no TlsServer. */
  readonly tls?: TlsServerProps | false;
  readonly clientCerts?: ClientCertPolicyProps;
  readonly sessionCache?: SessionCacheProps;
  readonly smtpClient?: SmtpClientTlsProps;
  readonly submissions?: readonly SubmissionPortProps[];
}

/** A server `id` with children ids `Tls`, `ClientCerts`, `Sessions`, `Outbound`, `Submission0..n`. */
export function buildServer(scope: Construct, id: string, t: TestPki, parts: ServerParts = {}): PostfixServer {
  const submissions = parts.submissions ?? [];
  const server = new PostfixServer(scope, id, {
    hostname: HOST,
    ...(submissions.length > 0 ? { sasl: SaslBackend.cyrus() } : {}),
    ...parts.server,
  });
  if (parts.tls !== false) new TlsServer(server, 'Tls', parts.tls ?? { certificates: [serverCert(t.serverEcdsa)] });
  if (parts.clientCerts) new ClientCertPolicy(server, 'ClientCerts', parts.clientCerts);
  if (parts.sessionCache) new SessionCache(server, 'Sessions', parts.sessionCache);
  if (parts.smtpClient) new SmtpClientTls(server, 'Outbound', parts.smtpClient);
  submissions.forEach((props, i) => new SubmissionPort(server, `Submission${i}`, props));
  return server;
}

/** `name = value` lines of a rendered main.cf, in order (comments and blank lines left out). */
export function mainCfLines(mainCf: string): string[] {
  return mainCf.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** The block of one master.cf service (its line and its indented `-o` lines), by the first column. */
export function masterService(masterCf: string, name: string, type = 'inet'): string[] | undefined {
  const lines = masterCf.split('\n');
  const start = lines.findIndex((line) => {
    const [first, second] = line.split(/\s+/);
    return first === name && second === type;
  });
  if (start < 0) return undefined;
  const block = [lines[start]];
  for (let i = start + 1; i < lines.length && /^\s/.test(lines[i]); i++) block.push(lines[i].trim());
  return block;
}

/** Runs the real openssl binary with `input` on stdin; returns stdout. */
export function openssl(args: readonly string[], input?: string | Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** `openssl x509 -noout -fingerprint -DIGEST`: the certificate fingerprint as Postfix prints it. */
export function opensslCertFingerprint(certPath: string, digest = 'sha256'): string {
  return openssl(['x509', '-noout', '-fingerprint', `-${digest}`, '-in', certPath]).toString().trim().split('=')[1];
}

/** `openssl x509 -pubkey | openssl pkey -pubin -outform DER | openssl dgst -DIGEST -c`, uppercased. */
export function opensslPublicKeyFingerprint(certPath: string, digest = 'sha256'): string {
  const pub = openssl(['x509', '-noout', '-pubkey', '-in', certPath]);
  const spki = openssl(['pkey', '-pubin', '-outform', 'DER'], pub);
  const out = openssl([`dgst`, `-${digest}`, '-c'], spki).toString().trim();
  return out.slice(out.lastIndexOf(' ') + 1).toUpperCase();
}

/** `openssl x509 -noout -subject_hash`. */
export function opensslSubjectHash(certPath: string): string {
  return openssl(['x509', '-noout', '-subject_hash', '-in', certPath]).toString().trim();
}
