/**
 * The configurations of snapshots.test.ts as data. Certificates come from the test PKI, clients are listed by
 * fixed fingerprints, so the rendered text holds nothing run-specific.
 */
import { ClientIdentity, DhParameters, SaslBackend, SecurityLevel, SessionStore, SmtpClientSecurityLevel, SubmissionMode, TableType, TlsProfile, TlsProtocol } from '../../index';
import { FIXED_FINGERPRINTS, ServerParts, serverCert, TestPki } from '../helpers/fixtures';

export interface SnapshotCase {
  readonly id: string;
  readonly description: string;
  readonly parts: (t: TestPki) => ServerParts;
}

/** Seven representative configurations (snapshots.test.ts pins their rendered text; the relay oracle runs them live). */
export const SNAPSHOT_CASES: readonly SnapshotCase[] = [
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
  {
    id: 'outbound',
    description: 'typed outbound TLS client: opportunistic by default, a policy table (secure with match, encrypt, TLS 1.3), own CA and a client certificate',
    parts: (t) => ({
      tls: { certificates: [serverCert(t.serverEcdsa)] },
      smtpClient: {
        securityLevel: SmtpClientSecurityLevel.MAY,
        trustedCaFiles: [t.root.certPath],
        certificate: serverCert(t.serverEcdsa),
        policies: [
          { destination: '[relay.example.net]:587', securityLevel: SmtpClientSecurityLevel.SECURE, match: ['relay.example.net'] },
          { destination: '.example.org', securityLevel: SmtpClientSecurityLevel.ENCRYPT, minimumProtocol: TlsProtocol.TLS_1_3 },
        ],
      },
    }),
  },
];
