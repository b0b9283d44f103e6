import type { CipherGrade, TlsProtocolVersion } from './server-spec';

export type TlsProfileName = 'intermediate' | 'modern' | 'postfix-default';

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
}

/**
 * Mozilla's "intermediate" TLS 1.2 suites (server side TLS guidelines 5.7): ECDHE key exchange with AEAD
 * (AES-GCM, ChaCha20-Poly1305). Excluding these properties from Postfix's `medium` list leaves exactly
 * those six suites with OpenSSL 3.
 */
const NOT_INTERMEDIATE = ['aNULL', 'kRSA', 'kDHE', 'PSK', 'SHA1', 'SHA256', 'SHA384', 'CAMELLIA', 'ARIA', 'AESCCM'];

export const TLS_PROFILES: Readonly<Record<TlsProfileName, TlsProfileSettings>> = {
  intermediate: { minimumProtocol: 'TLSv1.2', mandatoryCipherGrade: 'medium', excludeCiphers: NOT_INTERMEDIATE, usesDhe: false, allowsAnonymous: false },
  modern: { minimumProtocol: 'TLSv1.3', excludeCiphers: [], usesDhe: false, allowsAnonymous: false },
  'postfix-default': { excludeCiphers: [], usesDhe: true, allowsAnonymous: true },
};
