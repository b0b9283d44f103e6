/**
 * Reviewable snapshots: the rendered main.cf and master.cf TEXT of six representative configurations, and the
 * proof that the real postconf reads each of them without a warning. The snapshots hold no private key and
 * nothing run-specific: certificates come from a fresh tmp PKI, but only their fixed container paths reach the
 * text, and clients are listed by fixed fingerprints.
 */
import { Testing } from 'cdktf';
import { tmpdir } from 'node:os';
import {
  ClientIdentity,
  DhParameters,
  PostfixServer,
  SaslBackend,
  SecurityLevel,
  SessionStore,
  SubmissionMode,
  TableType,
  TlsProfile,
} from '../../index';
import { buildServer, FIXED_FINGERPRINTS, mainCfLines, newStack, opensslCertFingerprint, ServerParts, serverCert, TestPki, useTestPki } from '../helpers/fixtures';
import { describeIfPostconf, postconfCheck } from '../helpers/postconf';

const pki = useTestPki();

interface SnapshotCase {
  readonly id: string;
  readonly description: string;
  readonly parts: (t: TestPki) => ServerParts;
}

const CASES: SnapshotCase[] = [
  {
    id: 'mx',
    description: 'example-like public MX (may, asks for client certs, relays for listed fingerprints) + submission 587 and 465',
    parts: (t) => ({
      server: { localDomains: ['example.com'], sasl: SaslBackend.cyrus() },
      tls: { certificates: [serverCert(t.serverEcdsa), serverCert(t.serverRsa)], securityLevel: SecurityLevel.MAY, profile: TlsProfile.INTERMEDIATE },
      clientCerts: {
        trustedCaFiles: [t.clientCa.certPath],
        relayClients: [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay.example.net')],
      },
      sessionCache: { timeoutSeconds: 3600 },
      submissions: [{ mode: SubmissionMode.STARTTLS }, { mode: SubmissionMode.WRAPPER }],
    }),
  },
  {
    id: 'anon',
    description: 'certificate-less, anonymous ciphers only, on a non-public relay for a trusted network',
    parts: () => ({
      server: { hostname: 'relay.internal.example.com', publicMx: false, listenAddress: '127.0.0.1', smtpPort: 2525, trustedNetworks: ['192.0.2.0/24'] },
      tls: { certificateless: true, profile: TlsProfile.POSTFIX_DEFAULT },
    }),
  },
  {
    id: 'submit',
    description: 'submission only, TLS 1.3 (modern profile), Dovecot SASL, 587 STARTTLS and 465 wrapper mode',
    parts: (t) => ({
      server: { smtpService: false, sasl: SaslBackend.dovecot() },
      tls: { certificates: [serverCert(t.serverEcdsa)], profile: TlsProfile.MODERN },
      submissions: [{}, { mode: SubmissionMode.WRAPPER }],
    }),
  },
  {
    id: 'certrelay',
    description: 'non-public relay: TLS and client certificates required, any certificate of one dedicated CA relays',
    parts: (t) => ({
      server: { publicMx: false },
      tls: { certificates: [serverCert(t.serverEcdsa)], securityLevel: SecurityLevel.ENCRYPT },
      clientCerts: { trustedCaFiles: [t.clientCa.certPath], requireCertificates: true, permitAllClientCertificates: true, verifyDepth: 3 },
    }),
  },
  {
    id: 'ccert',
    description: 'check_ccert_access (texthash) with a CApath of hash links',
    parts: (t) => ({
      tls: { certificates: [serverCert(t.serverRsa)] },
      clientCerts: {
        capathCaFiles: [t.clientCa.certPath],
        tableType: TableType.TEXTHASH,
        accessRules: [
          { client: ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay'), action: 'OK' },
          { client: ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.blocked, 'blocked'), action: 'REJECT certificate withdrawn' },
        ],
      },
    }),
  },
  {
    id: 'lmdbdh',
    description: 'LMDB session cache, RFC 7919 ffdhe3072 DH parameters, Postfix default cipher profile',
    parts: (t) => ({
      tls: { certificates: [serverCert(t.serverRsa)], profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.ffdhe(3072) },
      sessionCache: { store: SessionStore.lmdb(), timeoutSeconds: 7200, alwaysIssueSessionIds: true },
    }),
  },
];

function render(c: SnapshotCase): { server: PostfixServer; mainCf: string; masterCf: string } {
  const { stack } = newStack();
  const server = buildServer(stack, c.id, pki(), c.parts(pki()));
  Testing.synth(stack, true);
  const { mainCf, masterCf, warnings } = server.render();
  expect(warnings).toEqual([]);
  return { server, mainCf, masterCf };
}

/** Everything run-specific that must never reach a snapshot: tmp paths and fingerprints of this run's certificates. */
let runSpecific: string[] = [];
beforeAll(() => {
  const t = pki();
  runSpecific = [tmpdir(), t.dir, ...[t.client, t.client2, t.clientCa, t.serverEcdsa, t.serverRsa].map((c) => opensslCertFingerprint(c.certPath))];
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

describeIfPostconf('each snapshot case passes the real postconf -n, -M and -P without a warning', () => {
  test.each(CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const { mainCf, masterCf } = render(c);
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
