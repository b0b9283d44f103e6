import type { TlsProfileName } from '../lib/tls-profile';

/** A named set of protocol and cipher settings; the way most users choose ciphers and protocols. */
export class TlsProfile {
  /** Mozilla "intermediate": TLS 1.2+, its six ECDHE AEAD suites for TLS 1.2. The default where TLS is mandatory. */
  public static readonly INTERMEDIATE = new TlsProfile('intermediate');
  /** Mozilla "modern": TLS 1.3 only. For submission ports whose clients are all current. */
  public static readonly MODERN = new TlsProfile('modern');
  /**
   * The NCSC-NL TLS guidelines (2025-05) as the internet.nl mail test checks them: TLS 1.2+, for TLS 1.2 only
   * ECDHE with AEAD (no RSA key exchange, DHE, CBC or SHA-1 MAC), SHA-2 signatures only (an OpenSSL
   * configuration file on the services it governs), and server certificates with ECDSA P-256 or stronger or
   * RSA of at least 3072 bits (refused at synth otherwise). For mandatory TLS, or port 25 as an explicit
   * opt-in (`opportunisticProfile`, with a warning).
   */
  public static readonly INTERNET_NL = new TlsProfile('internet-nl');
  /** Postfix's built-in defaults (includes DHE and, without certificates, anonymous suites). The default on port 25. */
  public static readonly POSTFIX_DEFAULT = new TlsProfile('postfix-default');

  private constructor(public readonly name: TlsProfileName) {}
}
