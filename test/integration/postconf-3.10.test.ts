/**
 * Issue 11, first slice: Postfix 3.10 (postfix-tls-cdktf:trixie, Debian 13) reads what the library renders.
 *
 * - lib/postfix-parameters-3.10.ts is what scripts/generate-postfix-parameters.ts writes from the image's own
 *   postconf and postconf(5), including the parameters its postconf warns about as deprecated.
 * - Every snapshot case (test/constructs/snapshot-cases.ts), rendered for PostfixVersion.V3_10, passes the image's `postconf -n`, `-M` and `-P`
 *   without a warning, and Postfix reads back every main.cf parameter with the value rendered. The host's
 *   postconf (3.7) checks the same in test/constructs/snapshots.test.ts. No container runs Postfix here: one
 *   `docker run` of the image's postconf reads all cases.
 */
import { Testing } from 'cdktf';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App } from 'cdktf';
import { LocalPki, PostfixVersion, writeReviewDirectory } from '../../index';
import { EXAMPLE_HOSTNAME, ExampleMailStack, prepareExamplePki } from '../../example/mail-stack';
import { DEPRECATED_PARAMETERS, PARAMETER_TYPES, POSTFIX_VERSION } from '../../lib/postfix-parameters-3.10';
import { PROP_CASES, propCaseParts } from '../constructs/prop-cases';
import { SNAPSHOT_CASES } from '../constructs/snapshot-cases';
import { buildServer, mainCfLines, newStack, tmpDir, useTestPki } from '../helpers/fixtures';
import { imagePostconfCheckAll, imagePostfixVersion } from '../helpers/image-postconf';
import { PostconfResult } from '../helpers/postconf';
import { describeWithDocker, TRIXIE_TEST_IMAGE } from './docker-available';

const ROOT = resolve(__dirname, '..', '..');
const IMAGE = TRIXIE_TEST_IMAGE.name;

describeWithDocker(`Postfix 3.10 (${IMAGE}) reads every snapshot case`, () => {
  const pki = useTestPki();
  const rendered = new Map<string, { mainCf: string; masterCf: string }>();
  const results = new Map<string, PostconfResult>();

  beforeAll(() => {
    for (const c of SNAPSHOT_CASES) {
      const { stack } = newStack();
      const parts = c.parts(pki());
      const server = buildServer(stack, c.id, pki(), { ...parts, server: { ...parts.server, postfixVersion: PostfixVersion.V3_10 } });
      Testing.synth(stack, true);
      const { mainCf, masterCf, warnings } = server.render();
      expect(warnings).toEqual([]);
      rendered.set(c.id, { mainCf, masterCf });
    }
    const all = imagePostconfCheckAll(IMAGE, SNAPSHOT_CASES.map((c) => rendered.get(c.id)!));
    SNAPSHOT_CASES.forEach((c, i) => results.set(c.id, all[i]));
  }, 120_000);

  test('the image runs the Postfix of lib/postfix-parameters-3.10.ts', () => {
    expect(POSTFIX_VERSION).toMatch(/^3\.10\./);
    expect(imagePostfixVersion(IMAGE)).toBe(POSTFIX_VERSION);
  });

  test('a fresh run of the generator against the image writes the checked-in lib/postfix-parameters-3.10.ts', () => {
    const { dir, cleanup } = tmpDir('postfix-parameters-3.10');
    try {
      const out = join(dir, 'table.ts');
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--swc', '--transpile-only', join(ROOT, 'scripts', 'generate-postfix-parameters.ts'), '--image', IMAGE, out], { cwd: ROOT, stdio: 'pipe' });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(ROOT, 'lib', 'postfix-parameters-3.10.ts'), 'utf8'));
    } finally {
      cleanup();
    }
    // The forms 3.9 deprecated that the library renders or accepted are among the measured ones, with postconf's advice.
    expect(DEPRECATED_PARAMETERS).toMatchObject({
      smtpd_use_tls: 'specify "smtpd_tls_security_level"',
      smtpd_enforce_tls: 'specify "smtpd_tls_security_level"',
      smtp_use_tls: 'specify "smtp_tls_security_level"',
      smtpd_tls_dh1024_param_file: 'do not specify (leave at default)',
      smtpd_tls_eecdh_grade: 'do not specify (leave at default)',
    });
    for (const name of Object.keys(DEPRECATED_PARAMETERS)) expect(PARAMETER_TYPES[name]).toBeDefined();
    // Parameters new in 3.9/3.10 that issue 11 is about.
    expect(PARAMETER_TYPES).toMatchObject({ smtpd_tls_enable_rpk: 'boolean', smtp_tls_enable_rpk: 'boolean' });
  }, 60_000);

  test('the helper reports what 3.10 warns about (a deprecated and an unknown parameter, in main.cf and master.cf)', () => {
    const result = imagePostconfCheckAll(IMAGE, [{
      mainCf: 'smtpd_use_tls = yes\nno_such_parameter_anywhere = 1\n',
      masterCf: 'smtp inet n - n - - smtpd\n  -o smtpd_tls_eecdh_grade=strong\n',
    }])[0];
    expect(result.warnings).toEqual(expect.arrayContaining([
      'postconf: warning: <dir>/main.cf: support for parameter "smtpd_use_tls" will be removed; instead, specify "smtpd_tls_security_level"',
      'postconf: warning: <dir>/main.cf: unused parameter: no_such_parameter_anywhere=1',
      'postconf: warning: <dir>/master.cf: support for parameter "smtpd_tls_eecdh_grade" will be removed; instead, do not specify (leave at default)',
    ]));
    // -n lists the parameters postconf knows; the unknown one is only warned about.
    expect(result.mainParameters).toEqual({ smtpd_use_tls: 'yes' });
    expect(result.masterOverrides).toEqual({ 'smtp/inet/smtpd_tls_eecdh_grade': 'strong' });
  });

  test.each(SNAPSHOT_CASES.map((c) => [c.id] as const))('%s: postconf -n, -M and -P of 3.10 print no warning and read back every parameter', (id) => {
    expectReadBack(results.get(id)!, rendered.get(id)!);
  });

  test('the prop cases for 3.10 pass its postconf, which reads back every parameter', () => {
    const cases = PROP_CASES.filter((c) => c.postfixVersion === PostfixVersion.V3_10);
    expect(cases.length).toBeGreaterThan(0);
    const files = cases.map((c) => {
      const { stack } = newStack();
      const server = buildServer(stack, 'mx', pki(), propCaseParts(c, pki()));
      Testing.synth(stack, true);
      expect(server.postfixVersion).toBe(PostfixVersion.V3_10);
      return server.render();
    });
    imagePostconfCheckAll(IMAGE, files).forEach((result, i) => expectReadBack(result, files[i]));
  });

  function expectReadBack(result: PostconfResult, { mainCf, masterCf }: { mainCf: string; masterCf: string }): void {
    expect(result.warnings).toEqual([]);
    const expected = Object.fromEntries(mainCfLines(mainCf).map((l) => (l.includes(' = ') ? [l.slice(0, l.indexOf(' = ')), l.slice(l.indexOf(' = ') + 3)] : [l.replace(/ =$/, ''), ''])));
    expect(result.mainParameters).toEqual(expected);
    const serviceLines = masterCf.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !/^\s/.test(l));
    expect(result.masterServices).toHaveLength(serviceLines.length);
  }
}, TRIXIE_TEST_IMAGE);

describeWithDocker(`the example app's review directory passes the postconf of its release (${IMAGE})`, () => {
  test('postconf -n, -M and -P of 3.10 read its main.cf and master.cf without a warning', async () => {
    const { dir, cleanup } = tmpDir('example-3.10');
    try {
      const app = new App({ outdir: join(dir, 'out') });
      const stack = new ExampleMailStack(app, 'example', { pki: await prepareExamplePki(new LocalPki({ directory: join(dir, 'pki') })) });
      expect(stack.server.postfixVersion).toBe(PostfixVersion.V3_10);
      writeReviewDirectory(app, join(dir, 'review'));
      const files = { mainCf: readFileSync(join(dir, 'review', 'mx', 'main.cf'), 'utf8'), masterCf: readFileSync(join(dir, 'review', 'mx', 'master.cf'), 'utf8') };
      const [result] = imagePostconfCheckAll(IMAGE, [files]);
      expect(result.warnings).toEqual([]);
      expect(result.mainParameters.myhostname).toBe(EXAMPLE_HOSTNAME);
      expect(result.masterOverrides['submissions/inet/smtpd_tls_wrappermode']).toBe('yes');
      expect(result.masterOverrides['smtp/inet/tls_eecdh_auto_curves']).toMatch(/^X25519MLKEM768,/);
      expect(result.masterServices.filter((l) => / inet /.test(l)).map((l) => l.split(' ')[0])).toEqual(['smtp', 'submission', 'submissions']);
    } finally {
      cleanup();
    }
  }, 120_000);
});
