import type { CipherGrade, TlsProtocolVersion } from './server-spec';

export type TlsProfileName = 'intermediate' | 'modern' | 'postfix-default';

/** What a named profile sets; unset fields keep Postfix's built-in defaults. */
export interface TlsProfileSettings {
  readonly minimumProtocol?: TlsProtocolVersion;
  readonly mandatoryCipherGrade?: CipherGrade;
  /** Replaces `tls_medium_cipherlist`, so both opportunistic and mandatory `medium` use it. */
  readonly mediumCipherList?: string;
  readonly preferServerCiphers?: boolean;
  /** Whether the profile still allows DHE suites, for which DH parameters matter. */
  readonly usesDhe: boolean;
  /** Whether anonymous (aNULL) suites remain possible, needed for certificate-less operation. */
  readonly allowsAnonymous: boolean;
}

// Mozilla's "intermediate" recommendation for Postfix (server side TLS guidelines 5.7).
const MOZILLA_INTERMEDIATE_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const TLS_PROFILES: Readonly<Record<TlsProfileName, TlsProfileSettings>> = {
  intermediate: {
    minimumProtocol: 'TLSv1.2',
    mandatoryCipherGrade: 'medium',
    mediumCipherList: MOZILLA_INTERMEDIATE_SUITES,
    preferServerCiphers: false,
    usesDhe: false,
    allowsAnonymous: false,
  },
  modern: { minimumProtocol: 'TLSv1.3', usesDhe: false, allowsAnonymous: false },
  'postfix-default': { usesDhe: true, allowsAnonymous: true },
};
