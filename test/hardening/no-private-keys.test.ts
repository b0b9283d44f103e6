/**
 * A search for private key material in everything synth, the review render and the tests leave behind:
 *
 * - synth of the example app (buildExampleApp with a fresh PKI in a temporary directory) into a temporary
 *   outdir, and the review render of the same app (writeReviewDirectory);
 * - every committed file under test/**\/__snapshots__/;
 * - bench/results/ and, when present, the repository's cdktf.out/ and rendered/ (made by `npm run synth`
 *   and `npm run render` with the repository's .pki/).
 *
 * Needles: any PEM "PRIVATE KEY" header (RSA, EC, ENCRYPTED, PKCS#8), every base64 line of every key the
 * PKI generated (read from its directory), the SASL password of the credentials file; and the same inside
 * any long base64 run (a file uploaded as content_base64 would hide the PEM). A planted key proves the
 * scanner finds what it is looking for.
 *
 * Then key material (made at run time) is pushed through every PEM-taking prop: each stack either is refused
 * with a message that names the prop, or synthesizes; synth output, review render and every message are
 * searched the same way.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { App, Fn, TerraformStack } from 'cdktf';
import { generateKeyPairSync } from 'node:crypto';
import { ClientIdentity, ServerCertificate } from '../../constructs/certificates';
import { DeployTimePki } from '../../constructs/deploy-time-pki';
import { GENERATION_STAGING_DIRECTORY, PostfixContainer } from '../../constructs/docker/postfix-container';
import { PostfixImage } from '../../constructs/docker/postfix-image';
import { KeyAlgorithm } from '../../constructs/enums';
import { DhParameters } from '../../constructs/tls-server';
import { writeReviewDirectory } from '../../constructs/review';
import { buildExampleApp } from '../../example/mail-stack';
import { ffdheGroupPem } from '../../lib/pki/dh';
import { buildServer, mainCfLines, newStack, ServerParts, serverCert, TestPki, useTestPki } from '../helpers/fixtures';

const ROOT = resolve(__dirname, '..', '..');
const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Secrets to look for: a label (never the value) and the text. */
interface Needle {
  readonly label: string;
  readonly text: string;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) return [];
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/** Base64 lines of each PEM private key under `pkiDir`, and each SASL password (second field of credentials). */
function secretsOf(pkiDir: string): Needle[] {
  const needles: Needle[] = [];
  for (const file of filesUnder(pkiDir)) {
    const text = readFileSync(file, 'latin1');
    const keys = text.match(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z0-9 ]*PRIVATE KEY-----/g) ?? [];
    keys.forEach((pem, k) => {
      const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
      body.filter((l) => l.trim().length >= 32).forEach((line, i) => needles.push({ label: `${relative(pkiDir, file)} key ${k} line ${i + 1}`, text: line.trim() }));
      // The same key re-wrapped or on one line: the first 48 characters of the whole body.
      needles.push({ label: `${relative(pkiDir, file)} key ${k} (unwrapped)`, text: body.join('').slice(0, 48) });
    });
    if (/credentials/.test(file)) {
      for (const line of text.split('\n')) {
        const password = /^\s*\S+\s+(.+?)\s*$/.exec(line)?.[1];
        if (password && !line.trim().startsWith('#')) needles.push({ label: `password in ${relative(pkiDir, file)}`, text: password });
      }
    }
  }
  return needles;
}

interface Finding {
  readonly file: string;
  readonly what: string;
}

/** Searches one file's text, and the decoded form of every long base64 run in it. */
function scan(file: string, needles: readonly Needle[]): Finding[] {
  const text = readFileSync(file, 'latin1');
  const layers = [text];
  for (const run of text.match(/[A-Za-z0-9+/]{80,}={0,2}/g) ?? []) layers.push(Buffer.from(run, 'base64').toString('latin1'));
  const findings: Finding[] = [];
  for (const layer of layers) {
    const where = layer === text ? '' : ' (inside base64)';
    if (PRIVATE_KEY_HEADER.test(layer)) findings.push({ file, what: `a PEM PRIVATE KEY header${where}` });
    for (const needle of needles) if (layer.includes(needle.text)) findings.push({ file, what: `${needle.label}${where}` });
  }
  return findings;
}

function committedSnapshots(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z', '--', 'test'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((p) => /(^|\/)__snapshots__\//.test(p))
      .map((p) => join(ROOT, p));
  } catch {
    // No git (e.g. an exported tree): every snapshot file on disk.
    return filesUnder(join(ROOT, 'test')).filter((p) => /\/__snapshots__\//.test(p));
  }
}

describe('no private key material in synth, render, snapshots and bench output', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'postfix-keysearch-'));
  const pkiDir = join(tmp, 'pki');
  const outdir = join(tmp, 'cdktf.out');
  const reviewDir = join(tmp, 'review');
  let needles: Needle[] = [];

  beforeAll(async () => {
    const previous = process.env.CDKTF_OUTDIR;
    process.env.CDKTF_OUTDIR = outdir; // buildExampleApp makes `new App()`, which reads it
    try {
      const app = await buildExampleApp(pkiDir);
      app.synth();
      writeReviewDirectory(app, reviewDir);
    } finally {
      if (previous === undefined) delete process.env.CDKTF_OUTDIR;
      else process.env.CDKTF_OUTDIR = previous;
    }
    needles = secretsOf(pkiDir);
  }, 60_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('the fresh PKI has keys and a SASL password to look for', () => {
    const keyFiles = filesUnder(pkiDir).filter((f) => PRIVATE_KEY_HEADER.test(readFileSync(f, 'latin1')));
    expect(keyFiles.length).toBeGreaterThanOrEqual(6); // roots, intermediate, two server keys, client key
    expect(needles.filter((n) => n.label.startsWith('password')).length).toBeGreaterThanOrEqual(1);
    expect(needles.length).toBeGreaterThan(keyFiles.length * 2);
  });

  test('the scanner finds a planted key, a planted password and a key hidden in base64', () => {
    const plantDir = join(tmp, 'plant');
    const key = filesUnder(pkiDir).find((f) => f.endsWith('.key.pem'))!;
    const pem = readFileSync(key, 'utf8');
    const lines = pem.split('\n');
    const password = needles.find((n) => n.label.startsWith('password'))!.text;
    const planted = {
      'pem.json': JSON.stringify({ content: pem }),
      'body.tf.json': JSON.stringify({ content: lines.slice(1, -2).join('\n') }),
      'b64.json': JSON.stringify({ content_base64: Buffer.from(pem).toString('base64') }),
      'password.txt': `user ${password}\n`,
    };
    mkdirSync(plantDir);
    for (const [name, content] of Object.entries(planted)) writeFileSync(join(plantDir, name), content);
    for (const name of Object.keys(planted)) expect(scan(join(plantDir, name), needles).length).toBeGreaterThan(0);
    rmSync(plantDir, { recursive: true, force: true });
  });

  test('synth output and the review render of the example app hold no key material', () => {
    const files = [...filesUnder(outdir), ...filesUnder(reviewDir)];
    expect(files.some((f) => f.endsWith('cdk.tf.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('main.cf'))).toBe(true);
    expect(files.some((f) => f.endsWith('MANIFEST'))).toBe(true);
    const findings = files.flatMap((f) => scan(f, needles));
    console.log(`key search: ${files.length} files of synth + review render, ${needles.length} needles, ${findings.length} findings`);
    expect(findings.map((x) => `${relative(tmp, x.file)}: ${x.what}`)).toEqual([]);
    // The keys are there by path only (the docker provider reads them at deploy time).
    const stack = readFileSync(files.find((f) => f.endsWith('cdk.tf.json'))!, 'utf8');
    expect(stack).toMatch(/"source": ".*\.key\.pem"/);
    expect(stack).toMatch(/filesha256\(/);
  });

  test('committed snapshots, bench results and the repository\'s own synth/render output hold no key material', () => {
    const repoPki = join(ROOT, '.pki');
    const repoNeedles = [...needles, ...(existsSync(repoPki) ? secretsOf(repoPki) : [])];
    const snapshots = committedSnapshots();
    expect(snapshots.length).toBeGreaterThan(0);
    const files = [...snapshots, ...filesUnder(join(ROOT, 'bench', 'results')), ...filesUnder(join(ROOT, 'cdktf.out')), ...filesUnder(join(ROOT, 'rendered'))].filter(
      (f) => statSync(f).size < 50 * 1024 * 1024,
    );
    const findings = files.flatMap((f) => scan(f, repoNeedles));
    console.log(`key search: ${files.length} committed/generated files (${snapshots.length} snapshot files), ${repoNeedles.length} needles, ${findings.length} findings`);
    expect(findings.map((x) => `${relative(ROOT, x.file)}: ${x.what}`)).toEqual([]);
  });
});

const pki = useTestPki();

/** One way key material can arrive: the stack to build and whether it must be refused (with a message naming `prop`). */
interface LeakCase {
  readonly name: string;
  /** The prop (or factory) that must appear in the refusal; undefined when the stack must synthesize. */
  readonly refusedNaming?: string;
  readonly build: (stack: TerraformStack, t: TestPki, m: KeyMaterial) => void;
}

/** Key material made for this run, and files holding it next to public PEMs. */
interface KeyMaterial {
  readonly keyPem: string;
  /** The ECDSA server key, then its chain: the combined layout of smtpd_tls_chain_files. */
  readonly combinedFile: string;
  /** The ECDSA server chain with the fresh key appended (keyFile is separate). */
  readonly chainWithKey: string;
  readonly caWithKey: string;
  readonly dhWithKey: string;
  readonly clientCertWithKey: string;
}

/** A server with a container (so uploads reach cdk.tf.json) built from `parts`. */
function withServer(parts: (t: TestPki, m: KeyMaterial, stack: TerraformStack) => ServerParts) {
  return (stack: TerraformStack, t: TestPki, m: KeyMaterial): void => {
    const server = buildServer(stack, 'mx', t, parts(t, m, stack));
    new PostfixContainer(stack, 'Container', { server, image: new PostfixImage(stack, 'Image', { existingImageName: 'postfix-tls-cdktf:trixie' }) });
  };
}

/** A deploy-time server certificate whose key prop is `privateKeyPem(a tls_private_key resource)`. */
function deployTimeKey(privateKeyPem: (key: PrivateKey, m: KeyMaterial) => string) {
  return withServer((_t, m, stack) => {
    const key = new PrivateKey(stack, 'Key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
    const chainPem = new DeployTimePki(stack, 'Pki').rootCertPem;
    return { tls: { certificates: [ServerCertificate.fromDeployTimePem({ chainPem, privateKeyPem: privateKeyPem(key, m), algorithm: KeyAlgorithm.ECDSA })] } };
  });
}

/** A ClientCertPolicy whose `prop` gets `pem` (made from the material and the stack). */
function caPems(prop: 'trustedCaPems' | 'capathCaPems', pem: (t: TestPki, m: KeyMaterial, stack: TerraformStack) => string) {
  return withServer((t, m, stack) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], [prop]: [pem(t, m, stack)], relayClients: [ClientIdentity.fromCertificatePem(t.client.certPem, 'relay')] } }));
}

const LEAK_CASES: readonly LeakCase[] = [
  {
    name: 'fromFiles with one combined key + chain file (chainFile = keyFile) synthesizes, the file by path',
    build: withServer((_t, m) => ({ tls: { certificates: [ServerCertificate.fromFiles({ chainFile: m.combinedFile, keyFile: m.combinedFile })] } })),
  },
  { name: 'fromFiles chainFile with a key appended', refusedNaming: 'keyFile', build: withServer((t, m) => ({ tls: { certificates: [ServerCertificate.fromFiles({ chainFile: m.chainWithKey, keyFile: t.serverEcdsa.keyPath })] } })) },
  { name: 'trustedCaPems with a key block appended', refusedNaming: 'trustedCaPems[0]', build: caPems('trustedCaPems', (t, m) => `${t.otherClientCa.certPem}${m.keyPem}`) },
  { name: 'capathCaPems with a key block appended', refusedNaming: 'capathCaPems[0]', build: caPems('capathCaPems', (t, m) => `${t.otherClientCa.certPem}${m.keyPem}`) },
  { name: 'trustedCaPems as Fn.trimspace(CA + key)', refusedNaming: 'trustedCaPems[0]', build: caPems('trustedCaPems', (t, m) => Fn.trimspace(`${t.otherClientCa.certPem}${m.keyPem}`)) },
  { name: 'capathCaPems as a deploy-time CA concatenated with a literal key', refusedNaming: 'capathCaPems[0]', build: caPems('capathCaPems', (_t, m, stack) => `${new DeployTimePki(stack, 'Pki').rootCertPem}${m.keyPem}`) },
  { name: 'trustedCaPems as Fn.base64decode(base64 of a key)', refusedNaming: 'trustedCaPems[0]', build: caPems('trustedCaPems', (_t, m) => Fn.base64decode(Buffer.from(m.keyPem).toString('base64'))) },
  { name: 'trustedCaPems referencing a tls_private_key', refusedNaming: 'trustedCaPems[0]', build: caPems('trustedCaPems', (_t, _m, stack) => new PrivateKey(stack, 'Key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' }).privateKeyPem) },
  { name: 'trustedCaFiles with a key appended', refusedNaming: 'CA file', build: withServer((_t, m) => ({ clientCerts: { trustedCaFiles: [m.caWithKey], permitAllClientCertificates: true } })) },
  { name: 'capathCaFiles with a key appended', refusedNaming: 'CA file', build: withServer((_t, m) => ({ clientCerts: { capathCaFiles: [m.caWithKey], permitAllClientCertificates: true } })) },
  { name: 'fromDeployTimePem with a literal key', refusedNaming: 'fromDeployTimePem', build: deployTimeKey((_k, m) => m.keyPem) },
  { name: 'fromDeployTimePem with Fn.trimspace(literal key)', refusedNaming: 'privateKeyPem', build: deployTimeKey((_k, m) => Fn.trimspace(m.keyPem)) },
  { name: 'fromDeployTimePem with a literal key concatenated with a reference', refusedNaming: 'privateKeyPem', build: deployTimeKey((k, m) => `${m.keyPem}${k.privateKeyPem}`) },
  { name: 'fromDeployTimePem with a reference wrapped in Fn.trimspace', refusedNaming: 'privateKeyPem', build: deployTimeKey((k) => Fn.trimspace(k.privateKeyPem)) },
  {
    name: 'fromDeployTimePem chainPem holding a literal key inside a function call',
    refusedNaming: 'chainPem',
    build: withServer((_t, m, stack) => {
      const key = new PrivateKey(stack, 'Key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
      return { tls: { certificates: [ServerCertificate.fromDeployTimePem({ chainPem: Fn.trimspace(m.keyPem), privateKeyPem: key.privateKeyPem, algorithm: KeyAlgorithm.ECDSA })] } };
    }),
  },
  { name: 'fromDeployTimePem with a pure key reference synthesizes (the reference only)', build: deployTimeKey((k) => k.privateKeyPem) },
  { name: 'DhParameters.fromPem(DH + key)', refusedNaming: 'DhParameters.fromPem', build: withServer((t, m) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], dhParameters: DhParameters.fromPem(ffdheGroupPem(2048) + m.keyPem) } })) },
  { name: 'DhParameters.fromFile(DH + key)', refusedNaming: 'DH parameter file', build: withServer((t, m) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], dhParameters: DhParameters.fromFile(m.dhWithKey) } })) },
  {
    name: 'client certificates with a key appended only yield fingerprints (synthesizes)',
    build: withServer((t, m) => ({
      clientCerts: {
        trustedCaFiles: [t.clientCa.certPath],
        relayClients: [ClientIdentity.fromCertificatePem(`${t.client.certPem}${m.keyPem}`, 'relay'), ClientIdentity.fromCertificateFile(m.clientCertWithKey, 'backup')],
      },
    })),
  },
  { name: 'a key as an additionalParameters value', refusedNaming: 'additional parameter', build: withServer((_t, m) => ({ server: { additionalParameters: { smtpd_banner: m.keyPem } } })) },
];

describe('key material pushed through every PEM-taking prop never reaches synth output, the review render or a message', () => {
  let root: string;
  let material: KeyMaterial;
  let needles: Needle[];
  const outcomes = new Map<string, { error?: string; dir: string; app: App }>();

  beforeAll(() => {
    const t = pki();
    root = mkdtempSync(join(tmpdir(), 'postfix-leakpaths-'));
    const keyDir = join(root, 'keys');
    mkdirSync(keyDir);
    const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const file = (name: string, content: string): string => {
      writeFileSync(join(keyDir, name), content, { mode: 0o600 });
      return join(keyDir, name);
    };
    material = {
      keyPem,
      combinedFile: file('combined.pem', readFileSync(t.serverEcdsa.keyPath, 'utf8') + readFileSync(t.serverEcdsa.chainPath, 'utf8')),
      chainWithKey: file('chain-with-key.pem', readFileSync(t.serverEcdsa.chainPath, 'utf8') + keyPem),
      caWithKey: file('ca-with-key.pem', t.otherClientCa.certPem + keyPem),
      dhWithKey: file('dh-with-key.pem', ffdheGroupPem(2048) + keyPem),
      clientCertWithKey: file('client-with-key.pem', t.client2.certPem + keyPem),
    };
    needles = [...secretsOf(keyDir), ...secretsOf(t.dir)];
    LEAK_CASES.forEach((c, i) => {
      const dir = join(root, `case-${i}`);
      const { app, stack } = newStack();
      new DockerProvider(stack, 'docker', {});
      new TlsProvider(stack, 'tls', {});
      let error: string | undefined;
      try {
        c.build(stack, t, material);
        app.synth();
        writeReviewDirectory(app, join(dir, 'review'));
      } catch (e) {
        error = (e as Error).message;
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'error.txt'), `${error}\n${(e as Error).stack ?? ''}`);
      }
      outcomes.set(c.name, { error, dir, app });
    });
  }, 120_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test.each(LEAK_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const outcome = outcomes.get(c.name)!;
    if (c.refusedNaming === undefined) {
      expect(outcome.error).toBeUndefined();
      expect(filesUnder(outcome.app.outdir).some((f) => f.endsWith('cdk.tf.json'))).toBe(true);
    } else {
      expect(outcome.error).toContain(c.refusedNaming);
      expect(outcome.error).toMatch(/private key/);
    }
    const files = [...filesUnder(outcome.app.outdir), ...filesUnder(outcome.dir)];
    const findings = files.flatMap((f) => scan(f, needles));
    expect(findings.map((x) => `${relative(root, x.file)}: ${x.what}`)).toEqual([]);
  });

  test('the combined key + chain file is uploaded by path and listed once in smtpd_tls_chain_files', () => {
    const outcome = outcomes.get(LEAK_CASES[0].name)!;
    const stackJson = readFileSync(filesUnder(outcome.app.outdir).find((f) => f.endsWith('cdk.tf.json'))!, 'utf8');
    const containers = Object.values(JSON.parse(stackJson).resource.docker_container) as { must_run: boolean; upload?: { file: string; source?: string; content?: string }[] }[];
    const [loader] = containers.filter((c) => !c.must_run);
    const combined = (loader.upload ?? []).filter((u) => u.file.startsWith(`${GENERATION_STAGING_DIRECTORY}/tls/`));
    expect(combined).toEqual([expect.objectContaining({ file: `${GENERATION_STAGING_DIRECTORY}/tls/private/ecdsa.pem`, source: expect.stringMatching(/combined\.pem$/) })]);
    expect(combined[0].content).toBeUndefined();
    const mainCf = readFileSync(join(outcome.dir, 'review', 'mx', 'main.cf'), 'utf8');
    expect(mainCfLines(mainCf)).toContain('smtpd_tls_chain_files = /etc/postfix/tls/private/ecdsa.pem');
    expect(readFileSync(join(outcome.dir, 'review', 'mx', 'MANIFEST'), 'utf8')).toMatch(/\/etc\/postfix\/tls\/private\/ecdsa\.pem {2}<- copied at deploy time from the secret file .*combined\.pem/);
  });

  test('the needles include the fresh key, and the scanner finds it in a planted message', () => {
    const fresh = needles.filter((n) => n.label.startsWith('combined.pem') || n.label.startsWith('chain-with-key.pem'));
    expect(fresh.length).toBeGreaterThan(2);
    const planted = join(root, 'planted.txt');
    writeFileSync(planted, `an error quoting ${material.keyPem.split('\n')[1]}`);
    expect(scan(planted, needles).length).toBeGreaterThan(0);
  });
});
