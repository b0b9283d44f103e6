import type { TlsProfileName } from '../lib/tls-profile';

/** A named set of protocol and cipher settings; the way most users choose ciphers and protocols. */
export class TlsProfile {
  /** Mozilla "intermediate": TLS 1.2+, its six ECDHE AEAD suites for TLS 1.2. The default where TLS is mandatory. */
  public static readonly INTERMEDIATE = new TlsProfile('intermediate');
  /** Mozilla "modern": TLS 1.3 only. For submission ports whose clients are all current. */
  public static readonly MODERN = new TlsProfile('modern');
  /** Postfix's built-in defaults (includes DHE and, without certificates, anonymous suites). The default on port 25. */
  public static readonly POSTFIX_DEFAULT = new TlsProfile('postfix-default');

  private constructor(public readonly name: TlsProfileName) {}
}
