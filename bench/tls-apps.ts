/**
 * The two sides of the TLS benchmark, each synthesized to a cdk.tf.json that the integration harness
 * runs as it is (host networking, 127.0.0.1 ports 31000-31999, no outbound delivery):
 *
 * - the library: PostfixServer + TlsServer with library defaults (INTERMEDIATE profile) and an ECDSA
 *   P-256 certificate, plus the default SessionCache; variants beside it answer "what would a different
 *   default cost" (dual RSA + ECDSA, RSA only, log level 0, asking for client certificates, an LMDB
 *   session cache, Postfix's shorter smtpd max_use). Variants only change prop values in
 *   this bench stack, never the library.
 * - the baseline: Debian's default Postfix TLS setup, as a plain cdktf app (docker provider Image,
 *   Volume and Container resources) with a hand-written main.cf/master.cf: an RSA-2048 self-signed
 *   certificate (as Debian's make-ssl-cert makes the snakeoil one), `smtpd_tls_security_level = may`,
 *   nothing else TLS-related; Debian's master.cf (smtpd chrooted). It does not use the library's renderer.
 */
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { App, Fn, TerraformStack } from 'cdktf';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ClientCertPolicy,
  ClientIdentity,
  PostfixServer,
  PostfixVersion,
  ServerCertificate,
  SessionCache,
  SessionStore,
  TlsServer,
} from '../index';
import { CONFIG_VOLUME_PATH } from '../constructs/docker/postfix-container';
import { BOOKWORM_TEST_IMAGE, TRIXIE_TEST_IMAGE } from '../test/integration/docker-available';

/** The image each release runs (the shipped Dockerfile on Debian 12 / Debian 13). */
export const BENCH_IMAGES: Readonly<Record<PostfixVersion, string>> = {
  [PostfixVersion.V3_7]: BOOKWORM_TEST_IMAGE.name,
  [PostfixVersion.V3_10]: TRIXIE_TEST_IMAGE.name,
};
import { CertificateFiles, LocalPki } from '../lib/pki/local-pki';
import { LOOPBACK, NO_OUTBOUND_DELIVERY, synthStack, testContainer, testServer } from '../test/integration/stacks';

/** Every container of the benchmark carries this prefix; ports are 31000-31999 on 127.0.0.1. */
export const BENCH_PREFIX = 'pfbench-';

export interface BenchCertificates {
  readonly ecdsa: CertificateFiles;
  readonly rsa: CertificateFiles;
  readonly clientCa: CertificateFiles;
  readonly client: CertificateFiles;
  /** Self-signed RSA-2048 certificate and key of the baseline (Debian's snakeoil recipe). */
  readonly baselineCert: string;
  readonly baselineKey: string;
}

export const BENCH_DOMAIN = 'bench.test';

/** A server of the benchmark: the headline ones and the "what if this default changed" variants. */
export interface BenchVariant {
  readonly id: string;
  readonly container: string;
  readonly port: number;
  readonly hostname: string;
  /** What differs from the library defaults. */
  readonly description: string;
  /** Measured in every part of the benchmark (throughput, startup), not only CPU per session. */
  readonly headline: boolean;
  /** The Postfix release (and image) it runs: 3.7 on Debian 12 / OpenSSL 3.0, 3.10 on Debian 13 / OpenSSL 3.5. */
  readonly version: PostfixVersion;
  /** Sequential modes measured (default: full and resumed, plus no-STARTTLS for headline servers). */
  readonly modes?: readonly ('full' | 'resumed' | 'plain')[];
  /** Adds TlsServer and friends to `server`; undefined for the baseline. */
  readonly build?: (server: PostfixServer, certs: BenchCertificates) => void;
  /** PostfixServer props beyond hostname and port. */
  readonly serverProps?: { additionalParameters?: Record<string, string>; maxUse?: number };
}

interface VariantOptions {
  readonly version?: PostfixVersion;
  readonly serverProps?: BenchVariant['serverProps'];
  readonly modes?: BenchVariant['modes'];
}

const ecdsaCert = (c: BenchCertificates): ServerCertificate => ServerCertificate.fromFiles({ chainFile: c.ecdsa.chainPath, keyFile: c.ecdsa.keyPath });
const rsaCert = (c: BenchCertificates): ServerCertificate => ServerCertificate.fromFiles({ chainFile: c.rsa.chainPath, keyFile: c.rsa.keyPath });

function variant(id: string, port: number, headline: boolean, description: string, build: BenchVariant['build'], options: VariantOptions = {}): BenchVariant {
  const version = options.version ?? PostfixVersion.V3_7;
  return { id, container: `${BENCH_PREFIX}${id}`, port, hostname: `${id}.${BENCH_DOMAIN}`, description, headline, version, build, serverProps: options.serverProps, modes: options.modes };
}

const defaults: BenchVariant['build'] = (server, c) => {
  new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)] });
  new SessionCache(server, 'Sessions');
};

export const LIBRARY = variant('library', 31025, true, 'library defaults (INTERMEDIATE), ECDSA P-256, default SessionCache (tickets)', (server, c) => {
  new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)] });
  new SessionCache(server, 'Sessions');
});

export const BASELINE: BenchVariant = {
  id: 'baseline',
  container: `${BENCH_PREFIX}baseline`,
  port: 31925,
  hostname: `baseline.${BENCH_DOMAIN}`,
  description: "Debian 12's default: RSA-2048 self-signed, smtpd_tls_security_level = may, nothing else (Postfix 3.7, OpenSSL 3.0)",
  headline: true,
  version: PostfixVersion.V3_7,
};

/** The library's defaults on Postfix 3.10 / OpenSSL 3.5: X25519MLKEM768 offered first (postQuantumKeyExchange). */
export const LIBRARY_310 = variant('library-310', 31035, true, 'library defaults on Postfix 3.10 / OpenSSL 3.5 (X25519MLKEM768 first), ECDSA P-256, tickets', defaults, { version: PostfixVersion.V3_10 });

/** LIBRARY_310 with classic groups only: the PQ/X25519 comparison on the same release. */
export const LIBRARY_310_X25519 = variant(
  'lib310-x25519',
  31135,
  false,
  'postQuantumKeyExchange false on 3.10: X25519 (the same client offers X25519MLKEM768 and X25519 key shares)',
  (server, c) => {
    new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)], postQuantumKeyExchange: false });
    new SessionCache(server, 'Sessions');
  },
  { version: PostfixVersion.V3_10, modes: ['full', 'resumed'] },
);

export const BASELINE_310: BenchVariant = {
  id: 'baseline-310',
  container: `${BENCH_PREFIX}baseline-310`,
  port: 31935,
  hostname: `baseline-310.${BENCH_DOMAIN}`,
  description: "Debian 13's default: RSA-2048 self-signed, smtpd_tls_security_level = may, nothing else (Postfix 3.10, OpenSSL 3.5)",
  headline: true,
  version: PostfixVersion.V3_10,
};

/** Debian's default configuration, one per release. */
export const BASELINES: readonly BenchVariant[] = [BASELINE, BASELINE_310];

/** Every library-side server, headline first. */
export const LIBRARY_VARIANTS: readonly BenchVariant[] = [
  LIBRARY,
  variant('library-dual', 31125, false, 'ECDSA P-256 + RSA-2048 (dual), otherwise defaults', (server, c) => {
    new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c), rsaCert(c)] });
    new SessionCache(server, 'Sessions');
  }),
  variant('lib-rsa', 31225, false, 'RSA-2048 only (isolates the certificate from the rest of the config)', (server, c) => {
    new TlsServer(server, 'Tls', { certificates: [rsaCert(c)] });
    new SessionCache(server, 'Sessions');
  }),
  variant('lib-loglevel0', 31325, false, 'logLevel 0 (Postfix default) instead of 1', (server, c) => {
    new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)], logLevel: 0 });
    new SessionCache(server, 'Sessions');
  }),
  variant('lib-ask-ccert', 31425, false, 'ClientCertPolicy with a CAfile and relayClients (asks every client for a certificate)', (server, c) => {
    new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)] });
    new ClientCertPolicy(server, 'ClientCerts', {
      trustedCaFiles: [c.clientCa.certPath],
      relayClients: [ClientIdentity.fromCertificateFile(c.client.certPath, 'relay.bench.test')],
    });
    new SessionCache(server, 'Sessions');
  }),
  variant('lib-lmdb', 31525, false, 'SessionStore.lmdb() cache database instead of tickets', (server, c) => {
    new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)] });
    new SessionCache(server, 'Sessions', { store: SessionStore.lmdb() });
  }),
  variant(
    'lib-max-use-100',
    31625,
    false,
    "maxUse 100 (Postfix's default) instead of the library's 1000: smtpd re-execs ten times as often",
    (server, c) => {
      new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)] });
      new SessionCache(server, 'Sessions');
    },
    { serverProps: { maxUse: 100 } },
  ),
  LIBRARY_310,
  LIBRARY_310_X25519,
  variant('lib310-loglevel0', 31335, false, 'logLevel 0 on 3.10', (server, c) => {
    new TlsServer(server, 'Tls', { certificates: [ecdsaCert(c)], logLevel: 0 });
    new SessionCache(server, 'Sessions');
  }, { version: PostfixVersion.V3_10 }),
];

/** Certificates for every bench server, generated into `dir` (removed by the caller). */
export async function benchCertificates(dir: string, hostnames: readonly string[]): Promise<BenchCertificates> {
  const pki = new LocalPki(join(dir, 'pki'));
  await pki.ensureRootCa('bench-root');
  const ecdsa = await pki.ensureServerCert('bench-ecdsa', { issuer: 'bench-root', hostnames, algorithm: 'ecdsa' });
  const rsa = await pki.ensureServerCert('bench-rsa', { issuer: 'bench-root', hostnames, algorithm: 'rsa' });
  const clientCa = await pki.ensureRootCa('bench-client-ca');
  const client = await pki.ensureClientCert('bench-client', { issuer: 'bench-client-ca', commonName: 'relay.bench.test' });
  // Debian's make-ssl-cert: `openssl req -new -x509 -days 3650 -nodes -sha256` with a 2048-bit RSA key.
  const snakeoil = join(dir, 'snakeoil');
  mkdirSync(snakeoil, { mode: 0o700 });
  const baselineCert = join(snakeoil, 'ssl-cert-snakeoil.pem');
  const baselineKey = join(snakeoil, 'ssl-cert-snakeoil.key');
  execFileSync('openssl', [
    'req', '-new', '-x509', '-days', '3650', '-nodes', '-sha256', '-newkey', 'rsa:2048',
    '-subj', `/CN=${BASELINE.hostname}`, '-addext', `subjectAltName=DNS:${BASELINE.hostname}`,
    '-keyout', baselineKey, '-out', baselineCert,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  chmodSync(baselineKey, 0o600);
  return { ecdsa, rsa, clientCa, client, baselineCert, baselineKey };
}

/**
 * Synthesizes the library stack of one release (the given variants of that release, one container each,
 * its shipped image); returns its cdk.tf.json path.
 */
export function synthLibraryStack(outdir: string, certs: BenchCertificates, variants: readonly BenchVariant[], version: PostfixVersion = PostfixVersion.V3_7): string {
  const name = version === PostfixVersion.V3_7 ? 'bench-tls-library' : 'bench-tls-library-310';
  return synthStack(outdir, name, (stack, image) => {
    for (const v of variants.filter((x) => x.version === version)) {
      const server = testServer(stack, v.id, { hostname: v.hostname, port: v.port, postfixVersion: version, ...(v.serverProps ?? {}) });
      v.build?.(server, certs);
      testContainer(stack, server, image, v.container);
    }
  }, { postfixVersion: version }).cdkTfJsonPath;
}

/** Debian's master.cf services (/usr/share/postfix/master.cf.dist: the same in 12 and 13), smtp on 127.0.0.1:PORT. */
function debianMasterCf(port: number): string {
  return `# Debian 12/13 master.cf (master.cf.dist), smtp on ${LOOPBACK}:${port}; optional pipe transports left out
${LOOPBACK}:${port} inet n - y - - smtpd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
verify    unix  -       -       y       -       1       verify
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       y       -       -       showq
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       y       -       -       lmtp
anvil     unix  -       -       y       -       1       anvil
scache    unix  -       -       y       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;
}

/**
 * Debian 12's main.cf as postinst writes it (main.cf.debian + main.cf.tls), smtpd part only, with what a
 * container needs: log to stdout (Debian logs to syslog), and no outbound delivery.
 */
function debianMainCf(hostname: string, version: PostfixVersion): string {
  // Debian 13's main.cf.debian: compatibility_level 3.9, "(Debian)" banner, mynetworks 127.0.0.0/8, a mailbox
  // limit; its `nis:mail.aliases` alias map is left out (no NIS here). The TLS part (main.cf.tls) is unchanged.
  const head =
    version === PostfixVersion.V3_7
      ? `# Debian 12 default main.cf (postinst: main.cf.debian + main.cf.tls), for the TLS benchmark baseline
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
`
      : `# Debian 13 default main.cf (postinst: main.cf.debian + main.cf.tls), for the TLS benchmark baseline
compatibility_level = 3.9
myorigin = $myhostname
smtpd_banner = $myhostname ESMTP $mail_name (Debian)
mynetworks_style = host
mynetworks = 127.0.0.0/8
biff = no
`;
  return `${head}
# TLS parameters (main.cf.tls): a self-signed RSA-2048 certificate and opportunistic TLS, nothing else
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may

myhostname = ${hostname}
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
mydestination = $myhostname, localhost${version === PostfixVersion.V3_7 ? '' : '.$mydomain, localhost'}
relayhost =
mailbox_size_limit = ${version === PostfixVersion.V3_7 ? '0' : '51200000'}
recipient_delimiter = ${version === PostfixVersion.V3_7 ? '+' : ''}

# Container: Postfix's own logger to stdout (Debian's syslog does not exist here)
maillog_file = /dev/stdout

# Benchmark safety: nothing can leave the host
${Object.entries(NO_OUTBOUND_DELIVERY).map(([k, v]) => `${k} = ${v}`).join('\n')}
`;
}

/**
 * Baselines (Debian's default configuration, per release) as a plain cdktf app; returns its cdk.tf.json
 * path. Default: the Debian 12 one alone (what tls-compatibility.test.ts starts); the bench passes BASELINES.
 */
export function synthBaselineStack(outdir: string, certs: BenchCertificates, baselines: readonly BenchVariant[] = [BASELINE]): string {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'bench-tls-baseline');
  new DockerProvider(stack, 'docker', {});
  for (const version of [...new Set(baselines.map((b) => b.version))]) {
    const suffix = version === PostfixVersion.V3_7 ? '' : '310';
    const image = new Image(stack, `Image${suffix}`, { name: BENCH_IMAGES[version], keepLocally: true });
    for (const b of baselines.filter((x) => x.version === version)) baselineContainer(stack, `Postfix${suffix}`, image, b, certs);
  }
  app.synth();
  return join(outdir, 'stacks', 'bench-tls-baseline', 'cdk.tf.json');
}

function baselineContainer(stack: TerraformStack, id: string, image: Image, baseline: BenchVariant, certs: BenchCertificates): void {
  const BASELINE = baseline;
  const queue = new Volume(stack, `${id}Queue`, { name: `postfix-queue-${BASELINE.container}` });
  new Container(stack, id, {
    name: BASELINE.container,
    image: image.imageId,
    networkMode: 'host',
    restart: 'unless-stopped',
    mustRun: true,
    volumes: [{ volumeName: queue.name, containerPath: '/var/spool/postfix' }],
    // The same probe as the library's container, so both carry the same background load.
    healthcheck: { test: ['CMD', '/usr/local/bin/healthcheck.sh', String(BASELINE.port), 'plain'], interval: '10s', timeout: '8s', startPeriod: '5s', retries: 3 },
    // Debian's configuration as the one generation of the image's contract (docker/README.md), no loader.
    upload: [
      { file: `${CONFIG_VOLUME_PATH}/generations/baseline/main.cf`, content: debianMainCf(BASELINE.hostname, BASELINE.version) },
      { file: `${CONFIG_VOLUME_PATH}/generations/baseline/master.cf`, content: debianMasterCf(BASELINE.port) },
      { file: `${CONFIG_VOLUME_PATH}/latest`, content: 'baseline\n' },
      { file: '/etc/ssl/certs/ssl-cert-snakeoil.pem', content: readFileSync(certs.baselineCert, 'utf8') },
      { file: '/etc/ssl/private/ssl-cert-snakeoil.key', source: certs.baselineKey, sourceHash: Fn.filesha256(certs.baselineKey), permissions: '0600' },
    ],
  });
}
