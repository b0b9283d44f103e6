/**
 * Errors name the construct path, show the bad value and say how to fix it; they block `app.synth()` and
 * `Testing.synth(stack, true)`, and `server.render()` refuses an invalid server even when validations are
 * skipped. Warnings become cdktf annotations.
 */
import { Testing } from 'cdktf';
import { IConstruct } from 'constructs';
import { createDiffieHellmanGroup } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffdheGroupPem } from '../../lib/pki/dh';
import {
  ClientIdentity,
  DhParameters,
  PostfixContainer,
  PostfixImage,
  SecurityLevel,
  SessionStore,
  SmtpClientSecurityLevel,
  SubmissionMode,
  TlsProfile,
  TlsProtocol,
  TlsServer,
} from '../../index';
import {
  buildServer,
  errorOf,
  FIXED_FINGERPRINTS,
  fullSynthAnnotations,
  HOST,
  newStack,
  ServerParts,
  serverCert,
  TestPki,
  useTestPki,
} from '../helpers/fixtures';

const pki = useTestPki();

interface ErrorCase {
  readonly name: string;
  readonly parts: (t: TestPki) => ServerParts;
  /** The construct path the message starts with, in brackets. */
  readonly path: string;
  /** The bad value as the message shows it. */
  readonly value: string;
  /** The advice on how to fix it. */
  readonly fix: string;
}

/** Errors raised while constructing (props that can never work). */
const CONSTRUCTION_ERRORS: ErrorCase[] = [
  { name: 'hostname that is not a FQDN', parts: () => ({ server: { hostname: 'localhost' } }), path: '[stack/mx]', value: '"localhost"', fix: 'e.g. mx.example.com' },
  { name: 'postmasterAddress that is a list', parts: () => ({ server: { postmasterAddress: 'ops@example.net, x@evil.example' } }), path: '[stack/mx]', value: '"ops@example.net, x@evil.example"', fix: 'use letters, digits and . _ % + - before the @' },
  { name: 'postmasterAddress without a domain', parts: () => ({ server: { postmasterAddress: 'ops' } }), path: '[stack/mx]', value: '"ops"', fix: 'not an address local@domain' },
  { name: 'smtpPort out of range', parts: () => ({ server: { smtpPort: 70000 } }), path: '[stack/mx]', value: '70000', fix: 'from 1 to 65535' },
  { name: 'trusted network that is not CIDR', parts: () => ({ server: { trustedNetworks: ['example.com'] } }), path: '[stack/mx]', value: '"example.com"', fix: 'e.g. 192.0.2.0/24' },
  { name: 'relative maillogFile', parts: () => ({ server: { maillogFile: 'mail.log' } }), path: '[stack/mx]', value: '"mail.log"', fix: 'must be an absolute path' },
  { name: 'additional parameter with a bad name', parts: () => ({ server: { additionalParameters: { 'bad-name': 'x' } } }), path: '[stack/mx]', value: '"bad-name"', fix: "use letters, digits and '_' only" },
  { name: 'TLS logLevel 7', parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], logLevel: 7 } }), path: '[stack/mx/Tls]', value: 'logLevel 7', fix: 'from 0 to 4' },
  {
    name: 'excluded cipher that is not an OpenSSL name', parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], excludeCiphers: ['RC4@'] } }),
    path: '[stack/mx/Tls]', value: '"RC4@"', fix: 'e.g. aNULL, MD5, kRSA',
  },
  {
    name: 'dh512ParamFile (refused with the reason)', parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], dh512ParamFile: '/etc/postfix/dh512.pem' } }),
    path: '[stack/mx/Tls]', value: '"/etc/postfix/dh512.pem"', fix: 'Remove it; use dhParameters',
  },
  {
    name: 'useTls together with securityLevel', parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], useTls: true, securityLevel: SecurityLevel.MAY } }),
    path: '[stack/mx/Tls]', value: 'useTls/enforceTls', fix: 'keep securityLevel only',
  },
  { name: 'senderLogins empty', parts: () => ({ submissions: [{ senderLogins: {} }] }), path: '[stack/mx/Submission0]', value: 'senderLogins is empty', fix: 'list each login with its addresses' },
  { name: 'senderLogins login without addresses', parts: () => ({ submissions: [{ senderLogins: { alice: [] } }] }), path: '[stack/mx/Submission0]', value: 'senderLogins login "alice" has no sender address', fix: 'give at least one' },
  {
    name: 'senderLogins address listed twice (case folded)', parts: () => ({ submissions: [{ senderLogins: { alice: ['alice@example.com', 'Alice@Example.com'] } }] }),
    path: '[stack/mx/Submission0]', value: '"alice@example.com" twice', fix: 'remove one',
  },
  { name: 'senderLogins address without a domain', parts: () => ({ submissions: [{ senderLogins: { alice: ['alice'] } }] }), path: '[stack/mx/Submission0]', value: 'senderLogins address of alice "alice"', fix: 'not an address local@domain' },
  { name: 'senderLogins @domain that is no host name', parts: () => ({ submissions: [{ senderLogins: { alice: ['@localhost'] } }] }), path: '[stack/mx/Submission0]', value: '"localhost"', fix: 'not a fully qualified host name' },
  { name: 'senderLogins login that is a list', parts: () => ({ submissions: [{ senderLogins: { 'alice,bob': ['alice@example.com'] } }] }), path: '[stack/mx/Submission0]', value: 'senderLogins login "alice,bob"', fix: 'without spaces or commas' },
  {
    name: 'senderLogins logins that differ only in case', parts: () => ({ submissions: [{ senderLogins: { alice: ['a@example.com'], Alice: ['b@example.com'] } }] }),
    path: '[stack/mx/Submission0]', value: '"alice" and "Alice"', fix: 'merge them',
  },
  {
    name: 'senderLogins without SASL', parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], permitAllClientCertificates: true }, submissions: [{ saslAuthentication: false, requireClientCertificate: true, senderLogins: { alice: ['alice@example.com'] } }] }),
    path: '[stack/mx/Submission0]', value: 'saslAuthentication is false', fix: 'remove senderLogins, or enable saslAuthentication',
  },
  { name: 'authRateLimit negative', parts: () => ({ submissions: [{ authRateLimit: -1 }] }), path: '[stack/mx/Submission0]', value: 'authRateLimit -1', fix: 'from 0 to 1000000' },
  {
    name: 'authRateLimit without SASL', parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], permitAllClientCertificates: true }, submissions: [{ saslAuthentication: false, requireClientCertificate: true, authRateLimit: 10 }] }),
    path: '[stack/mx/Submission0]', value: 'authRateLimit applies to SASL logins', fix: 'remove authRateLimit',
  },
  { name: 'SubmissionPort authOnly false', parts: () => ({ submissions: [{ authOnly: false }] }), path: '[stack/mx/Submission0]', value: 'authOnly false', fix: 'Remove authOnly' },
  { name: 'verifyDepth 0', parts: () => ({ clientCerts: { verifyDepth: 0 } }), path: '[stack/mx/ClientCerts]', value: 'verifyDepth 0', fix: 'from 1 to 100' },
  {
    name: 'requireCertificates with askForCertificates false', parts: () => ({ clientCerts: { requireCertificates: true, askForCertificates: false } }),
    path: '[stack/mx/ClientCerts]', value: 'askForCertificates: false', fix: 'remove askForCertificates: false',
  },
  { name: 'negative session cache timeout', parts: () => ({ sessionCache: { timeoutSeconds: -1 } }), path: '[stack/mx/Sessions]', value: 'timeoutSeconds -1', fix: 'whole number from 0' },
  {
    name: 'relative session cache path', parts: () => ({ sessionCache: { store: SessionStore.btree('var/scache') } }),
    path: '[stack/mx/Sessions]', value: '"var/scache"', fix: 'e.g. /etc/postfix/tls/ca.pem',
  },
  { name: 'submission port out of range', parts: () => ({ submissions: [{ port: 0 }] }), path: '[stack/mx/Submission0]', value: 'port 0', fix: 'from 1 to 65535' },
  { name: 'submission listen address that is no address', parts: () => ({ submissions: [{ listenAddress: 'not an address' }] }), path: '[stack/mx/Submission0]', value: '"not an address"', fix: 'e.g. mx.example.com' },
  {
    // Postfix (tls_misc.c) refuses an exclusion that starts with a modifier, and TLS then fails.
    name: 'an excluded cipher written with its "!"',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], excludeCiphers: ['!RC4'] } }),
    path: '[stack/mx/Tls]', value: '"!RC4"', fix: 'give the bare name ("RC4")',
  },
  { name: 'SmtpClientTls logLevel 5', parts: () => ({ smtpClient: { logLevel: 5 } }), path: '[stack/mx/Outbound]', value: 'logLevel 5', fix: 'from 0 to 4' },
  {
    name: 'SmtpClientTls trustedCaPems holding a private key', parts: (t) => ({ smtpClient: { trustedCaPems: [readFileSync(t.serverEcdsa.keyPath, 'utf8')] } }),
    path: '[stack/mx/Outbound]', value: 'trustedCaPems[0]', fix: 'pass CA certificates only in trustedCaPems',
  },
  {
    name: 'SmtpClientTls trustedCaFiles naming a leaf certificate', parts: (t) => ({ smtpClient: { trustedCaFiles: [t.bad.nonCaCert] } }),
    path: '[stack/mx/Outbound]', value: 'is not a CA certificate', fix: 'Only CA certificates belong',
  },
  {
    name: 'SmtpClientTls trustSystemCas next to own CAs', parts: (t) => ({ smtpClient: { trustSystemCas: true, trustedCaFiles: [t.root.certPath] } }),
    path: '[stack/mx/Outbound]', value: 'trustSystemCas and trustedCaFiles/trustedCaPems are both set', fix: 'Trust either your CAs or the system bundle',
  },
  {
    name: 'SmtpClientTls policy with a level that is no level', parts: () => ({ smtpClient: { policies: [{ destination: 'example.net', securityLevel: 'fingerprint' as never }] } }),
    path: '[stack/mx/Outbound]', value: 'policies[0].securityLevel "fingerprint"', fix: 'none, may, encrypt, dane, verify, secure',
  },
  {
    name: 'SmtpClientTls policy destination with a line break', parts: () => ({ smtpClient: { policies: [{ destination: 'example.net\nrelayhost = evil', securityLevel: SmtpClientSecurityLevel.MAY }] } }),
    path: '[stack/mx/Outbound]', value: 'policies[0].destination', fix: 'remove it',
  },
];

/** Errors of the server-level rules, reported by validation at synth time. */
const VALIDATION_ERRORS: (ErrorCase & { readonly rule: string })[] = [
  {
    name: 'encrypt on a public MX', rule: 'tls-required-on-public-mx',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], securityLevel: SecurityLevel.ENCRYPT } }),
    path: '[stack/mx]', value: "securityLevel 'encrypt' on the public MX service (port 25)", fix: 'Use SecurityLevel.MAY, or declare the server non-public with publicMx: false',
  },
  {
    name: 'enforceTls (obsolete form) on a public MX', rule: 'tls-required-on-public-mx',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], enforceTls: true } }),
    path: '[stack/mx]', value: "securityLevel 'encrypt'", fix: 'publicMx: false',
  },
  {
    name: 'requireCertificates without enforced TLS', rule: 'req-ccert-needs-encrypt',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], requireCertificates: true } }),
    path: '[stack/mx]', value: "securityLevel 'may'", fix: 'Use securityLevel ENCRYPT on a non-public server, or requireClientCertificate on a SubmissionPort',
  },
  {
    name: 'an access mode without asking for certificates', rule: 'ccert-access-without-ask',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], askForCertificates: false, relayClients: [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay')] } }),
    path: '[stack/mx]', value: 'permit_tls_clientcerts', fix: 'Set askForCertificates: true',
  },
  {
    name: 'permit_tls_all_clientcerts with two trusted CAs', rule: 'permit-all-clientcerts-many-cas',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath, t.otherClientCa.certPath], permitAllClientCertificates: true } }),
    path: '[stack/mx]', value: 'with 2 trust hierarchies', fix: 'Trust exactly one dedicated CA, or use relayClients',
  },
  {
    name: 'permit_tls_all_clientcerts with the system CA bundle', rule: 'permit-all-clientcerts-default-ca',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], appendDefaultCa: true, permitAllClientCertificates: true } }),
    path: '[stack/mx]', value: 'system CA bundle appended', fix: 'set appendDefaultCa: false',
  },
  {
    name: 'session cache timeout above 100 days', rule: 'session-cache-timeout-too-long',
    parts: () => ({ sessionCache: { timeoutSeconds: 101 * 86400 } }),
    path: '[stack/mx]', value: `${101 * 86400}s`, fix: 'use at most 24 hours',
  },
  {
    name: 'texthash session cache', rule: 'session-cache-texthash',
    parts: () => ({ sessionCache: { store: SessionStore.of('texthash') } }),
    path: '[stack/mx]', value: 'texthash', fix: 'lmdb',
  },
  {
    name: 'wrapper mode in main.cf', rule: 'forbidden-parameter',
    parts: () => ({ server: { additionalParameters: { smtpd_tls_wrappermode: 'yes' } } }),
    path: '[stack/mx]', value: 'smtpd_tls_wrappermode = "yes"', fix: 'add a SubmissionPort with mode WRAPPER',
  },
  {
    name: 'obsolete smtpd_use_tls as an additional parameter', rule: 'forbidden-parameter',
    parts: () => ({ server: { additionalParameters: { smtpd_use_tls: 'yes' } } }),
    path: '[stack/mx]', value: 'smtpd_use_tls = "yes"', fix: 'set TlsServer securityLevel',
  },
  {
    name: 'a managed parameter as an additional parameter', rule: 'managed-parameter',
    parts: () => ({ server: { additionalParameters: { smtpd_tls_security_level: 'encrypt' } } }),
    path: '[stack/mx]', value: 'smtpd_tls_security_level', fix: 'set TlsServer securityLevel instead',
  },
  {
    name: 'TLS without a certificate', rule: 'no-server-certificate',
    parts: () => ({ tls: {} }),
    path: '[stack/mx]', value: "securityLevel 'may'", fix: 'add certificates, or set certificateless: true',
  },
  {
    name: 'certificateless on a public MX', rule: 'certificateless-on-public-mx',
    parts: () => ({ tls: { certificateless: true, profile: TlsProfile.POSTFIX_DEFAULT } }),
    path: '[stack/mx]', value: 'certificateless', fix: 'Give the server a certificate, or set publicMx: false',
  },
  {
    name: 'certificateless with a profile that excludes anonymous ciphers', rule: 'certificateless-profile',
    parts: () => ({ server: { publicMx: false }, tls: { certificateless: true } }),
    path: '[stack/mx]', value: "profile 'intermediate'", fix: 'use TlsProfile.POSTFIX_DEFAULT',
  },
  {
    // Measured before: accepted, and the live server answered 220 to STARTTLS, then "no cipher match".
    name: 'excludeCiphers ECDHE with an ECDSA certificate only', rule: 'no-cipher-suite-left',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], excludeCiphers: ['ECDHE'] } }),
    path: '[stack/mx]', value: 'the server\'s ECDSA certificate in grade \'medium\' with the exclusions of opportunisticProfile \'postfix-default\' and "ECDHE"', fix: 'change excludeCiphers',
  },
  {
    name: 'opportunistic cipherGrade NULL', rule: 'null-cipher-grade',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], cipherGrade: 'null' as never } }),
    path: '[stack/mx]', value: "cipherGrade 'null'", fix: 'leave cipherGrade unset',
  },
  {
    name: 'submission with SASL but no backend', rule: 'sasl-without-backend',
    parts: () => ({ server: { sasl: undefined }, submissions: [{}] }),
    path: '[stack/mx]', value: 'SubmissionPort stack/mx/Submission0', fix: 'set PostfixServer sasl',
  },
  {
    name: 'submission that accepts nobody', rule: 'submission-accepts-nobody',
    parts: () => ({ submissions: [{ saslAuthentication: false }] }),
    path: '[stack/mx]', value: 'SubmissionPort stack/mx/Submission0', fix: 'enable one',
  },
  {
    name: 'two services on one port', rule: 'duplicate-listener',
    parts: () => ({ server: { smtpPort: 587 }, submissions: [{}] }),
    path: '[stack/mx]', value: 'port 587', fix: 'give each its own port or address',
  },
  {
    name: 'server (with a submission port) without TLS', rule: 'server-without-tls',
    parts: () => ({ tls: false, submissions: [{}] }),
    path: '[stack/mx]', value: 'has no TlsServer', fix: "new TlsServer(server, 'Tls'",
  },
  {
    // The fixture's RSA certificate has 2048 bits: enough for INTERMEDIATE, not for NCSC-NL.
    name: 'an RSA-2048 certificate under the internet-nl profile', rule: 'certificate-key-too-weak',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa), serverCert(t.serverRsa)], profile: TlsProfile.INTERNET_NL } }),
    path: '[stack/mx]', value: "certificates[1] \"CN=mx.example.com", fix: 'has a 2048-bit RSA key, weaker than profile \'internet-nl\' accepts',
  },
  {
    name: 'tls_config_file next to the internet-nl profile', rule: 'openssl-config-conflict',
    parts: (t) => ({ server: { additionalParameters: { tls_config_file: 'none' } }, tls: { certificates: [serverCert(t.serverEcdsa)], profile: TlsProfile.INTERNET_NL } }),
    path: '[stack/mx]', value: 'additional parameter tls_config_file', fix: 'remove tls_config_file from additionalParameters, or choose another profile',
  },
  {
    name: 'null mandatory cipher grade', rule: 'null-cipher-grade',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], mandatoryCipherGrade: 'null' as never } }),
    path: '[stack/mx]', value: "mandatoryCipherGrade 'null'", fix: "use 'medium' or 'high'",
  },
  {
    name: 'SmtpClientTls VERIFY without a trusted CA', rule: 'smtp-verify-without-ca',
    parts: () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.VERIFY } }),
    path: '[stack/mx]', value: 'SmtpClientTls securityLevel VERIFY', fix: 'set trustedCaFiles or trustedCaPems',
  },
  {
    name: 'SmtpClientTls policy at SECURE without a trusted CA', rule: 'smtp-verify-without-ca',
    parts: () => ({ smtpClient: { policies: [{ destination: '[192.0.2.1]:25', securityLevel: SmtpClientSecurityLevel.SECURE }] } }),
    path: '[stack/mx]', value: 'policies entry "[192.0.2.1]:25" at SECURE', fix: 'trustSystemCas: true',
  },
  {
    name: 'SmtpClientTls policy destination that is no next hop', rule: 'smtp-policy-destination',
    parts: () => ({ smtpClient: { policies: [{ destination: 'example.net:99999', securityLevel: SmtpClientSecurityLevel.ENCRYPT }] } }),
    path: '[stack/mx]', value: 'has port 99999', fix: '[mx.example.com]:25',
  },
  {
    name: 'smtp_tls_security_level in additionalParameters next to a SmtpClientTls', rule: 'smtp-client-parameter',
    parts: () => ({ server: { additionalParameters: { smtp_tls_security_level: 'encrypt' } }, smtpClient: {} }),
    path: '[stack/mx]', value: 'smtp_tls_security_level', fix: 'set SmtpClientTls securityLevel instead',
  },
  {
    name: 'smtp_tls_CAfile in additionalParameters next to a SmtpClientTls', rule: 'smtp-client-parameter',
    parts: () => ({ server: { additionalParameters: { smtp_tls_CAfile: '/etc/ssl/certs/ca-certificates.crt' } }, smtpClient: {} }),
    path: '[stack/mx]', value: 'smtp_tls_CAfile', fix: 'SmtpClientTls trustedCaFiles / trustedCaPems / trustSystemCas',
  },
];

describe('construction errors name the construct path, show the bad value and say how to fix it', () => {
  test.each(CONSTRUCTION_ERRORS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { stack } = newStack();
    const message = errorOf(() => buildServer(stack, 'mx', pki(), c.parts(pki()))).message;
    expect(message.startsWith(`${c.path} `)).toBe(true);
    expect(message).toContain(c.value);
    expect(message).toContain(c.fix);
  });
});

describe('validation errors name the server path, the rule, the bad value and the fix, and block synth', () => {
  test.each(VALIDATION_ERRORS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), c.parts(pki()));
    const message = errorOf(() => Testing.synth(stack, true)).message;
    const line = message.split('\n').find((l) => l.includes(`${c.path} [${c.rule}]`));
    expect(line).toBeDefined();
    expect(line).toContain(c.value);
    expect(line).toContain(c.fix);
    // render() refuses too, with the same rule, even though nothing ran the validations.
    expect(errorOf(() => server.render()).message).toContain(`[${c.rule}]`);
  });
});

describe('how errors stop synthesis', () => {
  const invalid = (t: TestPki): ServerParts => ({ tls: { certificates: [serverCert(t.serverEcdsa)], securityLevel: SecurityLevel.ENCRYPT } });

  test('app.synth() throws with the server path and rule, and writes no stack output', () => {
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), invalid(pki()));
    const e = errorOf(() => app.synth());
    expect(e.message).toContain('[stack/mx] [tls-required-on-public-mx]');
  });

  test('Testing.synth throws with or without validations (the server checks itself in an aspect), and render() refuses', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), invalid(pki()));
    expect(() => Testing.synth(stack, true)).toThrow(/\[stack\/mx\] \[tls-required-on-public-mx\]/);
    expect(() => Testing.synth(stack)).toThrow(/^\[stack\/mx\] \[tls-required-on-public-mx\] securityLevel 'encrypt'/);
    const e = errorOf(() => server.render());
    expect(e.message).toMatch(/^\[stack\/mx\] server stack\/mx cannot be rendered:\n {2}- \[tls-required-on-public-mx\] /);
    expect(() => server.files()).toThrow(/tls-required-on-public-mx/);
  });

  test('render() lists every error at once', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), {
      tls: { certificates: [serverCert(pki().serverEcdsa)], securityLevel: SecurityLevel.ENCRYPT },
      sessionCache: { timeoutSeconds: 200 * 86400 },
    });
    const message = errorOf(() => server.render()).message;
    expect(message).toContain('[tls-required-on-public-mx]');
    expect(message).toContain('[session-cache-timeout-too-long]');
  });

  test('a PostfixContainer of an invalid server fails at synth with the server\'s errors, and no deployable output exists', () => {
    const { app, stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), invalid(pki()));
    new PostfixContainer(stack, 'Container', { server, image: new PostfixImage(stack, 'Image') });
    expect(() => app.synth()).toThrow(/^\[stack\/mx\] \[tls-required-on-public-mx\] /);
    expect(existsSync(join(app.outdir, 'stacks', 'stack', 'cdk.tf.json'))).toBe(false);
  });

  test('a valid server synthesizes and renders', () => {
    const { app, stack } = newStack();
    const server = buildServer(stack, 'mx', pki());
    expect(() => app.synth()).not.toThrow();
    expect(server.render().mainCf).toContain(`myhostname = ${HOST}`);
  });
});

function warnings(scope: IConstruct): { path: string; message: string }[] {
  return scope.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => ({ path: c.node.path, message: String(m.data) })));
}

describe('warnings are cdktf annotations, not errors', () => {
  const WARNINGS: [string, (t: TestPki) => ServerParts, string, string, string][] = [
    ['obsolete useTls', (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], useTls: true } }), 'stack/mx', 'obsolete-parameter', 'smtpd_use_tls = yes is obsolete (Postfix 3.9+ warns about it); rendered as smtpd_tls_security_level = may. Set securityLevel instead'],
    ['obsolete enforceTls', (t) => ({ server: { publicMx: false }, tls: { certificates: [serverCert(t.serverEcdsa)], enforceTls: true } }), 'stack/mx', 'obsolete-parameter', 'smtpd_enforce_tls = yes is obsolete (Postfix 3.9+ warns about it); rendered as smtpd_tls_security_level = encrypt'],
    ['verbose TLS log level', (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], logLevel: 3 } }), 'stack/mx', 'tls-loglevel-verbose', 'logLevel 3 dumps TLS traffic'],
    ['session cache timeout above 24h', () => ({ sessionCache: { timeoutSeconds: 90000 } }), 'stack/mx', 'session-cache-timeout-long', 'session cache timeout 90000s exceeds 24 hours'],
    ['session cache timeout 0', () => ({ sessionCache: { timeoutSeconds: 0 } }), 'stack/mx', 'session-cache-disabled', 'timeout 0 disables session tickets'],
    ['session cache timeout below 2 minutes', () => ({ sessionCache: { timeoutSeconds: 30 } }), 'stack/mx', 'session-cache-timeout-short', 'Postfix raises it to 120s'],
    ['wrapper mode on 587', () => ({ submissions: [{ mode: SubmissionMode.WRAPPER, port: 587 }] }), 'stack/mx', 'wrapper-on-587', 'use port 465 for wrapper mode'],
    ['STARTTLS on 465', () => ({ submissions: [{ port: 465 }] }), 'stack/mx', 'starttls-on-465', 'use wrapper mode'],
    ['short STARTTLS timeout', (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], starttlsTimeoutSeconds: 5 } }), 'stack/mx', 'starttls-timeout-short', 'starttlsTimeoutSeconds 5s'],
    ['DH parameters with no profile using DHE', (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], dhParameters: DhParameters.ffdhe(4096), opportunisticProfile: TlsProfile.MODERN } }), 'stack/mx', 'dh-params-unused', "opportunisticProfile 'modern' has DHE"],
    ['CApath with a chrooted smtpd', (t) => ({ server: { chroot: true }, clientCerts: { capathCaFiles: [t.clientCa.certPath] } }), 'stack/mx', 'capath-inside-chroot', 'CApath /etc/postfix/tls/capath is read by a chrooted smtpd as /var/spool/postfix/etc/postfix/tls/capath'],
    ['a strict opportunisticProfile on a public MX', (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa)], opportunisticProfile: TlsProfile.INTERMEDIATE } }), 'stack/mx', 'strict-opportunistic-tls', 'senders that cannot meet it retry in plain text'],
    ['SmtpClientTls securityLevel NONE', () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.NONE } }), 'stack/mx', 'smtp-tls-none', 'sends every message in plain text'],
    ['SmtpClientTls securityLevel DANE', () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.DANE } }), 'stack/mx', 'smtp-dane-resolver', 'needs a DNSSEC-validating resolver'],
  ];

  test.each(WARNINGS)('%s: a warning annotation on the server, in node metadata and in the synth manifest', (_name, parts, path, rule, text) => {
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), parts(pki()));
    const annotations = fullSynthAnnotations(app);
    const matching = annotations.filter((a) => a.message.startsWith(`[${rule}] `));
    expect(matching).toHaveLength(1);
    expect(matching[0].constructPath).toBe(path);
    expect(matching[0].level).toBe('@cdktf/warn');
    expect(matching[0].message).toContain(text);
    expect(warnings(stack)).toContainEqual({ path, message: matching[0].message });
  });

  test('the MODERN profile, or a TLS 1.3 minimumProtocol, narrows mandatory TLS only: port 25 of a public MX gets no warning', () => {
    for (const tls of [{ profile: TlsProfile.MODERN }, { minimumProtocol: TlsProtocol.TLS_1_3 }]) {
      const { stack } = newStack();
      buildServer(stack, 'mx', pki(), { tls: { certificates: [serverCert(pki().serverEcdsa)], ...tls } });
      Testing.synth(stack, true);
      expect(warnings(stack)).toEqual([]);
    }
  });

  test('the internet-nl profile with an ECDSA P-256 certificate: no warning on mandatory TLS; its OpenSSL file is uploaded', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), { tls: { certificates: [serverCert(pki().serverEcdsa)], profile: TlsProfile.INTERNET_NL } });
    Testing.synth(stack, true);
    expect(warnings(stack)).toEqual([]);
    const file = server.node.findAll().flatMap((c) => (c instanceof TlsServer ? c._files : [])).find((f) => f.containerPath === '/etc/postfix/tls/openssl-internet-nl.cnf');
    expect(file?.content).toContain('SignatureAlgorithms = ECDSA+SHA256:');
  });

  test('a certificate that expires soon is a warning annotation on the TlsServer', async () => {
    const soon = await pki().pki.ensureServerCert('mx-expires-soon', {
      issuer: 'intermediate',
      hostnames: [HOST],
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 10 * 86_400_000),
    });
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), { tls: { certificates: [serverCert(soon)] } });
    const annotations = fullSynthAnnotations(app);
    expect(annotations).toContainEqual(expect.objectContaining({ constructPath: 'stack/mx/Tls', level: '@cdktf/warn', message: expect.stringMatching(/^\[pki-cert-expires-soon\] .*Renew it soon/) }));
  });

  test('a DSA certificate next to ECDSA is reported once, as the server-level warning', async () => {
    const { makeDsaServerCert } = await import('../helpers/fixtures');
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), { tls: { certificates: [serverCert(pki().serverEcdsa), serverCert(makeDsaServerCert(pki()))] } });
    const dsa = fullSynthAnnotations(app).filter((a) => /DSA/.test(a.message));
    expect(dsa).toEqual([expect.objectContaining({ constructPath: 'stack/mx', message: expect.stringMatching(/^\[dsa-obsolete\] a DSA certificate.* is configured: DSA is obsolete/) })]);
  });

  test('a DSA certificate alone is refused at synth: no current client negotiates it (the relay oracle saw "no shared cipher")', async () => {
    const { makeDsaServerCert } = await import('../helpers/fixtures');
    const dsa = makeDsaServerCert(pki());
    const { stack } = newStack();
    buildServer(stack, 'mx', pki(), { tls: { certificates: [serverCert(dsa)] } });
    const e = errorOf(() => Testing.synth(stack, true));
    expect(e.message).toContain('[stack/mx] [dsa-only] TlsServer certificates holds only a DSA certificate (/etc/postfix/tls/dsa.chain.pem)');
    expect(e.message).toContain('no shared cipher');
    expect(e.message).toContain('Add an ECDSA (or RSA) certificate to certificates');
  });

  test('a valid configuration without cautions has no annotations at all', () => {
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), { clientCerts: { trustedCaFiles: [pki().clientCa.certPath], relayClients: [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay')] }, submissions: [{}] });
    expect(fullSynthAnnotations(app)).toEqual([]);
  });
});

/** The 1024-bit MODP group of RFC 2409 as a PKCS#3 "DH PARAMETERS" PEM (node supplies the prime). */
function modp1024Pem(): string {
  const prime = Buffer.concat([Buffer.of(0), createDiffieHellmanGroup('modp2').getPrime()]);
  const body = Buffer.concat([Buffer.of(0x02, 0x81, prime.length), prime, Buffer.of(0x02, 0x01, 0x02)]);
  const der = Buffer.concat([Buffer.of(0x30, 0x81, body.length), body]);
  return `-----BEGIN DH PARAMETERS-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END DH PARAMETERS-----\n`;
}

describe('factories refuse values that can never work, before any construct exists', () => {
  test.each([
    ['DhParameters.ffdhe(1024)', () => DhParameters.ffdhe(1024), 'DhParameters.ffdhe(1024): RFC 7919 defines 2048, 3072 and 4096 bits'],
    ['DhParameters.fromPem without a DH block', () => DhParameters.fromPem('-----BEGIN CERTIFICATE-----'), 'DhParameters.fromPem is not valid PEM: PEM block 1 has a BEGIN line but no matching END line'],
    ['DhParameters.fromPem with a 1024-bit group (RFC 2409 group 2)', () => DhParameters.fromPem(modp1024Pem()), 'DhParameters.fromPem holds a 1024-bit DH group, too weak (Logjam; OpenSSL 3 refuses it at security level 2): use DhParameters.ffdhe(2048) or generate at least 2048 bits'],
    ['DhParameters.fromPem with a certificate next to the DH block', () => DhParameters.fromPem(`${ffdheGroupPem(2048)}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`), 'DhParameters.fromPem must hold exactly one PEM "DH PARAMETERS" block, not DH PARAMETERS, CERTIFICATE: generate one with openssl dhparam'],
    ['ClientIdentity.fromFingerprint with a colon-less value', () => ClientIdentity.fromFingerprint('ABCDEF', 'x'), 'fingerprint "ABCDEF" of client "x" is not hex pairs joined by \':\' (e.g. D7:04:2F:...)'],
  ])('%s', (_name, create, message) => {
    expect(errorOf(create).message).toBe(message);
  });
});
