import { isPrivateNetwork, MIN_TRUSTED_PREFIX, parseNetwork, SocketClaims } from './networks';
import { listWords, parameterValueProblem } from './parameter-types';
import { POSTFIX_RELEASES } from './postfix-versions';
import { RELAY_REFUSED } from './relay-parameters';
import { hostname, quote } from './values';
import { Diagnostic, error, warning } from './diagnostics';
import { isIP } from 'node:net';
import type { CipherGrade, ClientCertSpec, ServerSpec, SmtpClientSpec, SmtpSecurityLevel, TlsProtocolVersion } from './server-spec';
import { TLS_PROTOCOL_VERSIONS } from './server-spec';
import { TLS_PROFILES } from './tls-profile';
import { algorithmsWithoutSuites } from './cipher-lists';

/**
 * Cross-cutting rules: configurations that Postfix would reject, silently ignore, or that make the server
 * unsafe. Each rule has a stable id; messages say what is wrong, show the value, and how to fix it.
 */

const CHROOT_DIRECTORY = '/var/spool/postfix/';
const MAX_SESSION_CACHE_TIMEOUT = 100 * 86400;

/** Parameters the library renders from typed props; setting them by hand would fight the model. */
export const MANAGED_PARAMETERS: Readonly<Record<string, string>> = {
  smtpd_tls_security_level: 'TlsServer securityLevel',
  smtpd_tls_cert_file: 'TlsServer certificates / certificateless',
  smtpd_tls_key_file: 'TlsServer certificates',
  smtpd_tls_chain_files: 'TlsServer certificates',
  smtpd_tls_eccert_file: 'TlsServer certificates',
  smtpd_tls_eckey_file: 'TlsServer certificates',
  smtpd_tls_dcert_file: 'TlsServer certificates',
  smtpd_tls_dkey_file: 'TlsServer certificates',
  smtpd_tls_loglevel: 'TlsServer logLevel',
  smtpd_tls_received_header: 'TlsServer receivedHeader',
  smtpd_tls_protocols: 'TlsServer opportunisticProfile',
  smtpd_tls_mandatory_protocols: 'TlsServer profile / minimumProtocol',
  smtpd_tls_ciphers: 'TlsServer cipherGrade',
  smtpd_tls_mandatory_ciphers: 'TlsServer mandatoryCipherGrade',
  smtpd_tls_exclude_ciphers: 'TlsServer excludeCiphers',
  smtpd_tls_mandatory_exclude_ciphers: 'TlsServer mandatoryExcludeCiphers',
  smtpd_tls_dh1024_param_file: 'TlsServer dhParameters',
  smtpd_starttls_timeout: 'TlsServer starttlsTimeoutSeconds',
  smtpd_tls_CAfile: 'ClientCertPolicy trustedCaFiles / trustedCaPems',
  smtpd_tls_CApath: 'ClientCertPolicy capathCaFiles / capathCaPems',
  smtpd_tls_ask_ccert: 'ClientCertPolicy askForCertificates',
  smtpd_tls_req_ccert: 'ClientCertPolicy requireCertificates',
  smtpd_tls_ccert_verifydepth: 'ClientCertPolicy verifyDepth',
  smtpd_tls_fingerprint_digest: 'ClientCertPolicy fingerprintDigest',
  relay_clientcerts: 'ClientCertPolicy relayClients',
  smtpd_relay_restrictions: 'ClientCertPolicy relayClients / permitAllClientCertificates / accessRules and PostfixServer trustedNetworks',
  smtpd_tls_session_cache_database: 'SessionCache store',
  smtpd_tls_session_cache_timeout: 'SessionCache timeoutSeconds',
  smtpd_tls_always_issue_session_ids: 'SessionCache alwaysIssueSessionIds',
  myhostname: 'PostfixServer hostname',
  mydestination: 'PostfixServer localDomains',
  mynetworks: 'PostfixServer trustedNetworks',
  maillog_file: 'PostfixServer maillogFile',
  compatibility_level: 'the library (it renders 3.6)',
  default_process_limit: 'PostfixServer processLimit',
  max_use: 'PostfixServer maxUse',
  smtpd_client_connection_count_limit: 'PostfixServer clientConnectionLimit',
  smtpd_client_auth_rate_limit: 'SubmissionPort authRateLimit',
  smtpd_sender_login_maps: 'SubmissionPort senderLogins',
  tls_medium_cipherlist: 'TlsServer profile / excludeCiphers',
  tls_append_default_CA: 'ClientCertPolicy appendDefaultCa',
  smtpd_sasl_type: 'PostfixServer sasl',
  smtpd_sasl_path: 'PostfixServer sasl',
  alias_maps: 'the library (it renders postmaster and abuse aliases)',
  alias_database: 'the library',
};

/**
 * smtp client parameters a `SmtpClientTls` renders or replaces, with the prop to use. Without one, users may
 * still set them in additionalParameters (the library's outbound defaults then give way).
 */
export const SMTP_CLIENT_PARAMETERS: Readonly<Record<string, string>> = {
  smtp_tls_security_level: 'SmtpClientTls securityLevel',
  smtp_tls_loglevel: 'SmtpClientTls logLevel',
  smtp_tls_policy_maps: 'SmtpClientTls policies',
  smtp_tls_per_site: 'SmtpClientTls policies',
  smtp_use_tls: 'SmtpClientTls securityLevel',
  smtp_enforce_tls: 'SmtpClientTls securityLevel',
  smtp_tls_enforce_peername: 'SmtpClientTls securityLevel',
  smtp_dns_support_level: 'SmtpClientTls securityLevel DANE (or a policies entry at DANE), which renders dnssec',
  smtp_tls_CAfile: 'SmtpClientTls trustedCaFiles / trustedCaPems / trustSystemCas',
  smtp_tls_CApath: 'SmtpClientTls trustedCaFiles / trustedCaPems / trustSystemCas',
  smtp_tls_chain_files: 'SmtpClientTls certificate',
  smtp_tls_cert_file: 'SmtpClientTls certificate',
  smtp_tls_key_file: 'SmtpClientTls certificate',
  smtp_tls_eccert_file: 'SmtpClientTls certificate',
  smtp_tls_eckey_file: 'SmtpClientTls certificate',
  smtp_tls_dcert_file: 'SmtpClientTls certificate',
  smtp_tls_dkey_file: 'SmtpClientTls certificate',
  smtp_tls_mandatory_protocols: 'SmtpClientTls profile / minimumProtocol',
};

/**
 * Parameters Postfix 3.9+ deprecates (DEPRECATION_README; its postconf warns about each), with what replaces
 * them. They still work on 3.7, so they are warnings.
 */
export const DEPRECATED_PARAMETERS: Readonly<Record<string, string>> = {
  smtp_use_tls: 'smtp_tls_security_level = may (the library renders it)',
  smtp_enforce_tls: 'smtp_tls_security_level = encrypt',
  smtp_tls_enforce_peername: 'smtp_tls_security_level = verify',
  smtp_tls_per_site: 'smtp_tls_policy_maps',
  lmtp_use_tls: 'lmtp_tls_security_level = may',
  lmtp_enforce_tls: 'lmtp_tls_security_level = encrypt',
  lmtp_tls_enforce_peername: 'lmtp_tls_security_level = verify',
  lmtp_tls_per_site: 'lmtp_tls_policy_maps',
  smtpd_tls_eecdh_grade: "nothing: OpenSSL's automatic curve selection (tls_eecdh_auto_curves)",
  tls_eecdh_strong_curve: 'tls_eecdh_auto_curves',
  tls_eecdh_ultra_curve: 'tls_eecdh_auto_curves',
  disable_dns_lookups: 'smtp_dns_support_level',
};

/** Parameters that must never be set in main.cf, with the reason. */
export const FORBIDDEN_PARAMETERS: Readonly<Record<string, string>> = {
  smtpd_tls_wrappermode:
    'wrapper mode in main.cf would make every smtpd service, including port 25, speak implicit TLS; add a SubmissionPort with mode WRAPPER (port 465), which sets it as a master.cf -o override',
  smtpd_use_tls: 'obsolete: set TlsServer securityLevel (SecurityLevel.MAY), which renders smtpd_tls_security_level',
  smtpd_enforce_tls: 'obsolete: set TlsServer securityLevel (SecurityLevel.ENCRYPT), which renders smtpd_tls_security_level',
  smtpd_tls_dh512_param_file:
    'Postfix 3.6+ silently ignores it and 512-bit DH is broken (Logjam); leave it out and use TlsServer dhParameters',
  smtpd_tls_cipherlist: 'removed in Postfix 2.3; use TlsServer profile or cipher grades',
  process_id: 'read-only: Postfix ignores the assignment',
  process_name: 'read-only: Postfix ignores the assignment',
  service_name: 'read-only: Postfix ignores the assignment',
  config_directory: 'the container layout fixes it; postconf -c and Postfix override it',
};

function protocolBelow(version: TlsProtocolVersion, floor: TlsProtocolVersion): boolean {
  return TLS_PROTOCOL_VERSIONS.indexOf(version) < TLS_PROTOCOL_VERSIONS.indexOf(floor);
}

/** Shared by TlsServer and SmtpClientTls (`prefix` names the construct). */
function checkLogLevelAndFloor(prefix: string, props: { logLevel: number; minimumProtocol?: TlsProtocolVersion }, out: Diagnostic[]): void {
  if (props.logLevel >= 3) {
    out.push(warning('tls-loglevel-verbose', `${prefix}logLevel ${props.logLevel} dumps TLS traffic into the log: use it only while debugging (0 or 1 otherwise)`));
  }
  if (props.minimumProtocol && protocolBelow(props.minimumProtocol, 'TLSv1.2')) {
    out.push(warning('weak-protocol-floor', `${prefix}minimumProtocol ${props.minimumProtocol} allows protocol versions with known weaknesses: use TLSv1.2 or later`));
  }
}

/** X25519MLKEM768 (OpenSSL 3.5+), then Postfix 3.10's default tls_eecdh_auto_curves. */
export const POST_QUANTUM_GROUPS = ['X25519MLKEM768', 'X25519', 'X448', 'prime256v1', 'secp384r1', 'secp521r1'];

/** Whether the smtpd services offer the hybrid post-quantum group: by default where the release's OpenSSL has it. */
export function postQuantumKeyExchange(spec: ServerSpec): boolean {
  return spec.tls?.postQuantum ?? spec.postfixVersion !== '3.7';
}

function validateTls(spec: ServerSpec, out: Diagnostic[]): void {
  const tls = spec.tls;
  if (!tls) {
    out.push(error('server-without-tls', "the server has no TlsServer: add one as its child (new TlsServer(server, 'Tls', { certificates: [...] })), or one with securityLevel: SecurityLevel.NONE for a server without TLS"));
    return;
  }
  const profile = TLS_PROFILES[tls.profile];
  const mx = spec.smtp !== undefined;
  if (mx && spec.publicMx && tls.securityLevel === 'encrypt') {
    out.push(error('tls-required-on-public-mx',
      `securityLevel 'encrypt' on the public MX service (port ${spec.smtp?.port}): RFC 3207 section 4 forbids requiring TLS on a publicly referenced MX, so mail from servers without TLS would bounce. Use SecurityLevel.MAY, or declare the server non-public with publicMx: false`));
  }
  if (mx && spec.publicMx && tls.securityLevel === 'none') {
    out.push(warning('public-mx-without-tls', `securityLevel 'none' on the public MX (port ${spec.smtp?.port}): STARTTLS is not offered, so every sender delivers in plain text where Postfix's default (may) would have encrypted. Use SecurityLevel.MAY, or publicMx: false for a server only trusted clients reach`));
  }
  if (tls.postQuantum && spec.postfixVersion === '3.7') {
    out.push(error('post-quantum-unsupported', "postQuantumKeyExchange on Postfix 3.7: Debian 12's OpenSSL 3.0 has no ML-KEM, so the group would be skipped silently. Target PostfixVersion.V3_10 (OpenSSL 3.5), or leave postQuantumKeyExchange unset"));
  }
  if (tls.obsoleteForm) {
    out.push(warning('obsolete-parameter', `${tls.obsoleteForm} is obsolete (Postfix 3.9+ warns about it); rendered as smtpd_tls_security_level = ${tls.securityLevel}. Set securityLevel instead`));
  }
  if (tls.certificateless) {
    if (tls.certificates.length > 0) {
      out.push(error('certificateless-with-certificates', `certificateless is set but ${tls.certificates.length} certificate(s) are given too: remove certificateless, or remove the certificates`));
    }
    if (mx && spec.publicMx) {
      out.push(error('certificateless-on-public-mx', 'certificateless (anonymous ciphers only) on a public MX: typical SMTP clients cannot complete such a handshake and will not fall back to plain text. Give the server a certificate, or set publicMx: false'));
    }
    for (const [prop, name] of [['profile', tls.profile], ['opportunisticProfile', tls.opportunisticProfile]] as const) {
      if (!TLS_PROFILES[name].allowsAnonymous) {
        out.push(error('certificateless-profile', `certificateless needs anonymous (aNULL) ciphers, which ${prop} '${name}' excludes: use TlsProfile.POSTFIX_DEFAULT for ${prop}`));
      }
    }
    if (spec.submissions.length > 0) {
      out.push(warning('certificateless-submission', `certificateless with submission port(s) ${spec.submissions.map((s) => s.port).join(', ')}: anonymous TLS lets a man in the middle read every SASL password, and mail clients (which verify the server) refuse it. Give the server a certificate for its submission ports`));
    }
    if (tls.minimumProtocol === 'TLSv1.3') {
      out.push(error('certificateless-tls13', 'certificateless needs TLS 1.2 or lower (TLS 1.3 has no anonymous ciphers): lower minimumProtocol'));
    }
  } else if ((tls.securityLevel !== 'none' || spec.submissions.length > 0) && tls.certificates.length === 0) {
    const needs = tls.securityLevel !== 'none' ? `securityLevel '${tls.securityLevel}'` : 'submission ports (always encrypt)';
    out.push(error('no-server-certificate', `${needs} needs a server certificate: add certificates, or set certificateless: true for an anonymous-cipher-only server that is not a public MX`));
  }
  const algorithms = tls.certificates.map((c) => c.algorithm);
  for (const algorithm of new Set(algorithms)) {
    if (algorithms.filter((a) => a === algorithm).length > 1) {
      out.push(error('duplicate-key-algorithm', `two ${algorithm.toUpperCase()} certificates are given; Postfix uses one certificate per key type: keep one`));
    }
  }
  if (algorithms.length > 0 && algorithms.every((a) => a === 'dsa')) {
    // Measured (Postfix 3.7, OpenSSL 3.0): the server moves to TLS 1.2 for the DSA key, and the client offers
    // no DHE-DSS suite, so SSL_accept fails with "no shared cipher" and STARTTLS never completes.
    out.push(error('dsa-only', `TlsServer certificates holds only a DSA certificate (${tls.certificates[0].chainPath}): TLS 1.3 has no DSA signatures and current TLS clients (OpenSSL 3, Node, browsers) offer no DHE-DSS suite, so every STARTTLS handshake fails with "no shared cipher" and the container never gets healthy. Add an ECDSA (or RSA) certificate to certificates (a DSA one may stay next to it), or replace the DSA certificate`));
  } else if (algorithms.includes('dsa')) {
    out.push(warning('dsa-obsolete', `a DSA certificate (${tls.certificates.find((c) => c.algorithm === 'dsa')?.chainPath}) is configured: DSA is obsolete and modern clients do not negotiate it. Use an ECDSA certificate (optionally next to RSA)`));
  }
  if (algorithms.length > 0 && algorithms.every((a) => a === 'ed25519' || a === 'ed448')) {
    out.push(warning('eddsa-only', `only EdDSA certificates (${algorithms.join(', ')}) are configured: most SMTP clients offer no EdDSA signature algorithm and would fail the handshake. Add an ECDSA (or RSA) certificate next to it; Postfix picks per client`));
  }
  validateProfileRequirements(spec, out);
  checkLogLevelAndFloor('', tls, out);
  const opportunistic = TLS_PROFILES[tls.opportunisticProfile];
  if (mx && tls.securityLevel === 'may' && opportunistic.minimumProtocol !== undefined) {
    const who = spec.publicMx ? 'the public MX' : 'the SMTP service';
    out.push(warning('strict-opportunistic-tls', `opportunisticProfile '${tls.opportunisticProfile}' on ${who} refuses TLS below ${opportunistic.minimumProtocol}${opportunistic.excludeCiphers.length > 0 ? ' and every TLS 1.2 suite but ECDHE with AEAD' : ''}: senders that cannot meet it retry in plain text, where Postfix's defaults would have encrypted. Keep TlsProfile.POSTFIX_DEFAULT on port 25 unless every sender is known`));
  }
  if (mx && tls.securityLevel === 'may' && tls.cipherGrade === 'null') {
    out.push(error('null-cipher-grade', "cipherGrade 'null' lets a client negotiate a \"TLS\" session without encryption on port 25: leave cipherGrade unset (Postfix's medium)"));
  }
  if (tls.mandatoryCipherGrade === 'null') {
    out.push(error('null-cipher-grade', "mandatoryCipherGrade 'null' allows unencrypted TLS sessions where encryption is mandatory: use 'medium' or 'high'"));
  } else if (tls.mandatoryCipherGrade === 'export' || tls.mandatoryCipherGrade === 'low') {
    out.push(warning('weak-cipher-grade', `mandatoryCipherGrade '${tls.mandatoryCipherGrade}' is treated as 'medium' since Postfix 3.8 and is weak before: use 'medium' or 'high'`));
  }
  validateCipherLists(spec, out);
  if (tls.dhParamFile && spec.postfixVersion !== '3.7') {
    out.push(error('dh-param-file-deprecated', `custom DH parameters (${tls.dhParamFile}) need smtpd_tls_dh1024_param_file, which Postfix ${spec.postfixVersion} deprecates (its postconf warns; OpenSSL 3 picks RFC 7919 groups itself): use DhParameters.ffdhe(bits), rendered as tls_ffdhe_auto_groups, or DhParameters.NONE`));
  }
  if ((tls.dhParamFile || tls.ffdheBits) && !profile.usesDhe && !opportunistic.usesDhe) {
    out.push(warning('dh-params-unused', `DH parameters ${tls.dhParamFile ?? `ffdhe${tls.ffdheBits}`} are unused: neither profile '${tls.profile}' nor opportunisticProfile '${tls.opportunisticProfile}' has DHE cipher suites. Remove them, or use TlsProfile.POSTFIX_DEFAULT`));
  }
  if (tls.starttlsTimeoutSeconds !== undefined && tls.starttlsTimeoutSeconds < 10) {
    out.push(warning('starttls-timeout-short', `starttlsTimeoutSeconds ${tls.starttlsTimeoutSeconds}s may drop slow but honest clients: use 10s or more`));
  }
}

const CURVE_NAMES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const curveName = (curve: string): string => CURVE_NAMES[curve] ?? curve;

/** What a profile demands beyond protocols and ciphers: certificate key sizes, and its own OpenSSL file. */
function validateProfileRequirements(spec: ServerSpec, out: Diagnostic[]): void {
  const tls = spec.tls;
  if (!tls) return;
  const chosen = (['profile', 'opportunisticProfile'] as const).map((prop) => ({ prop, name: tls[prop], settings: TLS_PROFILES[tls[prop]] }));
  const floors = chosen.filter((c) => c.settings.certificateKeys);
  if (floors.length > 0) {
    const floor = floors[0].settings.certificateKeys!;
    const chooser = floors.map((c) => `${c.prop} '${c.name}'`).join(' and ');
    const props = floors.map((c) => c.prop).join(' / ');
    const accepted = `ECDSA ${floor.ecCurves.map(curveName).join(', ')} or RSA of at least ${floor.minRsaBits} bits`;
    for (const [i, c] of tls.certificates.entries()) {
      const key = c.publicKey;
      if (!key) {
        out.push(warning('certificate-key-unknown', `certificates[${i}] (${c.algorithm.toUpperCase()}) is only known at deploy time, so its key cannot be checked against ${chooser}, which requires ${accepted} (${floor.source}): make sure it has such a key`));
        continue;
      }
      const weak =
        c.algorithm === 'rsa' ? (key.rsaBits === undefined || key.rsaBits < floor.minRsaBits ? `a ${key.rsaBits ?? 'unknown'}-bit RSA key` : undefined)
          : c.algorithm === 'ecdsa' ? (key.curve === undefined || !floor.ecCurves.includes(key.curve) ? `an ECDSA key on curve ${quote(curveName(key.curve ?? 'unknown'))}` : undefined)
            : `a ${c.algorithm.toUpperCase()} key`;
      if (weak) {
        out.push(error('certificate-key-too-weak', `certificates[${i}] ${quote(key.subject)} has ${weak}, weaker than ${chooser} accepts (${floor.source}: ${accepted}): reissue it with such a key (LocalPki rsaBits: ${floor.minRsaBits}, or ECDSA), or choose another ${props}`));
      }
    }
  }
  const openssl = chosen.find((c) => c.settings.openssl);
  for (const name of ['tls_config_file', 'tls_config_name']) {
    if (openssl && additional(spec, name) !== undefined) {
      out.push(error('openssl-config-conflict', `additional parameter ${name} conflicts with ${openssl.prop} '${openssl.name}', whose OpenSSL settings reach the smtpd services it governs through its own tls_config_file (read with the default application name): remove ${name} from additionalParameters, or choose another ${openssl.prop}`));
    }
  }
}

/**
 * Exclusions that leave a certificate type without any TLS 1.2 suite, evaluated by OpenSSL: none left for
 * any certificate makes every TLS 1.2 handshake fail (an error); none for one of two certificates leaves
 * that certificate unused (a warning). TLS 1.3 suites are configured separately and are not affected.
 */
function validateCipherLists(spec: ServerSpec, out: Diagnostic[]): void {
  const tls = spec.tls;
  if (!tls || tls.certificateless || tls.certificates.length === 0) return;
  const algorithms = tls.certificates.map((c) => c.algorithm);
  const opportunistic = TLS_PROFILES[tls.opportunisticProfile].excludeCiphers;
  interface Level { what: string; grade: CipherGrade; profile: string; profileExclusions: readonly string[]; exclusions: readonly string[]; props: string }
  const levels: Level[] = [];
  if (spec.smtp && tls.securityLevel === 'may') {
    levels.push({ what: 'opportunistic TLS on port 25', grade: tls.cipherGrade ?? 'medium', profile: `opportunisticProfile '${tls.opportunisticProfile}'`, profileExclusions: opportunistic, exclusions: tls.excludeCiphers, props: 'excludeCiphers / opportunisticProfile / cipherGrade' });
  }
  const mandatory = TLS_PROFILES[tls.profile];
  const mandatoryGrade = tls.mandatoryCipherGrade ?? mandatory.mandatoryCipherGrade ?? 'medium';
  if ((spec.submissions.length > 0 || tls.securityLevel === 'encrypt') && mandatoryGrade !== 'null') {
    levels.push({
      what: 'mandatory TLS', grade: mandatoryGrade, profile: `profile '${tls.profile}'`, profileExclusions: [...opportunistic, ...mandatory.excludeCiphers],
      exclusions: [...tls.excludeCiphers, ...tls.mandatoryExcludeCiphers], props: 'excludeCiphers / mandatoryExcludeCiphers / mandatoryCipherGrade',
    });
  }
  for (const level of levels) {
    const empty = algorithmsWithoutSuites(level.grade, [...level.profileExclusions, ...level.exclusions], algorithms);
    if (empty.length === 0) continue;
    // The input is bounded in the message: the grade, the profile and the user's exclusions, quoted.
    const list = `grade '${level.grade}' with the exclusions of ${level.profile}${level.exclusions.length > 0 ? ` and ${quote(level.exclusions.join(', '))}` : ''}`;
    const types = empty.map((a) => a.toUpperCase()).join(' and ');
    if (empty.length === new Set(algorithms).size) {
      out.push(error('no-cipher-suite-left', `${level.what}: OpenSSL matches no TLS 1.2 suite usable with the server's ${types} certificate${empty.length > 1 ? 's' : ''} in ${list}, so TLS 1.2 handshakes fail: change ${level.props}`));
    } else {
      out.push(warning('certificate-without-cipher-suite', `${level.what}: no TLS 1.2 suite in ${list} can use the ${types} certificate, so TLS 1.2 clients never get it: change ${level.props}, or remove that certificate`));
    }
  }
}

function accessModes(cc: ClientCertSpec): string[] {
  return [
    cc.relayClientCerts ? 'permit_tls_clientcerts' : undefined,
    cc.permitAllClientCerts ? 'permit_tls_all_clientcerts' : undefined,
    cc.ccertAccess ? 'check_ccert_access' : undefined,
  ].filter((m): m is string => m !== undefined);
}

/**
 * Whether the SMTP service (main.cf) asks for client certificates. By default it asks when an access mode
 * exists, unless a SubmissionPort requires certificates: then that dedicated port is where they are used,
 * and MTAs on port 25 get no certificate request (some cannot complete the handshake with one, TLS_README).
 */
export function certificatesAskedOnSmtp(spec: ServerSpec): boolean {
  const cc = spec.clientCerts;
  if (!cc) return false;
  if (cc.require) return true;
  return cc.ask ?? (accessModes(cc).length > 0 && !spec.submissions.some((s) => s.requireClientCert));
}

/** A raw public key carries no name and no issuer: only public-key fingerprints can match it (RFC 7250). */
function validateRawPublicKeys(spec: ServerSpec, cc: ClientCertSpec, out: Diagnostic[]): void {
  if (spec.postfixVersion === '3.7') {
    out.push(error('raw-public-keys-unsupported', 'acceptRawPublicKeys needs Postfix 3.9+ with OpenSSL 3.2+ (smtpd_tls_enable_rpk): Postfix 3.7 does not know it. Target PostfixVersion.V3_10, or leave acceptRawPublicKeys unset'));
  }
  if (!cc.publicKeyFingerprints && (cc.relayClientCerts || cc.ccertAccess)) {
    out.push(error('raw-public-keys-certificate-fingerprints', 'acceptRawPublicKeys with matchPublicKey: false: a client that sends a raw public key has no certificate, so certificate fingerprints never match it and it loses access. Leave matchPublicKey at true (public-key fingerprints match both)'));
  }
  if (cc.permitAllClientCerts || cc.require || spec.submissions.some((s) => s.requireClientCert)) {
    out.push(error('raw-public-keys-with-ca-trust', 'acceptRawPublicKeys with CA-verified client certificates (permitAllClientCertificates, requireCertificates or a SubmissionPort requireClientCertificate): a raw public key has no issuer, so it never verifies. Grant access by fingerprint (relayClients, accessRules) or leave acceptRawPublicKeys unset'));
  }
}

function validateClientCerts(spec: ServerSpec, out: Diagnostic[]): void {
  const cc = spec.clientCerts;
  const requiringSubmissions = spec.submissions.filter((s) => s.requireClientCert);
  if (!cc) {
    for (const s of requiringSubmissions) {
      out.push(error('req-ccert-without-policy', `SubmissionPort ${s.id} requires client certificates but the server has no ClientCertPolicy saying which ones to trust: add one`));
    }
    return;
  }
  const tls = spec.tls;
  if (tls && tls.securityLevel === 'none' && spec.submissions.length === 0) {
    out.push(error('client-certs-without-tls', "a ClientCertPolicy on a server with securityLevel 'none' never sees a certificate: enable TLS"));
  }
  if (cc.rawPublicKeys) validateRawPublicKeys(spec, cc, out);
  const smtpAsks = certificatesAskedOnSmtp(spec);
  if ((smtpAsks || requiringSubmissions.length > 0) && tls?.certificateless) {
    out.push(error('ask-ccert-needs-certificate', 'asking for client certificates needs a server certificate (a server must present its own certificate first): remove certificateless and add a certificate'));
  }
  if (cc.require && tls && tls.securityLevel !== 'encrypt') {
    out.push(error('req-ccert-needs-encrypt',
      `requireCertificates with securityLevel '${tls.securityLevel}': Postfix ignores it and logs "Can't require client certs unless TLS is required". Use securityLevel ENCRYPT on a non-public server, or requireClientCertificate on a SubmissionPort`));
  }
  const modes = accessModes(cc);
  if (modes.length > 0 && !smtpAsks && requiringSubmissions.length === 0) {
    out.push(error('ccert-access-without-ask', `${modes.join(', ')} never match: Postfix only sees a client certificate when it asks for one. Set askForCertificates: true (port 25), or requireClientCertificate on a SubmissionPort (a dedicated relay port)`));
  }
  if (smtpAsks && modes.length === 0 && requiringSubmissions.length === 0 && !cc.require) {
    out.push(warning('ask-ccert-unused', 'client certificates are asked for but no access rule uses them: asking costs handshake time and some clients cannot complete it. Add an access mode, or stop asking'));
  }
  if (cc.permitAllClientCerts) {
    if (!cc.caFile && !cc.caPath) {
      out.push(error('permit-all-clientcerts-without-ca', 'permitAllClientCertificates needs a dedicated trusted CA: set trustedCaFiles or trustedCaPems'));
    } else if (cc.appendDefaultCa) {
      out.push(error('permit-all-clientcerts-default-ca', 'permitAllClientCertificates with the system CA bundle appended would let any holder of a publicly issued certificate relay: set appendDefaultCa: false'));
    } else if ((cc.systemStoreCas ?? []).length > 0 && !cc.dedicatedCa) {
      out.push(error('permit-all-clientcerts-public-ca', `permitAllClientCertificates trusts ${cc.systemStoreCas?.map(quote).join(', ')}, which is in the system trust store: anyone holding a certificate it issued (publicly, for client authentication) could relay. Trust a CA dedicated to your clients, use relayClients, or, if this CA really issues only to your clients, declare it with dedicatedCa: true`));
    } else if (cc.trustedCaCount === undefined) {
      out.push(warning('permit-all-clientcerts-unknown-cas', 'permitAllClientCertificates trusts every CA in the CAfile/CApath, whose content is only known at deploy time: make sure it holds one dedicated CA'));
    } else if (cc.trustedCaCount > 1) {
      out.push(error('permit-all-clientcerts-many-cas', `permitAllClientCertificates with ${cc.trustedCaCount} trust hierarchies (self-signed roots, each with its intermediates): any client certificate from any of them could relay. Trust exactly one dedicated CA, or use relayClients`));
    }
  }
  for (const subject of cc.casWithoutRoot ?? []) {
    out.push(error('ca-without-root', `trusted CA ${quote(subject)} is not self-signed and its root is not trusted with it: Postfix does not enable partial-chain verification, so OpenSSL verifies no client through it. Add its root CA to trustedCaFiles (or trustedCaPems, capathCaFiles) next to it`));
  }
  if (cc.relayClientCerts && cc.relayClientCerts.length === 0) {
    out.push(warning('relay-clientcerts-empty', 'relayClients is empty ([]): permit_tls_clientcerts will never match. List the clients, or leave relayClients unset'));
  }
  if (cc.caPath && spec.chrootSmtpd) {
    out.push(warning('capath-inside-chroot', `CApath ${cc.caPath} is read by a chrooted smtpd as ${CHROOT_DIRECTORY.slice(0, -1)}${cc.caPath}: without a copy there every client certificate is "not trusted". The library's image copies it at start; elsewhere copy it yourself, or set chroot: false`));
  }
  if (cc.appendDefaultCa && !cc.permitAllClientCerts) {
    out.push(warning('append-default-ca', 'appendDefaultCa trusts every public CA for client certificates: prefer a dedicated CA'));
  }
  if (cc.verifyDepth !== undefined && cc.verifyDepth < 3) {
    const intermediates = cc.verifyDepth + 1;
    out.push(warning('verify-depth-counts-intermediates', `verifyDepth ${cc.verifyDepth} accepts client chains with up to ${intermediates} intermediate CAs: Postfix passes ${intermediates} to OpenSSL, which counts only the intermediates between the client certificate and the root. No verifyDepth refuses a certificate issued through an intermediate: to accept only certain clients, list them by fingerprint (relayClients)`));
  }
  const byFingerprint = cc.relayClientCerts !== undefined || cc.ccertAccess !== undefined;
  if (cc.fingerprintDigest === 'md5' && byFingerprint) {
    out.push(error('md5-fingerprint-relay', 'fingerprintDigest md5 with relayClients or accessRules: MD5 collisions can be computed, so a forged certificate could match a listed fingerprint and relay. Use FingerprintDigest.SHA256'));
  } else if (cc.fingerprintDigest === 'md5' || cc.fingerprintDigest === 'sha1') {
    out.push(warning('weak-fingerprint-digest', `fingerprintDigest ${cc.fingerprintDigest} is weak against collisions: use sha256`));
  }
}

/** Levels at which the smtp client refuses to send without TLS (DANE: once usable TLSA records are found). */
export function mandatorySmtpLevel(level: SmtpSecurityLevel): boolean {
  return level !== 'none' && level !== 'may';
}

/** The global level and every policy entry's, in that order. */
export function smtpClientLevels(client: SmtpClientSpec): SmtpSecurityLevel[] {
  return [client.securityLevel, ...client.policies.map((p) => p.level)];
}

/** `[host]` or a domain (with a leading '.' for its subdomains), then an optional `:port`. */
const DESTINATION = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

/** Why a policy table destination is not a next-hop Postfix looks up, or undefined. */
function destinationProblem(destination: string): string | undefined {
  const m = DESTINATION.exec(destination);
  if (!m) return 'is none of domain, .domain, domain:port, [host] and [host]:port';
  const [, bracketed, domain, port] = m;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `has port ${port}, outside 1-65535`;
  if (bracketed !== undefined) {
    return isIP(bracketed) !== 0 || isDomain(bracketed) ? undefined : `has ${quote(bracketed)} in brackets, which is no host name or IP address`;
  }
  // Parent-domain matching only applies to keys without a port (postconf(5) smtp_tls_policy_maps).
  if (domain.startsWith('.') && port !== undefined) return 'combines .domain with a port, which Postfix never looks up';
  return isDomain(domain.replace(/^\./, '')) ? undefined : 'is no domain name';
}

function isDomain(name: string): boolean {
  try {
    hostname('domain', name);
    return true;
  } catch {
    return false;
  }
}

/** Levels that verify the receiver's certificate against trusted CAs (DANE uses TLSA records instead). */
function verifiesCertificate(level: SmtpSecurityLevel): boolean {
  return level === 'verify' || level === 'secure';
}

/** `match=` keywords of verify and secure; anything else must be a host name or `.domain`. */
const MATCH_KEYWORDS = ['hostname', 'nexthop', 'dot-nexthop'];

function validateSmtpClient(spec: ServerSpec, out: Diagnostic[]): void {
  const client = spec.smtpClient;
  if (!client) return;
  const caTrust = client.caFile !== undefined;
  const needsCa = "set trustedCaFiles or trustedCaPems to the CAs that issue the receivers' certificates, or trustSystemCas: true for publicly issued ones";
  if (client.securityLevel === 'none') {
    out.push(warning('smtp-tls-none', "SmtpClientTls securityLevel NONE sends every message in plain text, also to servers that offer STARTTLS: use SecurityLevel MAY (the default) unless a receiver's TLS is broken, and then a policies entry for that destination only"));
  }
  if (verifiesCertificate(client.securityLevel) && !caTrust) {
    out.push(error('smtp-verify-without-ca', `SmtpClientTls securityLevel ${client.securityLevel.toUpperCase()} verifies receivers' certificates, but no CA is trusted, so every delivery is deferred: ${needsCa}`));
  }
  const seen = new Set<string>();
  for (const p of client.policies) {
    const where = `SmtpClientTls policies entry ${quote(p.destination)}`;
    const problem = destinationProblem(p.destination);
    if (problem) {
      out.push(error('smtp-policy-destination', `${where} ${problem}: give a next-hop destination as Postfix looks it up, e.g. example.com, .example.com (its subdomains), [mx.example.com]:25 or [192.0.2.1]:587`));
    }
    const key = p.destination.toLowerCase();
    if (seen.has(key)) out.push(error('smtp-policy-duplicate', `${where} is listed twice (lookups fold case): keep one entry`));
    seen.add(key);
    if (verifiesCertificate(p.level) && !caTrust) {
      out.push(error('smtp-verify-without-ca', `${where} at ${p.level.toUpperCase()} verifies the receiver's certificate, but no CA is trusted, so its mail is always deferred: ${needsCa}`));
    }
    if (p.match !== undefined && !verifiesCertificate(p.level)) {
      out.push(error('smtp-policy-match', `${where} has match patterns, which Postfix uses only at VERIFY and SECURE (level is ${p.level.toUpperCase()}): remove match, or raise the level`));
    }
    if (p.match !== undefined && p.match.length === 0) {
      out.push(error('smtp-policy-match', `${where} has an empty match list, which no certificate meets: list the names, or remove match for Postfix's default`));
    }
    for (const m of p.match ?? []) {
      if (!MATCH_KEYWORDS.includes(m) && !isDomain(m.startsWith('.') ? m.slice(1) : m)) {
        out.push(error('smtp-policy-match', `${where} has match pattern ${quote(m)}: use a host name, .domain (its subdomains), or one of ${MATCH_KEYWORDS.join(', ')}`));
      }
    }
    if (p.level === 'none') {
      out.push(warning('smtp-tls-none', `${where} at NONE sends its mail in plain text, also when the receiver offers STARTTLS: use MAY unless that receiver's TLS is broken`));
    }
  }
  if (smtpClientLevels(client).includes('dane')) {
    out.push(warning('smtp-dane-resolver', 'DANE renders smtp_dns_support_level = dnssec and needs a DNSSEC-validating resolver in /etc/resolv.conf of the container (e.g. a local unbound): without one, TLSA records are never trusted and DANE destinations fall back to opportunistic TLS'));
  }
  if (caTrust && spec.clientCerts?.appendDefaultCa) {
    out.push(warning('smtp-append-default-ca', "ClientCertPolicy appendDefaultCa sets the global tls_append_default_CA, so the smtp client also trusts every public CA next to trustedCaFiles: verified receivers may present any publicly issued certificate for their name"));
  }
  checkLogLevelAndFloor('SmtpClientTls ', client, out);
}

function validateSessionCache(spec: ServerSpec, out: Diagnostic[]): void {
  const cache = spec.sessionCache;
  if (!cache) return;
  const timeout = cache.timeoutSeconds;
  if (timeout !== undefined) {
    if (timeout > MAX_SESSION_CACHE_TIMEOUT) {
      out.push(error('session-cache-timeout-too-long', `session cache timeout ${timeout}s exceeds 100 days, which Postfix refuses at start: use at most 24 hours`));
    } else if (timeout > 86400) {
      out.push(warning('session-cache-timeout-long', `session cache timeout ${timeout}s exceeds 24 hours, the maximum RFC 2246 recommends: use 86400 or less`));
    } else if (timeout === 0) {
      out.push(warning('session-cache-disabled', 'session cache timeout 0 disables session tickets and the cache: every connection pays a full handshake. Use e.g. 3600 to keep resumption'));
    } else if (timeout < 120) {
      out.push(warning('session-cache-timeout-short', `session cache timeout ${timeout}s is below 2 minutes; Postfix raises it to 120s: use 120 or more`));
    }
  }
  if (cache.database?.type === 'texthash') {
    out.push(error('session-cache-texthash', `${quote(`texthash:${cache.database.path}`)} is read-only and cannot hold a session cache: use SessionStore.btree or SessionStore.lmdb`));
  }
  for (const name of cache.serviceOverrides ?? []) {
    out.push(error('session-cache-service-override', `${name} is read by tlsmgr, not smtpd: a master.cf -o override does nothing. Set it on the SessionCache`));
  }
  // tls_server.c sets up session ids whenever a cache database or tickets are in use; the flag matters only without both.
  if (cache.alwaysIssueSessionIds === false && (cache.database || timeout !== 0)) {
    const because = cache.database ? 'a cache database is configured' : 'session tickets are on (timeoutSeconds is not 0)';
    out.push(warning('session-ids-flag-ignored', `alwaysIssueSessionIds false has no effect because ${because}: Postfix issues session ids whenever it can resume sessions. Remove alwaysIssueSessionIds`));
  }
}

function validateSubmissions(spec: ServerSpec, out: Diagnostic[]): void {
  const listeners = new SocketClaims<{ address?: string; port: number; owner: string }>();
  const claim = (address: string | undefined, port: number, owner: string): void => {
    const other = listeners.claim(port, address, { address, port, owner });
    if (other) {
      out.push(error('duplicate-listener', `${owner} (${address ?? '*'}:${port}) and ${other.owner} (${other.address ?? '*'}:${other.port}) both listen on port ${port}, so one of them cannot bind: give each its own port or address`));
    }
  };
  if (spec.smtp) claim(spec.smtp.listenAddress, spec.smtp.port, 'the SMTP service');
  for (const s of spec.submissions) {
    claim(s.listenAddress, s.port, `SubmissionPort ${s.id}`);
    if (s.mode === 'wrapper' && s.port === 587) {
      out.push(warning('wrapper-on-587', `SubmissionPort ${s.id} uses wrapper mode on 587, where clients expect STARTTLS (RFC 6409): use port 465 for wrapper mode`));
    }
    if (s.mode === 'starttls' && s.port === 465) {
      out.push(warning('starttls-on-465', `SubmissionPort ${s.id} uses STARTTLS on 465, where clients expect implicit TLS (RFC 8314): use wrapper mode`));
    }
    if (s.saslAuth && !spec.sasl) {
      out.push(error('sasl-without-backend', `SubmissionPort ${s.id} enables SASL AUTH but the server names no SASL backend: set PostfixServer sasl`));
    }
    const cc = spec.clientCerts;
    const certificatesRelay = cc !== undefined && (cc.relayClientCerts !== undefined || cc.permitAllClientCerts || cc.ccertAccess !== undefined);
    if (!s.saslAuth && !(s.requireClientCert && certificatesRelay)) {
      out.push(error('submission-accepts-nobody', `SubmissionPort ${s.id} has neither SASL nor required client certificates with an access rule (relayClients, permitAllClientCertificates, accessRules), so no client could relay through it: enable one`));
    }
  }
}

function validateCapacity(spec: ServerSpec, out: Diagnostic[]): void {
  const { processLimit, clientConnectionLimit } = spec.capacity;
  const processes = processLimit ?? 100;
  if (clientConnectionLimit !== undefined && clientConnectionLimit > processes) {
    out.push(warning('client-limit-above-process-limit', `clientConnectionLimit ${clientConnectionLimit} exceeds processLimit ${processes}: one client could take every smtpd process. Keep it at or below processLimit`));
  }
}

/** Values Postfix parses at every configuration load (postconf included): a bad one is fatal for every command. */
const LOAD_TIME_VALUES: Readonly<Record<string, RegExp>> = {
  inet_protocols: /^(?:all|ipv4|ipv6)(?:[,\s]+(?:all|ipv4|ipv6))*$/,
  mynetworks_style: /^(?:host|subnet|class)$/,
  inet_interfaces: /^(?:all|loopback-only|[0-9A-Fa-f:.[\]]+(?:[,\s]+[0-9A-Fa-f:.[\]]+)*)$/,
};

function validateTrustedNetworks(spec: ServerSpec, out: Diagnostic[]): void {
  for (const entry of spec.trustedNetworks) {
    const network = parseNetwork(entry);
    if (typeof network === 'string') continue; // refused by the construct, with the reason
    const min = MIN_TRUSTED_PREFIX[network.family];
    if (network.prefix < min) {
      out.push(error('trusted-network-too-broad', `trusted network ${quote(entry)} (trustedNetworks) has prefix /${network.prefix}, shorter than /${min}: every client in it may relay without authentication, so the server would be an open relay for a large part of the Internet. List the networks of your own clients in PostfixServer trustedNetworks, or let them authenticate (ClientCertPolicy relayClients, SubmissionPort saslAuthentication)`));
    } else if (!isPrivateNetwork(network)) {
      out.push(warning('trusted-network-public', `trusted network ${quote(entry)} (trustedNetworks) is not a private range: every host in it relays without authentication, including any that changes hands. Make sure you control all of it, or let those clients authenticate (ClientCertPolicy relayClients)`));
    }
  }
}

/** A `permit` or `permit_*` restriction in a list value: it would accept clients outside the typed props. */
const PERMIT_ENTRY = /(?:^|[\s,])(permit(?:_[a-z_]+)?)(?=$|[\s,])/i;

/** The value of an additional parameter, or undefined when it is not set. */
function additional(spec: ServerSpec, name: string): string | undefined {
  return spec.additionalParameters.find((p) => p.name === name)?.value;
}

function validateAdditionalParameters(spec: ServerSpec, out: Diagnostic[]): void {
  const release = POSTFIX_RELEASES[spec.postfixVersion];
  const classes = new Set(listWords(additional(spec, 'smtpd_restriction_classes') ?? ''));
  for (const { name, value } of spec.additionalParameters) {
    const relay = RELAY_REFUSED[name];
    if (relay) {
      out.push(error('relay-parameter', `additional parameter ${name} = ${quote(value)} is refused: ${relay}`));
      continue;
    }
    const permit = PERMIT_ENTRY.exec(value)?.[1];
    if (permit) {
      out.push(error('permit-in-additional-parameter', `additional parameter ${name} = ${quote(value)} holds the restriction ${permit}, which can grant access outside the relay model: remove it; relaying is granted only by PostfixServer trustedNetworks, ClientCertPolicy relayClients / permitAllClientCertificates / accessRules, or a SubmissionPort with saslAuthentication`));
    }
    const forbidden = FORBIDDEN_PARAMETERS[name];
    if (forbidden) {
      out.push(error('forbidden-parameter', `additional parameter ${name} = ${quote(value)} is refused: ${forbidden}`));
    }
    const managed = MANAGED_PARAMETERS[name];
    if (managed) {
      out.push(error('managed-parameter', `additional parameter ${name} is rendered by the library: set ${managed} instead`));
    }
    const clientProp = spec.smtpClient ? SMTP_CLIENT_PARAMETERS[name] : undefined;
    if (clientProp) {
      out.push(error('smtp-client-parameter', `additional parameter ${name} would override the server's SmtpClientTls: set ${clientProp} instead`));
    }
    const check = LOAD_TIME_VALUES[name];
    if (check && !check.test(value)) {
      out.push(error('bad-load-time-value', `additional parameter ${name} = ${quote(value)}: Postfix evaluates it whenever it loads main.cf and stops on this value: use ${check.source}`));
    }
    // Refused names are not type-checked: their own error says what to set instead.
    const problem = forbidden || managed || clientProp ? undefined : parameterValueProblem(name, value, classes, spec.postfixVersion);
    if (problem) {
      out.push(error('parameter-value-type', `additional parameter ${name} = ${quote(value)} is not a valid value: Postfix ${release.fullVersion} expects ${problem} (postconf(5)), and its daemons stop on anything else. Fix additionalParameters.${name}`));
    }
    // The target's own postconf advice where it has one; the 3.9+ list warns ahead on older targets.
    const measured = forbidden || managed || clientProp ? undefined : release.deprecated[name];
    const replacement = DEPRECATED_PARAMETERS[name] ?? measured;
    if (replacement) {
      const who = measured ? `Postfix ${release.fullVersion}'s postconf warns about it` : 'Postfix 3.9+ warns about it';
      out.push(warning('deprecated-parameter', `additional parameter ${name} is deprecated (${who}, DEPRECATION_README): use ${replacement}`));
    }
    if (!forbidden && !managed && !release.parameters.has(name)) {
      out.push(warning('unknown-parameter', `additional parameter ${name} is not a Postfix ${spec.postfixVersion} parameter: Postfix ignores it ("unused parameter"). Check the spelling, or the PostfixServer postfixVersion`));
    }
  }
}

/** Postfix's postlogd refuses a maillog_file outside maillog_file_prefixes (a guard against overwriting files). */
function validateMaillog(spec: ServerSpec, out: Diagnostic[]): void {
  const prefixes = listWords(additional(spec, 'maillog_file_prefixes') ?? POSTFIX_RELEASES[spec.postfixVersion].maillogFilePrefixes.join(' '));
  if (!prefixes.some((prefix) => spec.maillogFile.startsWith(prefix))) {
    out.push(error('maillog-file-prefix', `maillogFile ${quote(spec.maillogFile)} is outside maillog_file_prefixes (${prefixes.join(', ')}): Postfix refuses to log there. Use maillogFile '/dev/stdout' (the container log) or a file under /var`));
  }
}

function validateSaslStore(spec: ServerSpec, out: Diagnostic[]): void {
  const sasldb = spec.sasl?.sasldbPath;
  if (spec.chrootSmtpd && sasldb && spec.submissions.some((s) => s.saslAuth)) {
    out.push(error('chroot-sasldb', `chroot: true with SaslBackend.cyrusSasldb: a chrooted smtpd opens ${sasldb} as ${CHROOT_DIRECTORY.slice(0, -1)}${sasldb} at every AUTH, so every login fails. Set chroot: false, or use SaslBackend.dovecot() (its socket lives inside the jail)`));
  }
}

/** All findings for a server; an empty array means it renders as declared. */
export function validateServer(spec: ServerSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  validateTls(spec, out);
  validateClientCerts(spec, out);
  validateSmtpClient(spec, out);
  validateSessionCache(spec, out);
  validateSubmissions(spec, out);
  validateCapacity(spec, out);
  validateTrustedNetworks(spec, out);
  validateAdditionalParameters(spec, out);
  validateMaillog(spec, out);
  validateSaslStore(spec, out);
  return out;
}
