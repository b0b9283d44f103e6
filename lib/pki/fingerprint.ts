/**
 * Certificate and public-key fingerprints exactly as Postfix computes them for
 * `relay_clientcerts`, `check_ccert_access` and `smtp_tls_fingerprint_cert_match`
 * (src/tls/tls_fprint.c: tls_cert_fprint and tls_pkey_fprint).
 *
 * - certificate fingerprint: digest of the DER certificate;
 * - public-key fingerprint: digest of the DER SubjectPublicKeyInfo as it appears in the
 *   certificate (i2d_X509_PUBKEY), not of the bare key bits (that was the 2.9.0-2.9.5 bug
 *   kept behind `tls_legacy_public_key_fingerprints`);
 * - format: uppercase hex pairs joined by ':' (tls_digest_encode).
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../diagnostics';
import { certificateParts, children, readTlv, Tag } from './der';
import { certificateDer, splitPem } from './pem';

/**
 * Values of `smtpd_tls_fingerprint_digest` / `smtp_tls_fingerprint_digest` that Postfix 3.7+
 * accepts with OpenSSL 3's default provider: md5, sha1 and the SHA-2 family (tls_fprint.c
 * documents "md5, sha1, or member of SHA-2 family"; Postfix asks EVP_get_digestbyname and
 * checks that a digest context can be initialised). The default is sha256 at
 * compatibility_level >= 3.6, md5 below.
 */
export const POSTFIX_FINGERPRINT_DIGESTS = [
  'md5',
  'sha1',
  'sha224',
  'sha256',
  'sha384',
  'sha512',
  'sha512-224',
  'sha512-256',
] as const;

export type FingerprintDigest = (typeof POSTFIX_FINGERPRINT_DIGESTS)[number];

/** The digest Postfix uses when the parameter is not set, at compatibility_level >= 3.6. */
export const DEFAULT_FINGERPRINT_DIGEST: FingerprintDigest = 'sha256';

/** OpenSSL digest names are case-insensitive (`SHA256` works too); returns the lowercase form. */
export function parseFingerprintDigest(name: string): FingerprintDigest {
  const lower = name.trim().toLowerCase();
  if ((POSTFIX_FINGERPRINT_DIGESTS as readonly string[]).includes(lower)) return lower as FingerprintDigest;
  throw new ConfigError(
    `unsupported fingerprint digest "${name}": Postfix accepts ${POSTFIX_FINGERPRINT_DIGESTS.join(', ')} ` +
      `(use sha256, the default from compatibility_level 3.6)`,
  );
}

/** Postfix's tls_digest_encode: `AB:01:...`. */
export function formatFingerprint(digest: Uint8Array): string {
  return Array.from(digest, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':');
}

function digestOf(data: Uint8Array, digest: FingerprintDigest | string): string {
  return formatFingerprint(createHash(parseFingerprintDigest(digest)).update(data).digest());
}

/** Fingerprint of the certificate (first one of a bundle), as in `relay_clientcerts`. */
export function certificateFingerprint(pem: string | Buffer, digest: FingerprintDigest | string = DEFAULT_FINGERPRINT_DIGEST): string {
  return digestOf(certificateDer(pem), digest);
}

/**
 * Fingerprint of the public key: digest of the DER SubjectPublicKeyInfo. Accepts a certificate
 * (the first of a bundle) or a `PUBLIC KEY` block. The key stays the same across renewals with
 * the same key, which is why Postfix recommends public-key fingerprints.
 */
export function publicKeyFingerprint(pem: string | Buffer, digest: FingerprintDigest | string = DEFAULT_FINGERPRINT_DIGEST): string {
  return digestOf(subjectPublicKeyInfo(pem), digest);
}

/** SHA-256 of the SubjectPublicKeyInfo as lower-case hex without colons: the data of a `3 1 1` TLSA record. */
export function spkiSha256Hex(pem: string | Buffer): string {
  return publicKeyFingerprint(pem, 'sha256').replace(/:/g, '').toLowerCase();
}

function subjectPublicKeyInfo(input: string | Buffer): Buffer {
  if (Buffer.isBuffer(input) && input.length > 1 && input[0] === Tag.SEQUENCE) {
    // DER: a Certificate has three elements (tbs, algorithm, signature), an SPKI two.
    const outer = readTlv(input);
    return children(outer).length === 3 ? certificateParts(input).subjectPublicKeyInfo : checkedSpki(input);
  }
  const block = splitPem(input).find((b) => b.kind === 'certificate' || b.label === 'PUBLIC KEY');
  if (!block) {
    throw new ConfigError('no CERTIFICATE or PUBLIC KEY block found: pass the client certificate (never its private key)');
  }
  return block.label === 'PUBLIC KEY' ? checkedSpki(block.der) : certificateParts(block.der).subjectPublicKeyInfo;
}

function checkedSpki(der: Buffer): Buffer {
  const tlv = readTlv(der);
  if (tlv.tagByte !== Tag.SEQUENCE || tlv.end !== der.length || children(tlv).length !== 2) {
    throw new ConfigError('public key is not a DER SubjectPublicKeyInfo');
  }
  return der;
}
