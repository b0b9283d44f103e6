/**
 * The library as a user gets it: `npm pack`, a fresh app made as `cdktf init --template=typescript` makes
 * one (test/consumer/app: the template's package.json, tsconfig.json, jest.config.js, setup.js and
 * cdktf.json, plus the user's stack and test), the dependencies the template's hook installs, the packed
 * library and the providers. Then, with no flag, pin or ignore pattern added for the library: tsc, plain
 * node, `cdktf synth`, and the app's own jest snapshot test. The same cdk.tf.json bytes come out in three
 * locales and after the app moved to another directory.
 *
 * One pin differs from what `cdktf init` installs today: typescript@5.9. The template asks for
 * `typescript@latest`, which is TypeScript 7, and ts-node (which `cdktf synth` runs) and ts-jest cannot
 * load it: every fresh cdktf app fails that way, with or without this library.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const REPO = join(__dirname, '..', '..');
const TEMPLATE = join(__dirname, 'app');
const CDKTF = join(REPO, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
const STACK_JSON = join('cdktf.out', 'stacks', 'consumer-app', 'cdk.tf.json');
const SNAPSHOT = join('__tests__', '__snapshots__', 'main-test.ts.snap');
/** What cdktf init's hook installs (npm_cdktf is the CLI's own version), TypeScript pinned (see above). */
const INIT_DEPENDENCIES = ['cdktf@0.21.0', 'constructs@10'];
const INIT_DEV_DEPENDENCIES = ['@types/node', 'typescript@5.9', 'jest', '@types/jest', 'ts-jest', 'ts-node'];
const USER_DEPENDENCIES = ['@cdktf/provider-docker@12', '@cdktf/provider-tls@11'];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: '1', npm_config_update_notifier: 'false', ...env },
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal}:\n${(result.stdout ?? '').slice(-3000)}\n${(result.stderr ?? '').slice(-3000)}`);
  }
  return result;
}

const synth = (app: string, env: NodeJS.ProcessEnv = {}): Buffer => {
  run(process.execPath, [CDKTF, 'synth'], app, env);
  return readFileSync(join(app, STACK_JSON));
};

let work: string;
let app: string;
let tarball: string;
let firstSynth: Buffer;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'postfix-consumer-'));
  // prepack builds the package (jsii) first.
  const packed = run('npm', ['pack', '--silent', '--pack-destination', work], REPO).stdout.trim().split('\n').pop() as string;
  tarball = join(work, packed);
  app = join(work, 'first', 'consumer-app');
  mkdirSync(dirname(app), { recursive: true });
  cpSync(TEMPLATE, app, { recursive: true });
  mkdirSync(join(app, 'credentials'), { mode: 0o700 });
  writeFileSync(join(app, 'credentials', 'sasl'), 'alice@example.com development-only\n', { mode: 0o600 });
  run('npm', ['install', '--no-audit', '--no-fund', ...INIT_DEPENDENCIES], app);
  run('npm', ['install', '--no-audit', '--no-fund', '-D', ...INIT_DEV_DEPENDENCIES], app);
  run('npm', ['install', '--no-audit', '--no-fund', tarball, ...USER_DEPENDENCIES], app);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a fresh cdktf app using the packed library', () => {
  test('the tarball ships compiled code, declarations, the jsii assembly and the docker context, and no sources or tests', () => {
    const files = run('tar', ['-tzf', tarball], work).stdout.split('\n').filter(Boolean);
    expect(files).toEqual(expect.arrayContaining(['package/dist/index.js', 'package/dist/index.d.ts', 'package/.jsii', 'package/docker/Dockerfile', 'package/docker/entrypoint.sh', 'package/README.md', 'package/LICENSE']));
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts') && !f.includes('/node_modules/'))).toEqual([]);
    expect(files.filter((f) => /^package\/(test|bench|example|bin|scripts)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'postfix-tls-cdktf', 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['@cdktf/provider-dns', '@cdktf/provider-docker', '@cdktf/provider-tls', 'cdktf', 'constructs']);
    // The providers only some constructs need are optional: npm does not install them into the app.
    expect(manifest.peerDependenciesMeta).toEqual({ '@cdktf/provider-dns': { optional: true }, '@cdktf/provider-tls': { optional: true } });
  });

  test('one copy of cdktf and constructs: the app\'s, which cdktf init chose', () => {
    const nested = readdirSync(join(app, 'node_modules', 'postfix-tls-cdktf', 'node_modules'));
    expect(nested).not.toContain('cdktf');
    expect(nested).not.toContain('constructs');
  });

  test('the template\'s tsc compiles the app, and plain node runs the compiled JavaScript', () => {
    run('npx', ['tsc'], app);
    const outdir = join(work, 'plain-node-out');
    run(process.execPath, ['main.js'], app, { CDKTF_OUTDIR: outdir });
    expect(JSON.parse(readFileSync(join(outdir, 'stacks', 'consumer-app', 'cdk.tf.json'), 'utf8')).resource.docker_container).toBeDefined();
  });

  test('cdktf synth writes a stack with the containers, the loader\'s uploads by relative path and the build context as an asset', () => {
    firstSynth = synth(app);
    const text = firstSynth.toString('utf8');
    expect(text).not.toContain(work);
    expect(text).not.toContain('node_modules');
    const doc = JSON.parse(text);
    const [loader] = (Object.values(doc.resource.docker_container) as { must_run: boolean; upload: { file: string; source?: string }[] }[]).filter((c) => !c.must_run);
    expect(loader.upload.find((u) => u.file === '/var/lib/postfix-staging/sasl/private/credentials')?.source).toBe('../../../credentials/sasl');
    const [image] = Object.values(doc.resource.docker_image) as { build: { context: string } }[];
    expect(image.build.context).toMatch(/^assets\/Image_Context_[0-9A-F]+\/[0-9A-F]{32}$/);
    expect(readdirSync(join(app, 'cdktf.out', 'stacks', 'consumer-app', image.build.context))).toEqual(expect.arrayContaining(['Dockerfile', 'entrypoint.sh']));
  });

  test('the app\'s own jest snapshot test (ts-jest, cdktf Testing) passes against the snapshot reviewed in this repository', () => {
    // `UPDATE_CONSUMER_SNAPSHOT=1 npm run test:consumer` rewrites the reviewed snapshot (never under CI).
    const update = process.env.UPDATE_CONSUMER_SNAPSHOT === '1' && process.env.CI !== 'true';
    const result = run('npx', ['jest', update ? '--updateSnapshot' : '--ci'], app);
    if (update) cpSync(join(app, SNAPSHOT), join(TEMPLATE, SNAPSHOT));
    expect(`${result.stdout}${result.stderr}`).toMatch(/Tests:\s+3 passed, 3 total/);
    if (!update) expect(`${result.stdout}${result.stderr}`).toMatch(/Snapshots:\s+1 passed, 1 total/);
  });

  test.each(['C', 'cs_CZ.UTF-8', 'da_DK.UTF-8'])('synth under LANG=LC_ALL=%s gives the same bytes', (locale) => {
    expect(synth(app, { LANG: locale, LC_ALL: locale }).equals(firstSynth)).toBe(true);
  });

  test('the same app in another directory (another depth) synthesizes the same bytes', () => {
    const moved = join(work, 'second', 'checkout', 'of', 'consumer-app');
    mkdirSync(dirname(moved), { recursive: true });
    renameSync(app, moved);
    app = moved;
    rmSync(join(app, 'cdktf.out'), { recursive: true, force: true });
    expect(synth(app).equals(firstSynth)).toBe(true);
  });
});
