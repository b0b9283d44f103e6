/**
 * Issue 9 part 7: JavaScript (and jsii) callers get no compile-time types, so every boolean, number and enum
 * prop of every construct is checked at run time. The props are read from the source with the TypeScript
 * compiler, so a new prop without a check fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformStack } from 'cdktf';
import * as ts from 'typescript';
import {
  ClientCertPolicy, DeployTimePki, PostfixContainer, PostfixImage, PostfixServer, SessionCache, SmtpClientTls, SubmissionPort, TlsServer,
} from '../../index';
import { buildServer, errorOf, newStack, serverCert, useTestPki } from '../helpers/fixtures';

const pki = useTestPki();
const ROOT = join(__dirname, '..', '..');

/** Construct -> its source file; the props interface is `<Construct>Props`. */
const SOURCES: Record<string, string> = {
  PostfixServer: 'constructs/postfix-server.ts', TlsServer: 'constructs/tls-server.ts', ClientCertPolicy: 'constructs/client-cert-policy.ts',
  SessionCache: 'constructs/session-cache.ts', SubmissionPort: 'constructs/submission-port.ts', PostfixContainer: 'constructs/docker/postfix-container.ts',
  DeployTimePki: 'constructs/deploy-time-pki.ts', PostfixImage: 'constructs/docker/postfix-image.ts', SmtpClientTls: 'constructs/smtp-client-tls.ts',
};
const ENUMS = new Set(['SecurityLevel', 'CipherGrade', 'TlsProtocol', 'KeyAlgorithm', 'FingerprintDigest', 'TableType', 'SubmissionMode', 'TlsProfile', 'SmtpClientSecurityLevel']);

type Kind = 'boolean' | 'number' | 'enum';
function typedProps(): [string, string, Kind][] {
  return Object.entries(SOURCES).flatMap(([construct, file]) => {
    const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
    const out: [string, string, Kind][] = [];
    source.forEachChild((n) => {
      if (!ts.isInterfaceDeclaration(n) || n.name.text !== `${construct}Props`) return;
      for (const m of n.members) {
        if (!ts.isPropertySignature(m) || !m.type || !ts.isIdentifier(m.name)) continue;
        const type = m.type.getText();
        const kind: Kind | undefined = type === 'boolean' ? 'boolean' : type === 'number' ? 'number' : ENUMS.has(type) ? 'enum' : undefined;
        if (kind) out.push([construct, m.name.text, kind]);
      }
    });
    return out;
  });
}

/** Builds `construct` with `prop` set to `value` (everything else valid) in a fresh stack. */
function build(construct: string, prop: string, value: unknown): void {
  const { stack } = newStack();
  const t = pki();
  const bad = { [prop]: value };
  const server = (s: TerraformStack) => new PostfixServer(s, 'mx', { hostname: 'mx.example.com' });
  switch (construct) {
    case 'PostfixServer': new PostfixServer(stack, 'mx', { hostname: 'mx.example.com', ...bad }); break;
    case 'TlsServer': new TlsServer(server(stack), 'Tls', { certificates: [serverCert(t.serverEcdsa)], ...bad }); break;
    case 'ClientCertPolicy': new ClientCertPolicy(server(stack), 'Cc', { trustedCaFiles: [t.clientCa.certPath], ...bad }); break;
    case 'SessionCache': new SessionCache(server(stack), 'Sessions', bad); break;
    case 'SubmissionPort': new SubmissionPort(server(stack), 'Sub', bad); break;
    case 'PostfixContainer': new PostfixContainer(stack, 'Box', { server: buildServer(stack, 'mx', t), image: new PostfixImage(stack, 'Image'), ...bad }); break;
    case 'DeployTimePki': new DeployTimePki(stack, 'Pki', bad); break;
    case 'PostfixImage': new PostfixImage(stack, 'Image', bad); break;
    case 'SmtpClientTls': new SmtpClientTls(server(stack), 'Outbound', bad); break;
    default: throw new Error(`no builder for ${construct}`);
  }
}

const CASES = typedProps();
const WRONG: Record<Kind, unknown[]> = { boolean: ['false', 0, null], number: ['25', NaN, true], enum: ['bogus', 1] };

test('the parser found the typed props', () => {
  expect(CASES).toEqual(expect.arrayContaining([
    ['ClientCertPolicy', 'permitAllClientCertificates', 'boolean'], ['PostfixServer', 'smtpPort', 'number'], ['TlsServer', 'profile', 'enum'], ['SubmissionPort', 'mode', 'enum'],
  ]));
  expect(CASES.length).toBeGreaterThan(30);
});

test.each(CASES.flatMap(([construct, prop, kind]) => WRONG[kind].map((value) => [construct, prop, kind, value] as const)))(
  '%s %s (%s) refuses %p with the prop and the construct path',
  (construct, prop, _kind, value) => {
    const message = errorOf(() => build(construct, prop, value)).message;
    expect(message).toMatch(/^\[stack\//);
    expect(message).toContain(prop);
  },
);

test("permitAllClientCertificates: 'false' renders nothing: it is refused with a clear message", () => {
  expect(errorOf(() => build('ClientCertPolicy', 'permitAllClientCertificates', 'false')).message).toBe(
    '[stack/mx/Cc] permitAllClientCertificates "false" is a string, not a boolean: pass true or false, without quotes',
  );
});
