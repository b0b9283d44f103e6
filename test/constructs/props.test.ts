/**
 * Every prop of every Postfix construct, mapped to the Postfix parameter it renders: `name = value` in main.cf
 * or `-o name=value` on a master.cf service. Each case also synthesizes with validations (exactly the expected
 * warning annotations, no error) and passes the real `postconf -n/-M/-P`, which reads back the same values.
 * The cases themselves are in prop-cases.ts.
 */
import { Testing } from 'cdktf';
import { IConstruct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PostfixServer, PostfixVersion } from '../../index';
import { buildServer, mainCfLines, masterService, newStack, useTestPki } from '../helpers/fixtures';
import { describeIfPostconf, hostPostfixVersion, postconfCheck } from '../helpers/postconf';
import { PROP_CASES as CASES, PropCase, preparePropCaseFiles, propCaseParts } from './prop-cases';

const pki = useTestPki();
beforeAll(() => preparePropCaseFiles(pki()), 60_000);

const normalise = (line: string): string => line.trim().split(/\s+/).join(' ');

function warningRules(scope: IConstruct): string[] {
  return scope.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)))
    .map((message) => /^\[([a-z0-9-]+)\]/.exec(message)?.[1] ?? message)
    .sort();
}

/** Builds the case for its release, or for `release` when the case names none (the library's default otherwise). */
function build(c: PropCase, release?: PostfixVersion): { server: PostfixServer; warnings: string[] } {
  const { stack } = newStack();
  const server = buildServer(stack, 'mx', pki(), propCaseParts({ ...c, postfixVersion: c.postfixVersion ?? release }, pki()));
  Testing.synth(stack, true);
  return { server, warnings: warningRules(stack) };
}

const title = (c: PropCase): string => `${c.construct}.${c.prop}: ${c.variant}`;

describe('each prop renders its Postfix parameter', () => {
  test.each(CASES.map((c) => [title(c), c] as const))('%s', (_title, c) => {
    const { server, warnings } = build(c);
    expect(warnings).toEqual([...(c.warnings ?? [])].sort());
    const { mainCf, masterCf } = server.render();
    const lines = mainCfLines(mainCf);
    for (const line of c.main ?? []) expect(lines).toContain(line);
    for (const name of c.absent ?? []) expect(lines.filter((l) => l.startsWith(`${name} =`))).toEqual([]);
    for (const name of c.noService ?? []) expect(masterService(masterCf, name)).toBeUndefined();
    for (const m of c.master ?? []) {
      const block = masterService(masterCf, m.service, m.type ?? 'inet');
      expect(block).toBeDefined();
      if (!block) continue;
      if (m.line) expect(normalise(block[0])).toBe(m.line);
      for (const [name, value] of Object.entries(m.overrides ?? {})) expect(block).toContain(`-o ${name}=${value}`);
      for (const name of m.absentOverrides ?? []) expect(block.filter((l) => l.startsWith(`-o ${name}=`))).toEqual([]);
    }
    c.files?.(server.files(), pki());
  });
});

describeIfPostconf('each prop case passes the real postconf, which reads back the rendered values', () => {
  // Cases that name no release are built for the host's postconf (3.7 on Debian 12); cases for another release
  // are read by that release's (test/integration/postconf-3.10.test.ts).
  const host = hostPostfixVersion();
  test.each(CASES.filter((c) => (c.postfixVersion ?? host) === host).map((c) => [title(c), c] as const))('%s', (_title, c) => {
    const { server } = build(c, host);
    const rendered = server.render();
    const result = postconfCheck(rendered);
    expect(result.warnings).toEqual([]);
    for (const line of c.main ?? []) {
      const [name, value] = [line.slice(0, line.indexOf(' = ')), line.slice(line.indexOf(' = ') + 3)];
      expect(result.mainParameters[name]).toBe(value);
    }
    for (const m of c.master ?? []) {
      for (const [name, value] of Object.entries(m.overrides ?? {})) {
        expect(result.masterOverrides[`${m.service}/${m.type ?? 'inet'}/${name}`]).toBe(value);
      }
    }
    // postconf -n lists exactly the parameters main.cf sets, no more, no less.
    expect(Object.keys(result.mainParameters).sort()).toEqual(mainCfLines(rendered.mainCf).map((l) => l.split(' ')[0]).sort());
  });
});

describe('the table covers every prop', () => {
  /** Prop names declared in a `...Props` interface of a construct source file. */
  function declaredProps(file: string, iface: string): string[] {
    const source = readFileSync(join(__dirname, '..', '..', 'constructs', file), 'utf8');
    const body = new RegExp(`export interface ${iface} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
    if (!body) throw new Error(`interface ${iface} not found in ${file}`);
    return [...body.matchAll(/^\s+readonly (\w+)\??:/gm)].map((m) => m[1]).sort();
  }

  test.each([
    ['PostfixServer', 'postfix-server.ts', 'PostfixServerProps'],
    ['TlsServer', 'tls-server.ts', 'TlsServerProps'],
    ['ClientCertPolicy', 'client-cert-policy.ts', 'ClientCertPolicyProps'],
    ['SessionCache', 'session-cache.ts', 'SessionCacheProps'],
    ['SubmissionPort', 'submission-port.ts', 'SubmissionPortProps'],
    ['SmtpClientTls', 'smtp-client-tls.ts', 'SmtpClientTlsProps'],
  ])('%s', (construct, file, iface) => {
    // dh512ParamFile is always refused; its case is in errors.test.ts.
    const covered = new Set([...CASES.filter((c) => c.construct === construct).map((c) => c.prop), 'dh512ParamFile']);
    const declared = declaredProps(file, iface);
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.filter((p) => !covered.has(p))).toEqual([]);
  });
});
