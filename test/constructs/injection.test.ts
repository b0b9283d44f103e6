/**
 * Injection: a hostile string in any string or string-list prop, or in any factory argument that ends up in
 * the deployment, gives a clear error (it shows the value, and names the construct when a construct checks it)
 * and never a rendered main.cf/master.cf/table, let alone one with a `relayhost` line.
 *
 * Each test tries every hostile value on one prop through the user's whole flow (construct, PostfixContainer,
 * `Testing.synth(stack, true)`, `render()`), and lists every value that was not refused clearly, so a failure
 * names exactly what slipped through.
 */
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CipherGrade,
  ClientIdentity,
  DhParameters,
  FingerprintDigest,
  PostfixContainer,
  PostfixContainerProps,
  PostfixImage,
  PostfixServer,
  SaslBackend,
  SecurityLevel,
  ServerCertificate,
  SessionStore,
  SubmissionMode,
  TableType,
  TlsProfile,
  TlsProtocol,
} from '../../index';
import { buildServer, FIXED_FINGERPRINTS, newStack, ServerParts, serverCert, TestPki, useTestPki } from '../helpers/fixtures';
import { describeIfPostconf } from '../helpers/postconf';

const pki = useTestPki();

const LINE_BREAKERS = ['mx.example.com\nrelayhost = evil', 'a\r\nb', 'x\u0000'];
const SYNTAX = ['$(evil)', '# comment', '{ brace }'];
const HOSTILE = [...LINE_BREAKERS, ...SYNTAX];
const RELAYHOST_LINE = /^\s*relayhost\s*=/m;

interface Target {
  readonly name: string;
  /** Whether a construct checks it, so the message must start with `[stack/...]`. */
  readonly scoped: boolean;
  /** Builds the server with the hostile value `h` in the prop under test. */
  readonly build: (stack: TerraformStack, t: TestPki, h: string) => PostfixServer;
  /** PostfixContainer props besides server and image. */
  readonly container?: (h: string) => Partial<PostfixContainerProps>;
  /** An image other than the default build. */
  readonly image?: (stack: TerraformStack, h: string) => PostfixImage;
  /** The hostile values that apply (default: all). */
  readonly values?: readonly string[];
  /** Whether the message must show the value (default true; false for whole file contents). */
  readonly showsValue?: boolean;
}

const server = (parts: (t: TestPki, h: string) => ServerParts) => (stack: TerraformStack, t: TestPki, h: string) => buildServer(stack, 'mx', t, parts(t, h));
const withCa = (t: TestPki) => ({ trustedCaFiles: [t.clientCa.certPath] });
const relay = (name = 'relay') => [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, name)];
/** A path under the tmp dir that the hostile value makes up the last component of. */
const hostilePath = (h: string): string => join(tmpdir(), h);

const TARGETS: Target[] = [
  // PostfixServer
  { name: 'PostfixServer hostname', scoped: true, build: server((_t, h) => ({ server: { hostname: h } })) },
  { name: 'PostfixServer listenAddress', scoped: true, build: server((_t, h) => ({ server: { listenAddress: h } })) },
  { name: 'PostfixServer localDomains', scoped: true, build: server((_t, h) => ({ server: { localDomains: ['example.com', h] } })) },
  { name: 'PostfixServer trustedNetworks', scoped: true, build: server((_t, h) => ({ server: { trustedNetworks: ['192.0.2.0/24', h] } })) },
  { name: 'PostfixServer maillogFile', scoped: true, build: server((_t, h) => ({ server: { maillogFile: h } })) },
  { name: 'PostfixServer maillogFile (absolute)', scoped: true, build: server((_t, h) => ({ server: { maillogFile: `/var/log/${h}` } })) },
  { name: 'PostfixServer additionalParameters name', scoped: true, build: server((_t, h) => ({ server: { additionalParameters: { [h]: 'x' } } })) },
  { name: 'PostfixServer additionalParameters value', scoped: true, build: server((_t, h) => ({ server: { additionalParameters: { smtpd_banner: h } } })) },
  { name: 'SaslBackend.dovecot socket path', scoped: false, build: server((_t, h) => ({ server: { sasl: SaslBackend.dovecot(h) }, submissions: [{}] })) },
  { name: 'SaslBackend.cyrus application name', scoped: false, build: server((_t, h) => ({ server: { sasl: SaslBackend.cyrus(h) }, submissions: [{}] })) },
  { name: 'SaslBackend.cyrusSasldb credentials file', scoped: false, build: server((_t, h) => ({ server: { sasl: SaslBackend.cyrusSasldb(hostilePath(h)) }, submissions: [{}] })) },
  // TlsServer
  { name: 'TlsServer excludeCiphers', scoped: true, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], excludeCiphers: ['aNULL', h] } })) },
  { name: 'TlsServer mandatoryExcludeCiphers', scoped: true, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], mandatoryExcludeCiphers: [h] } })) },
  { name: 'TlsServer dh512ParamFile', scoped: true, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], dh512ParamFile: h } })) },
  {
    name: 'DhParameters.fromFile path', scoped: false,
    build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.fromFile(hostilePath(h)) } })),
  },
  { name: 'DhParameters.fromPem content', scoped: false, showsValue: false, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.fromPem(h) } })) },
  {
    name: 'ServerCertificate.fromFiles chainFile', scoped: false,
    build: server((t, h) => ({ tls: { certificates: [ServerCertificate.fromFiles({ chainFile: hostilePath(h), keyFile: t.serverEcdsa.keyPath })] } })),
  },
  {
    name: 'ServerCertificate.fromFiles keyFile', scoped: true,
    build: server((t, h) => ({ tls: { certificates: [ServerCertificate.fromFiles({ chainFile: t.serverEcdsa.chainPath, keyFile: hostilePath(h) })] } })),
  },
  // ClientCertPolicy
  { name: 'ClientCertPolicy trustedCaFiles', scoped: true, build: server((t, h) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath, hostilePath(h)] } })) },
  { name: 'ClientCertPolicy capathCaFiles', scoped: true, build: server((_t, h) => ({ clientCerts: { capathCaFiles: [hostilePath(h)] } })) },
  { name: 'ClientIdentity.fromFingerprint fingerprint', scoped: false, build: server((t, h) => ({ clientCerts: { ...withCa(t), relayClients: [ClientIdentity.fromFingerprint(h, 'relay')] } })) },
  { name: 'ClientIdentity.fromCertificateFile path', scoped: false, build: server((t, h) => ({ clientCerts: { ...withCa(t), relayClients: [ClientIdentity.fromCertificateFile(hostilePath(h), 'relay')] } })) },
  {
    // Only line breakers: in a table file `$`, `#` and braces in the value are read back literally (proven below).
    name: 'ClientIdentity name (relay_clientcerts, hash table)', scoped: true, values: LINE_BREAKERS,
    build: server((t, h) => ({ clientCerts: { ...withCa(t), relayClients: relay(h) } })),
  },
  {
    name: 'ClientIdentity name (relay_clientcerts, inline table in main.cf)', scoped: true,
    build: server((t, h) => ({ clientCerts: { ...withCa(t), tableType: TableType.INLINE, relayClients: relay(h) } })),
  },
  {
    name: 'ClientAccessRule action (check_ccert_access)', scoped: true,
    build: server((t, h) => ({ clientCerts: { ...withCa(t), accessRules: [{ client: relay()[0], action: h }] } })),
  },
  // SessionCache
  { name: 'SessionStore.btree path', scoped: true, build: server((_t, h) => ({ sessionCache: { store: SessionStore.btree(h) } })) },
  { name: 'SessionStore.lmdb path (absolute)', scoped: true, build: server((_t, h) => ({ sessionCache: { store: SessionStore.lmdb(`/var/lib/postfix/${h}`) } })) },
  { name: 'SessionStore.of type', scoped: false, build: server((_t, h) => ({ sessionCache: { store: SessionStore.of(h) } })) },
  // SubmissionPort
  { name: 'SubmissionPort listenAddress', scoped: true, build: server((_t, h) => ({ submissions: [{ listenAddress: h }] })) },
  // Docker constructs: the values reach the Terraform JSON and Docker, not Postfix, but must still be refused.
  { name: 'PostfixContainer containerName', scoped: true, build: server(() => ({})), container: (h) => ({ containerName: h }) },
  { name: 'PostfixContainer publishAddress', scoped: true, build: server(() => ({})), container: (h) => ({ publishAddress: h }) },
  { name: 'PostfixContainer queueVolumeName', scoped: true, build: server(() => ({})), container: (h) => ({ queueVolumeName: h }) },
  { name: 'PostfixContainer restart', scoped: true, build: server(() => ({})), container: (h) => ({ restart: h }) },
  { name: 'PostfixImage existingImageName', scoped: true, build: server(() => ({})), image: (stack, h) => new PostfixImage(stack, 'Image', { existingImageName: h }) },
];

/** Enum-typed props given a string that is not a member, as a plain JavaScript caller can. */
const ENUM_TARGETS: Target[] = [
  { name: 'TlsServer securityLevel', scoped: true, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], securityLevel: h as SecurityLevel } })) },
  { name: 'TlsServer cipherGrade', scoped: true, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], cipherGrade: h as CipherGrade } })) },
  { name: 'TlsServer mandatoryCipherGrade', scoped: true, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], mandatoryCipherGrade: h as CipherGrade } })) },
  { name: 'TlsServer minimumProtocol', scoped: true, build: server((t, h) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], minimumProtocol: h as TlsProtocol } })) },
  { name: 'ClientCertPolicy fingerprintDigest', scoped: true, build: server((t, h) => ({ clientCerts: { ...withCa(t), fingerprintDigest: h as FingerprintDigest, relayClients: relay() } })) },
  { name: 'ClientCertPolicy tableType', scoped: true, build: server((t, h) => ({ clientCerts: { ...withCa(t), tableType: h as TableType, relayClients: relay() } })) },
  { name: 'SubmissionPort mode', scoped: true, build: server((_t, h) => ({ submissions: [{ mode: h as SubmissionMode }] })) },
];

interface Attempt {
  readonly error?: Error;
  /** Rendered Postfix files, when rendering got that far. */
  readonly postfixFiles: string[];
}

function attempt(target: Target, h: string): Attempt {
  const postfixFiles: string[] = [];
  try {
    const { stack } = newStack();
    new DockerProvider(stack, 'docker', {});
    const built = target.build(stack, pki(), h);
    const image = target.image ? target.image(stack, h) : new PostfixImage(stack, 'Image');
    new PostfixContainer(stack, 'Container', { server: built, image, ...target.container?.(h) });
    Testing.synth(stack, true);
    const rendered = built.render();
    postfixFiles.push(rendered.mainCf, rendered.masterCf, ...rendered.tables.map((t) => t.content));
  } catch (e) {
    return { error: e as Error, postfixFiles };
  }
  return { postfixFiles };
}

/** What is wrong with how `h` was handled; undefined when it was refused clearly. */
function problem(target: Target, h: string): string | undefined {
  const { error, postfixFiles } = attempt(target, h);
  if (postfixFiles.some((f) => RELAYHOST_LINE.test(f))) return 'INJECTED: a rendered file has a relayhost line';
  if (!error) {
    const where = postfixFiles.find((f) => f.includes(h));
    return where !== undefined ? `accepted and rendered into Postfix files: ${JSON.stringify(where.split('\n').find((l) => l.includes(h.split('\n')[0])))}` : 'accepted without error';
  }
  const message = error.message;
  if (target.showsValue !== false && !message.includes(h) && !message.includes(JSON.stringify(h).slice(1, -1))) return `error does not show the value: ${message}`;
  if (target.scoped && !message.startsWith('[stack/')) return `error does not name the construct: ${message}`;
  return undefined;
}

describe('a hostile string in any string prop is refused clearly and never rendered', () => {
  test.each(TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
    const problems = (target.values ?? HOSTILE).map((h) => ({ value: h, problem: problem(target, h) })).filter((p) => p.problem !== undefined);
    expect(problems).toEqual([]);
  });
});

describe('an enum-typed prop given a non-member string (plain JavaScript caller) is refused clearly', () => {
  test.each(ENUM_TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
    const problems = HOSTILE.map((h) => ({ value: h, problem: problem(target, h) })).filter((p) => p.problem !== undefined);
    expect(problems).toEqual([]);
  });
});

describeIfPostconf('values that stay literal in a table file', () => {
  test('`$`, `#` and braces in a relay client name are read back unchanged by the real postmap, so they cannot inject', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki(), {
      clientCerts: {
        ...withCa(pki()),
        tableType: TableType.TEXTHASH,
        relayClients: SYNTAX.map((name, i) => ClientIdentity.fromFingerprint(`0${i}:${FIXED_FINGERPRINTS.relay.slice(3)}`, name)),
      },
    });
    const [table] = mx.render().tables;
    const dir = mkdtempSync(join(tmpdir(), 'postmap-'));
    try {
      writeFileSync(join(dir, 'main.cf'), '');
      writeFileSync(join(dir, 'relay_clientcerts'), table.content);
      // Postfix re-reads a file modified in the last second (sleeping between tries): back-date it.
      const past = new Date(Date.now() - 3600_000);
      for (const name of ['main.cf', 'relay_clientcerts']) utimesSync(join(dir, name), past, past);
      SYNTAX.forEach((name, i) => {
        const key = `0${i}:${FIXED_FINGERPRINTS.relay.slice(3)}`;
        const value = execFileSync('postmap', ['-c', dir, '-q', key, `texthash:${join(dir, 'relay_clientcerts')}`], { encoding: 'utf8' });
        expect(value).toBe(`${name}\n`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the harness itself', () => {
  test('a harmless value passes through it without a problem, so the refusals above are real', () => {
    const target = TARGETS.find((t) => t.name === 'PostfixServer additionalParameters value') as Target;
    const result = attempt(target, 'mx.example.com ESMTP');
    expect(result.error).toBeUndefined();
    expect(result.postfixFiles[0]).toContain('smtpd_banner = mx.example.com ESMTP');
  });

  test('a newline in a value never yields a relayhost line, even split across the props of one server', () => {
    const { stack } = newStack();
    expect(() =>
      buildServer(stack, 'mx', pki(), { server: { hostname: 'mx.example.com', additionalParameters: { smtpd_banner: 'ok\nrelayhost = [evil.example]:25' } } }),
    ).toThrow(/^\[stack\/mx\] additional parameter smtpd_banner "ok\\nrelayhost = \[evil.example\]:25" contains a control character/);
  });
});
