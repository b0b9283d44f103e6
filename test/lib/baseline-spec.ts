import type { ClientCertSpec, ServerSpec, SessionCacheSpec, SmtpClientSpec, SubmissionSpec, TlsSpec } from '../../lib/server-spec';

/**
 * A realistic public MX with submission (587, STARTTLS) and submissions (465, implicit TLS), dual ECDSA + RSA
 * certificates, client certificates asked for and relay by fingerprint. It must validate without any diagnostic;
 * tests derive every variant from it with the helpers below.
 */
export function baselineSpec(): ServerSpec {
  return {
    id: 'mx',
    postfixVersion: '3.7',
    hostname: 'mx.example.com',
    publicMx: true,
    smtp: { port: 25 },
    localDomains: ['example.com'],
    trustedNetworks: [],
    chrootSmtpd: false,
    maillogFile: '/dev/stdout',
    tls: {
      certificates: [
        { algorithm: 'ecdsa', keyPath: '/etc/postfix/tls/private/ecdsa.key.pem', chainPath: '/etc/postfix/tls/ecdsa.chain.pem' },
        { algorithm: 'rsa', keyPath: '/etc/postfix/tls/private/rsa.key.pem', chainPath: '/etc/postfix/tls/rsa.chain.pem' },
      ],
      certificateless: false,
      securityLevel: 'may',
      logLevel: 1,
      receivedHeader: false,
      profile: 'intermediate',
      opportunisticProfile: 'postfix-default',
      excludeCiphers: [],
      mandatoryExcludeCiphers: [],
    },
    clientCerts: {
      caFile: '/etc/postfix/tls/client-ca.pem',
      trustedCaCount: 1,
      appendDefaultCa: false,
      ask: true,
      require: false,
      fingerprintDigest: 'sha256',
      publicKeyFingerprints: true,
      rawPublicKeys: false,
      relayClientCerts: [{ key: 'D7:04:2F:A7', value: 'lutzpc' }],
      permitAllClientCerts: false,
      tableType: 'hash',
    },
    sessionCache: { timeoutSeconds: 3600 },
    sasl: { type: 'cyrus', path: 'smtpd' },
    submissions: [
      { id: 'sub', port: 587, mode: 'starttls', saslAuth: true, requireClientCert: false },
      { id: 'subs', port: 465, mode: 'wrapper', saslAuth: true, requireClientCert: false },
    ],
    capacity: {},
  additionalParameters: [],
  };
}

/** The baseline with a shallow patch of the server. */
export function server(patch: Partial<ServerSpec>): ServerSpec {
  return { ...baselineSpec(), ...patch };
}

/** The baseline with a patch of its TlsServer. */
export function tls(patch: Partial<TlsSpec>, serverPatch: Partial<ServerSpec> = {}): ServerSpec {
  const base = baselineSpec();
  return { ...base, ...serverPatch, tls: { ...base.tls!, ...patch } };
}

/** The baseline with a patch of its ClientCertPolicy. */
export function clientCerts(patch: Partial<ClientCertSpec>, serverPatch: Partial<ServerSpec> = {}): ServerSpec {
  const base = baselineSpec();
  return { ...base, ...serverPatch, clientCerts: { ...base.clientCerts!, ...patch } };
}

/** The baseline with a patch of its SessionCache. */
export function sessionCache(patch: Partial<SessionCacheSpec>): ServerSpec {
  const base = baselineSpec();
  return { ...base, sessionCache: { ...base.sessionCache, ...patch } };
}

/** The baseline with patches of its two submission ports (587 first, 465 second). */
export function submissions(sub: Partial<SubmissionSpec>, subs: Partial<SubmissionSpec> = {}): ServerSpec {
  const base = baselineSpec();
  return { ...base, submissions: [{ ...base.submissions[0], ...sub }, { ...base.submissions[1], ...subs }] };
}

/** A non-public, certificate-less server (anonymous ciphers only) without client certificates. */
export function certificatelessSpec(patch: Partial<TlsSpec> = {}, serverPatch: Partial<ServerSpec> = {}): ServerSpec {
  return tls(
    { certificates: [], certificateless: true, profile: 'postfix-default', ...patch },
    { publicMx: false, clientCerts: undefined, submissions: [], ...serverPatch },
  );
}

/** A SmtpClientTls at its defaults (may, log level 1, no policies, no CA), patched. */
export function smtpClient(patch: Partial<SmtpClientSpec> = {}, serverPatch: Partial<ServerSpec> = {}): ServerSpec {
  return {
    ...baselineSpec(),
    ...serverPatch,
    smtpClient: { securityLevel: 'may', logLevel: 1, policies: [], tableType: 'hash', certificates: [], profile: 'intermediate', ...patch },
  };
}

/** The library's bundle of CAs trusted by the smtp client. */
export const SMTP_CA_FILE = '/etc/postfix/tls/smtp-ca.pem';
