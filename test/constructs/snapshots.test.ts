/**
 * Reviewable snapshots: the rendered main.cf and master.cf TEXT of representative configurations for the default
 * release (Postfix 3.10), and the proof that the real postconf reads each of them without a warning. The snapshots hold no private key and
 * nothing run-specific: certificates come from a fresh tmp PKI, but only their fixed container paths reach the
 * text, and clients are listed by fixed fingerprints. The cases are in snapshot-cases.ts.
 */
import { Testing } from 'cdktf';
import { tmpdir } from 'node:os';
import { PostfixServer, PostfixVersion } from '../../index';
import { buildServer, mainCfLines, newStack, opensslCertFingerprint, opensslPublicKeyFingerprint, useTestPki } from '../helpers/fixtures';
import { describeIfPostconf, hostPostfixVersion, postconfCheck } from '../helpers/postconf';
import { SNAPSHOT_CASES as CASES, SnapshotCase } from './snapshot-cases';

const pki = useTestPki();

/** Renders a case for the library's default release, or for `release`. */
function render(c: SnapshotCase, release?: PostfixVersion): { server: PostfixServer; mainCf: string; masterCf: string } {
  const { stack } = newStack();
  const parts = c.parts(pki());
  const server = buildServer(stack, c.id, pki(), release === undefined ? parts : { ...parts, server: { ...parts.server, postfixVersion: release } });
  Testing.synth(stack, true);
  const { mainCf, masterCf, warnings } = server.render();
  expect(warnings).toEqual([]);
  return { server, mainCf, masterCf };
}

/** Everything run-specific that must never reach a snapshot: tmp paths and fingerprints of this run's certificates. */
let runSpecific: string[] = [];
beforeAll(() => {
  const t = pki();
  const certs = [t.client, t.client2, t.clientCa, t.serverEcdsa, t.serverRsa];
  runSpecific = [tmpdir(), t.dir, ...certs.map((c) => opensslCertFingerprint(c.certPath)), ...certs.map((c) => opensslPublicKeyFingerprint(c.certPath))];
});

describe('rendered main.cf and master.cf of representative configurations', () => {
  test.each(CASES.map((c) => [c.id, c.description, c] as const))('%s: %s', (_id, _description, c) => {
    const { mainCf, masterCf } = render(c);
    for (const text of [mainCf, masterCf]) {
      expect(text).not.toContain('PRIVATE KEY');
      for (const value of runSpecific) expect(text).not.toContain(value);
    }
    expect(mainCf).toMatchSnapshot('main.cf');
    expect(masterCf).toMatchSnapshot('master.cf');
  });
});

// The host's postconf (3.7 on Debian 12) reads the cases rendered for its release; test/integration/postconf-3.10.test.ts
// has the image's 3.10 read them rendered for 3.10, the default.
describeIfPostconf("each snapshot case, rendered for the host postconf's release, passes its postconf -n, -M and -P without a warning", () => {
  test.each(CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const { mainCf, masterCf } = render(c, hostPostfixVersion());
    const result = postconfCheck({ mainCf, masterCf });
    expect(result.warnings).toEqual([]);
    // Postfix reads back every parameter, with the value as rendered.
    const rendered = Object.fromEntries(mainCfLines(mainCf).map((l) => (l.includes(' = ') ? [l.slice(0, l.indexOf(' = ')), l.slice(l.indexOf(' = ') + 3)] : [l.replace(/ =$/, ''), ''])));
    expect(result.mainParameters).toEqual(rendered);
    // And one service per master.cf service line.
    const serviceLines = masterCf.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !/^\s/.test(l));
    expect(result.masterServices).toHaveLength(serviceLines.length);
  });
});
