/** `smtpd_tls_security_level`: whether the SMTP server offers or requires TLS. */
export enum SecurityLevel {
  /** No TLS. */
  NONE = 'none',
  /** Opportunistic TLS: STARTTLS is offered, plain text is still accepted (right for a public MX). */
  MAY = 'may',
  /** Mandatory TLS: no mail without STARTTLS first. Never on a publicly referenced MX (RFC 3207). */
  ENCRYPT = 'encrypt',
}

/** OpenSSL cipher grades of Postfix (`smtpd_tls_ciphers`, `smtpd_tls_mandatory_ciphers`). */
export enum CipherGrade {
  NULL = 'null',
  EXPORT = 'export',
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
}

/** TLS protocol versions, for a protocol floor. */
export enum TlsProtocol {
  TLS_1_0 = 'TLSv1',
  TLS_1_1 = 'TLSv1.1',
  TLS_1_2 = 'TLSv1.2',
  TLS_1_3 = 'TLSv1.3',
}

/** Public key algorithm of a server certificate. */
export enum KeyAlgorithm {
  RSA = 'rsa',
  ECDSA = 'ecdsa',
  /** Obsolete: accepted with a warning. */
  DSA = 'dsa',
  /** EdDSA (Postfix 3.4+ with smtpd_tls_chain_files); few SMTP clients use it, so only next to ECDSA or RSA. */
  ED25519 = 'ed25519',
  /** EdDSA with Ed448; like ED25519. */
  ED448 = 'ed448',
}

/** `smtpd_tls_fingerprint_digest`. */
export enum FingerprintDigest {
  MD5 = 'md5',
  SHA1 = 'sha1',
  SHA256 = 'sha256',
  SHA512 = 'sha512',
}

/** Lookup table types for tables the library writes. */
export enum TableType {
  /** Plain text read at process start; no postmap needed. */
  TEXTHASH = 'texthash',
  /** Berkeley DB hash, built with postmap at container start. */
  HASH = 'hash',
  /** LMDB (Debian package postfix-lmdb), built with postmap at container start. */
  LMDB = 'lmdb',
  /** Berkeley DB btree, built with postmap at container start. */
  BTREE = 'btree',
  /** Entries inline in main.cf; only for short tables of single-word values. */
  INLINE = 'inline',
}

/** How a submission port starts TLS. */
export enum SubmissionMode {
  /** STARTTLS required before MAIL (port 587, RFC 6409). */
  STARTTLS = 'starttls',
  /** Implicit TLS from the first byte, `smtpd_tls_wrappermode` (port 465, RFC 8314). */
  WRAPPER = 'wrapper',
}

/** `smtp_tls_security_level`: how the smtp client protects mail this server sends on (TLS_README). */
export enum SmtpClientSecurityLevel {
  /** No TLS: plain text even where the receiver offers STARTTLS. Warned about. */
  NONE = 'none',
  /** Opportunistic TLS: encrypt when the receiver offers STARTTLS, without checking its certificate. The default. */
  MAY = 'may',
  /** Mandatory TLS without certificate checks: mail is deferred rather than sent in plain text. */
  ENCRYPT = 'encrypt',
  /** DANE: mandatory and verified by DNSSEC-signed TLSA records where the receiver publishes them, else MAY. */
  DANE = 'dane',
  /** Mandatory TLS with a certificate that a trusted CA issued for the MX host name (from DNS). */
  VERIFY = 'verify',
  /** Mandatory TLS with a certificate that a trusted CA issued for the next-hop domain (not trusting DNS). */
  SECURE = 'secure',
}

/** MTA-STS policy mode (RFC 8461 section 5): what a sender does when an MX fails the policy. */
export enum MtaStsMode {
  /** Senders refuse to deliver to an MX without a publicly trusted certificate for its name. */
  ENFORCE = 'enforce',
  /** Senders deliver anyway and report failures (TLS-RPT): the way to start. */
  TESTING = 'testing',
  /** Senders forget the policy: the way to withdraw one. */
  NONE = 'none',
}

/** Where a DANE key rollover of a `LocalPki` server certificate stands (RFC 7671 section 8.1). */
export enum KeyRollover {
  /**
   * A next key exists and its TLSA record is published next to the current one; the certificate is unchanged.
   * Right after a switch, STAGED undoes it (the way back from a refused switch).
   */
  STAGED = 'staged',
  /** The certificate moved to the next key; the previous key's TLSA record stays until the rollover is retired. */
  SWITCHED = 'switched',
}

/** The Postfix release a server's files are rendered for. */
export enum PostfixVersion {
  /** Postfix 3.7 (Debian 12 bookworm, oldstable; OpenSSL 3.0). */
  V3_7 = '3.7',
  /** Postfix 3.10 (Debian 13 trixie, stable; OpenSSL 3.5): the default. */
  V3_10 = '3.10',
}
