/**
 * The example app (the cdktf app of cdktf.json) with its development PKI in a tmp dir: two synths give
 * byte-identical output and the second generates no key; no private key reaches the synth output, the review
 * directory or any test snapshot; `npm run render -- DIR` works. Postfix 3.10, the example's release, reads its
 * review directory without a warning in test/integration/postconf-3.10.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { App } from 'cdktf';
import { GENERATION_STAGING_DIRECTORY, LocalPki, writeReviewDirectory } from '../../index';
import { buildExampleApp, EXAMPLE_HOSTNAME, ExampleMailStack, prepareExamplePki } from '../../example/mail-stack';
import { filesUnder, keyBodyLines, tmpDir } from '../helpers/fixtures';

const ROOT = resolve(__dirname, '..', '..');
let tmp: ReturnType<typeof tmpDir>;
let pkiDir: string;

interface Run {
  readonly pki: LocalPki;
  readonly app: App;
  readonly stack: ExampleMailStack;
  readonly outdir: string;
}

/** Builds the example the way buildExampleApp does, but keeps the LocalPki to count what it generated. */
async function synthRun(name: string): Promise<Run> {
  const pki = new LocalPki({ directory: pkiDir });
  const examplePki = await prepareExamplePki(pki);
  const outdir = join(tmp.dir, name);
  const app = new App({ outdir });
  const stack = new ExampleMailStack(app, 'example', { pki: examplePki });
  app.synth();
  return { pki, app, stack, outdir };
}

/** Relative path -> sha256 of every file under `dir`. */
function tree(dir: string): Record<string, string> {
  return Object.fromEntries(filesUnder(dir).map((f) => [relative(dir, f), createHash('sha256').update(readFileSync(f)).digest('hex')]));
}

/** Secrets of the example PKI: every key body line and the SASL password. */
function secrets(): string[] {
  const keys = readdirSync(pkiDir).filter((f) => f.endsWith('.key.pem')).flatMap((f) => keyBodyLines(join(pkiDir, f)));
  const password = readFileSync(join(pkiDir, 'sasl-credentials'), 'utf8').trim().split(' ')[1];
  expect(keys.length).toBeGreaterThan(0);
  expect(password.length).toBeGreaterThan(8);
  return [...keys, password];
}

function expectNoSecretsUnder(dir: string): void {
  const files = filesUnder(dir);
  expect(files.length).toBeGreaterThan(0);
  const all = secrets();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    expect({ file, privateKey: text.includes('PRIVATE KEY') }).toEqual({ file, privateKey: false });
    for (const secret of all) if (text.includes(secret)) throw new Error(`${file} contains secret material`);
  }
}

let first: Run;
let second: Run;
let pkiAfterFirst: Record<string, string>;

beforeAll(async () => {
  tmp = tmpDir('example-app');
  pkiDir = join(tmp.dir, 'pki');
  first = await synthRun('out1');
  pkiAfterFirst = tree(pkiDir);
  second = await synthRun('out2');
}, 120_000);
afterAll(() => tmp.cleanup());

describe('the example app', () => {
  test('the first synth makes the development PKI', () => {
    expect(first.pki.keysGenerated).toBeGreaterThan(0);
    expect(first.pki.certificatesIssued).toBe(first.pki.keysGenerated);
  });

  test('the second synth generates no key and issues no certificate', () => {
    expect(second.pki.keysGenerated).toBe(0);
    expect(second.pki.certificatesIssued).toBe(0);
    expect(tree(pkiDir)).toEqual(pkiAfterFirst);
  });

  test('two synths give byte-identical output', () => {
    const stackJson = join('stacks', 'example', 'cdk.tf.json');
    expect(existsSync(join(first.outdir, stackJson))).toBe(true);
    expect(readFileSync(join(second.outdir, stackJson))).toEqual(readFileSync(join(first.outdir, stackJson)));
    expect(tree(second.outdir)).toEqual(tree(first.outdir));
  });

  test('buildExampleApp, the function cdktf.json runs, synthesizes the same bytes and touches no PKI file', async () => {
    const before = tree(pkiDir);
    const outdir = join(tmp.dir, 'out3');
    const saved = process.env.CDKTF_OUTDIR;
    process.env.CDKTF_OUTDIR = outdir;
    try {
      const app = await buildExampleApp(pkiDir);
      app.synth();
    } finally {
      if (saved === undefined) delete process.env.CDKTF_OUTDIR;
      else process.env.CDKTF_OUTDIR = saved;
    }
    expect(tree(outdir)).toEqual(tree(first.outdir));
    expect(tree(pkiDir)).toEqual(before);
  });

  test('the synthesized stack deploys the example server: MX + 587 + 465', () => {
    const json = JSON.parse(readFileSync(join(first.outdir, 'stacks', 'example', 'cdk.tf.json'), 'utf8'));
    const containers = Object.values(json.resource.docker_container) as { must_run: boolean; ports: { internal: number }[]; upload: { file: string; content?: string }[] }[];
    const [container] = containers.filter((c) => c.must_run);
    const [loader] = containers.filter((c) => !c.must_run);
    expect(container.ports.map((p) => p.internal)).toEqual([25, 587, 465]);
    const mainCf = loader.upload.find((u) => u.file === `${GENERATION_STAGING_DIRECTORY}/main.cf`)?.content;
    expect(mainCf).toBe(first.stack.server.render().mainCf);
    expect(mainCf).toContain(`myhostname = ${EXAMPLE_HOSTNAME}`);
  });

  test('no private key and no secret anywhere in the synth output', () => {
    expectNoSecretsUnder(first.outdir);
    expectNoSecretsUnder(second.outdir);
  });
});

describe('the review directory of the example', () => {
  let reviewDir: string;
  beforeAll(() => {
    reviewDir = join(tmp.dir, 'review');
    expect(writeReviewDirectory(first.app, reviewDir)).toEqual(['mx']);
  });

  test('holds main.cf, master.cf, the lookup table, public certificates and a manifest, but no key', () => {
    const files = filesUnder(join(reviewDir, 'mx')).map((f) => relative(join(reviewDir, 'mx'), f)).sort();
    expect(files).toEqual(expect.arrayContaining(['MANIFEST', 'main.cf', 'master.cf', 'tables/relay_clientcerts', 'tls/ecdsa.chain.pem', 'tls/rsa.chain.pem', 'tls/client-ca.pem']));
    expect(files.filter((f) => f.includes('private'))).toEqual([]);
    expect(readFileSync(join(reviewDir, 'mx', 'main.cf'), 'utf8')).toBe(first.stack.server.render().mainCf);
    expect(readFileSync(join(reviewDir, 'mx', 'MANIFEST'), 'utf8')).toContain('/etc/postfix/tls/private/ecdsa.key.pem  <- copied at deploy time from');
  });

  test('contains no private key and no secret', () => {
    expectNoSecretsUnder(reviewDir);
  });
});

describe('npm run render -- DIR', () => {
  test('writes DIR/mx/main.cf and master.cf, and no key', () => {
    const dir = join(tmp.dir, 'rendered');
    const run = spawnSync('npm', ['run', '--silent', 'render', '--', dir], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain(`${dir}/mx/`);
    expect(readFileSync(join(dir, 'mx', 'main.cf'), 'utf8')).toContain(`myhostname = ${EXAMPLE_HOSTNAME}`);
    expect(readFileSync(join(dir, 'mx', 'master.cf'), 'utf8')).toMatch(/^submissions inet/m);
    for (const file of filesUnder(dir)) expect(readFileSync(file, 'utf8')).not.toContain('PRIVATE KEY');
  }, 120_000);
});

describe('test snapshots', () => {
  test('no snapshot of the test suite contains a private key', () => {
    const snaps = filesUnder(join(ROOT, 'test')).filter((f) => f.endsWith('.snap'));
    expect(snaps.map((f) => relative(ROOT, f))).toContain('test/constructs/__snapshots__/snapshots.test.ts.snap');
    for (const snap of snaps) expect({ snap, privateKey: readFileSync(snap, 'utf8').includes('PRIVATE KEY') }).toEqual({ snap, privateKey: false });
  });
});
