import { DeployFile, TLS_DIRECTORY } from './deploy-file';
import type { CipherGrade, TlsProtocolVersion } from './server-spec';

export type TlsProfileName = 'intermediate' | 'modern' | 'postfix-default' | 'internet-nl';

/** The weakest server certificate keys a profile accepts (checked at synth, where the certificate is known). */
export interface CertificateKeyFloor {
  readonly minRsaBits: number;
  /** OpenSSL names of the accepted ECDSA curves. */
  readonly ecCurves: readonly string[];
  /** Who sets the floor, for messages. */
  readonly source: string;
}

/**
 * What a named profile sets for the services it governs; unset fields keep Postfix's built-in defaults. A
 * profile never changes the global `tls_*_cipherlist` parameters (they also govern the smtp client): it
 * narrows a grade with exclusions instead.
 */
export interface TlsProfileSettings {
  readonly minimumProtocol?: TlsProtocolVersion;
  readonly mandatoryCipherGrade?: CipherGrade;
  /** OpenSSL cipher properties excluded from the grade's list (TLS 1.2 and lower; TLS 1.3 suites are separate). */
  readonly excludeCiphers: readonly string[];
  /** Whether the profile still allows DHE suites, for which DH parameters matter. */
  readonly usesDhe: boolean;
  /** Whether anonymous (aNULL) suites remain possible, needed for certificate-less operation. */
  readonly allowsAnonymous: boolean;
  readonly certificateKeys?: CertificateKeyFloor;
  /**
   * OpenSSL SSL_CONF settings that no Postfix 3.7 parameter sets. They reach OpenSSL through an OpenSSL
   * configuration file named by `-o tls_config_file` on the smtpd services the profile governs only, so the
   * smtp client (outbound mail) keeps the system's settings.
   */
  readonly openssl?: Readonly<Record<string, string>>;
}

/**
 * Mozilla's "intermediate" TLS 1.2 suites (server side TLS guidelines 5.7): ECDHE key exchange with AEAD
 * (AES-GCM, ChaCha20-Poly1305). Excluding these properties from Postfix's `medium` list leaves exactly
 * those six suites with OpenSSL 3; they are also the NCSC-NL guidelines' "good" TLS 1.2 suites.
 */
const ECDHE_AEAD_ONLY = ['aNULL', 'kRSA', 'kDHE', 'PSK', 'SHA1', 'SHA256', 'SHA384', 'CAMELLIA', 'ARIA', 'AESCCM'];

/**
 * SHA-2 signature schemes only, for TLS 1.2 and 1.3 (NCSC-NL: SHA-1 and SHA-224 are not acceptable). Ed25519
 * and Ed448 hash with SHA-512 and stay for client certificates.
 */
export const SHA2_SIGNATURE_ALGORITHMS = [
  'ECDSA+SHA256', 'ECDSA+SHA384', 'ECDSA+SHA512',
  'rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512',
  'rsa_pss_pss_sha256', 'rsa_pss_pss_sha384', 'rsa_pss_pss_sha512',
  'RSA+SHA256', 'RSA+SHA384', 'RSA+SHA512',
  'ed25519', 'ed448',
].join(':');

export const TLS_PROFILES: Readonly<Record<TlsProfileName, TlsProfileSettings>> = {
  intermediate: { minimumProtocol: 'TLSv1.2', mandatoryCipherGrade: 'medium', excludeCiphers: ECDHE_AEAD_ONLY, usesDhe: false, allowsAnonymous: false },
  modern: { minimumProtocol: 'TLSv1.3', excludeCiphers: [], usesDhe: false, allowsAnonymous: false },
  'postfix-default': { excludeCiphers: [], usesDhe: true, allowsAnonymous: true },
  // NCSC-NL TLS guidelines 2025-05 as internet.nl checks them. DHE is excluded: the RFC 7919 groups of 3072+
  // bits it asks for cannot be chosen per service on Postfix 3.7 (tls_ffdhe_auto_groups is 3.8+).
  'internet-nl': {
    minimumProtocol: 'TLSv1.2', mandatoryCipherGrade: 'medium', excludeCiphers: ECDHE_AEAD_ONLY, usesDhe: false, allowsAnonymous: false,
    certificateKeys: { minRsaBits: 3072, ecCurves: ['prime256v1', 'secp384r1', 'secp521r1'], source: 'the NCSC-NL TLS guidelines' },
    openssl: { SignatureAlgorithms: SHA2_SIGNATURE_ALGORITHMS },
  },
};

/** Where a profile's OpenSSL configuration lives in the container. */
export function opensslConfigPath(name: TlsProfileName): string {
  return `${TLS_DIRECTORY}/openssl-${name}.cnf`;
}

/**
 * The OpenSSL configuration file of a profile with `openssl` settings. With an absolute tls_config_file
 * Postfix uses the default application name "openssl_conf" and disables TLS if the file lacks it; the
 * system_default section is applied to every TLS context before Postfix adds its own settings.
 */
export function opensslConfigFile(name: TlsProfileName): DeployFile | undefined {
  const settings = TLS_PROFILES[name].openssl;
  if (!settings) return undefined;
  const section = `postfix_${name.replace(/-/g, '_')}`;
  const content = [
    `# Rendered by postfix-tls-cdktf for TLS profile '${name}': OpenSSL settings Postfix 3.7 has no parameter for.`,
    `openssl_conf = ${section}`,
    `[${section}]`,
    `ssl_conf = ${section}_ssl`,
    `[${section}_ssl]`,
    `system_default = ${section}_defaults`,
    `[${section}_defaults]`,
    ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`),
    '',
  ].join('\n');
  return { containerPath: opensslConfigPath(name), content, secret: false };
}
