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
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { writeReviewDirectory } from '../../constructs/review';
import { buildExampleApp } from '../../example/mail-stack';

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
