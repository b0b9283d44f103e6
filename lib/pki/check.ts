/**
 * Validation of certificate/key material before it is handed to Postfix.
 *
 * Postfix only finds most of these problems when a client connects (and then logs them, or the
 * client gives up silently), so they are reported at synth time as Diagnostics. Messages name
 * the certificate by subject and position and say how to fix it; they never contain key
 * material, not even fragments of error text produced while reading a key.
 */
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { CertificateInfo, certificateInfo, KeyUsageFlags } from './certificate-info';
import { Diagnostic, error, warning } from '../diagnostics';
import { PemBlock, splitPem } from './pem';
import { caProblems, purposeProblems, TlsRole } from './purpose';

/** Stable rule identifiers of this module. */
export const PKI_RULES = {
  certMissing: 'pki-cert-missing',
  certUnreadable: 'pki-cert-unreadable',
  keyMissing: 'pki-key-missing',
  keyUnreadable: 'pki-key-unreadable',
  keyEncrypted: 'pki-key-encrypted',
  keyUnsupportedFormat: 'pki-key-unsupported-format',
  keyMismatch: 'pki-key-mismatch',
  chainReversed: 'pki-chain-reversed',
  chainLeafNotFirst: 'pki-chain-leaf-not-first',
  chainOrder: 'pki-chain-order',
  chainRootIncluded: 'pki-chain-root-included',
  notServerCert: 'pki-cert-not-server',
  notClientCert: 'pki-cert-not-client',
  noDigitalSignature: 'pki-cert-ku-no-digital-signature',
  hostnameMismatch: 'pki-cert-hostname-mismatch',
  hostnameCnOnly: 'pki-cert-hostname-cn-only',
  expired: 'pki-cert-expired',
  notYetValid: 'pki-cert-not-yet-valid',
  expiresSoon: 'pki-cert-expires-soon',
  dsaKey: 'pki-key-dsa-obsolete',
  rsaTooSmall: 'pki-key-rsa-too-small',
  notCa: 'pki-ca-not-ca',
  caFileHasKey: 'pki-ca-file-has-private-key',
} as const;

export const DEFAULT_EXPIRY_WARNING_DAYS = 30;
export const MIN_RSA_BITS = 2048;
const DAY_MS = 86_400_000;

export interface ServerCertificateInput {
  /** PEM: leaf certificate first, then intermediates (what smtpd_tls_cert_file holds). */
  readonly chainPem: string;
  /** PEM holding the private key (may be the same text as chainPem). */
  readonly keyPem: string;
  /** Name(s) clients will connect to (MX host name, submission host name); IPs are matched against IP SANs. */
  readonly hostname?: string | readonly string[];
  /** Reference time for validity checks (defaults to now). */
  readonly now?: Date;
  /** Warn when a certificate expires within this many days (default 30). */
  readonly expiryWarningDays?: number;
}

export interface ClientCertificateInput {
  readonly chainPem: string;
  /** Optional: when given, it must be unencrypted and match the leaf. */
  readonly keyPem?: string;
  readonly now?: Date;
  readonly expiryWarningDays?: number;
}

export interface CaCertificateOptions {
  readonly now?: Date;
  readonly expiryWarningDays?: number;
}

/** One certificate of a chain: node's for crypto, and the fields the checks read. */
interface ParsedCert {
  readonly index: number;
  readonly node: X509Certificate;
  readonly ext: CertificateInfo;
  readonly subject: string;
}

function describe(cert: ParsedCert, total: number): string {
  const position = total > 1 ? ` (certificate ${cert.index + 1} of ${total})` : '';
  return `"${cert.subject || '(empty subject)'}"${position}`;
}

type ParsedDer = Omit<ParsedCert, 'index'>;
const PARSE_CACHE_LIMIT = 1024;
const parseCache = new Map<string, ParsedDer>();
/** Chains that parsed, by PEM text: every server of a fleet checks the shared chain against its host name. */
const chainCache = new Map<string, ParsedCert[]>();

/**
 * A fleet of servers sharing certificates (a wildcard, a client CA) would parse the same DER over and
 * over at synth. Certificates are immutable, so cache them.
 */
function parseCertificate(der: Buffer): ParsedDer {
  const cacheKey = der.toString('base64');
  let parsed = parseCache.get(cacheKey);
  if (!parsed) {
    const node = new X509Certificate(der);
    const ext = certificateInfo(der, node);
    parsed = { node, ext, subject: ext.subject };
    if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
    parseCache.set(cacheKey, parsed);
  }
  return parsed;
}

/** Parses every CERTIFICATE block; unreadable ones become diagnostics. */
function parseChain(pem: string, what: string, out: Diagnostic[]): ParsedCert[] | undefined {
  const known = chainCache.get(pem);
  if (known) return known;
  let blocks: PemBlock[];
  try {
    blocks = splitPem(pem).filter((b) => b.kind === 'certificate');
  } catch (e) {
    out.push(error(PKI_RULES.certUnreadable, `${what} is not valid PEM: ${(e as Error).message}. Provide PEM certificates (-----BEGIN CERTIFICATE-----).`));
    return undefined;
  }
  if (blocks.length === 0) {
    out.push(error(PKI_RULES.certMissing, `${what} contains no CERTIFICATE block. Provide the certificate in PEM format, leaf first, then intermediates.`));
    return undefined;
  }
  const certs: ParsedCert[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certs.push({ index, ...parseCertificate(block.der) });
    } catch {
      out.push(error(PKI_RULES.certUnreadable, `certificate ${index + 1} in ${what} cannot be parsed as X.509. Re-export it in PEM format.`));
      return undefined;
    }
  }
  if (chainCache.size >= PARSE_CACHE_LIMIT) chainCache.clear();
  chainCache.set(pem, certs);
  return certs;
}

/** Reads the private key; encrypted or unreadable keys become diagnostics (without key content). */
function readKey(keyPem: string, out: Diagnostic[]): KeyObject | undefined {
  let block: PemBlock | undefined;
  try {
    block = splitPem(keyPem).find((b) => b.kind === 'private-key');
  } catch {
    out.push(error(PKI_RULES.keyUnreadable, 'the private key file is not valid PEM. Provide an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----).'));
    return undefined;
  }
  if (!block) {
    out.push(error(PKI_RULES.keyMissing, 'no private key block found in the key input. Provide the unencrypted PEM private key that belongs to the certificate.'));
    return undefined;
  }
  if (block.encrypted) {
    out.push(
      error(
        PKI_RULES.keyEncrypted,
        `the private key ("${block.label}") is encrypted with a passphrase; Postfix cannot prompt for one and needs an unencrypted key. ` +
          'Decrypt it once (e.g. `openssl pkey -in key.pem -out key-plain.pem`) and protect the file with mode 0600 owned by root instead.',
      ),
    );
    return undefined;
  }
  if (block.keyFormat === 'openssh') {
    out.push(error(PKI_RULES.keyUnsupportedFormat, 'the private key is in OpenSSH format, which OpenSSL (and so Postfix) cannot read. Convert it to PKCS#8 PEM (`ssh-keygen -p -m PKCS8 -f KEY`).'));
    return undefined;
  }
  try {
    return createPrivateKey({ key: block.toPem(), format: 'pem' });
  } catch {
    // The library error text is not forwarded: it could quote parts of the input.
    out.push(error(PKI_RULES.keyUnreadable, `the private key ("${block.label}") cannot be read. Provide an unencrypted PEM private key (PKCS#8 "PRIVATE KEY" or the traditional RSA/EC form).`));
    return undefined;
  }
}

function issuedBy(child: ParsedCert, parent: ParsedCert): boolean {
  try {
    return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
  } catch {
    return false;
  }
}

function matchesKey(cert: ParsedCert, key: KeyObject): boolean {
  try {
    return cert.node.checkPrivateKey(key);
  } catch {
    return false; // e.g. an EC key against an RSA certificate
  }
}

function selfSigned(cert: ParsedCert): boolean {
  return issuedBy(cert, cert);
}

/**
 * Key match and chain order. Returns the intended leaf: the certificate the key belongs to
 * (wherever it is), so that leaf checks describe that certificate rather than a misplaced CA.
 */
function checkOrder(certs: ParsedCert[], key: KeyObject | undefined, out: Diagnostic[]): ParsedCert {
  let leaf = certs[0];
  const n = certs.length;
  const forwardBreaks = [...Array(Math.max(0, n - 1)).keys()].filter((i) => !issuedBy(certs[i], certs[i + 1]));
  const reversed = n > 1 && forwardBreaks.length > 0 && [...Array(n - 1).keys()].every((i) => issuedBy(certs[i + 1], certs[i]));
  if (key) {
    const matching = certs.findIndex((c) => matchesKey(c, key));
    if (matching >= 0) leaf = certs[matching];
    if (matching < 0) {
      out.push(
        error(
          PKI_RULES.keyMismatch,
          `the private key does not belong to the leaf certificate ${describe(certs[0], n)} (nor to any other certificate in the chain). ` +
            'Use the key the certificate was issued for, or reissue the certificate for this key.',
        ),
      );
    } else if (matching > 0 && !reversed) {
      out.push(
        error(
          PKI_RULES.chainLeafNotFirst,
          `the private key belongs to ${describe(certs[matching], n)}, but Postfix presents the first certificate as the server certificate. ` +
            'Put the certificate that matches the key first, followed by its intermediates.',
        ),
      );
    }
  }
  if (reversed) {
    out.push(
      error(
        PKI_RULES.chainReversed,
        `the chain is in reverse order: ${describe(certs[0], n)} issued the next certificate instead of being issued by it. ` +
          `List the leaf first, then each intermediate, e.g. \`cat server.crt intermediate.crt > chain.pem\`; the leaf here is ${describe(certs[n - 1], n)}.`,
      ),
    );
  } else {
    for (const i of forwardBreaks) {
      const issuer = certs.find((c) => c.index !== i && issuedBy(certs[i], c));
      const fix = issuer
        ? `its issuer ${describe(issuer, n)} is in the chain but at the wrong position: move it to directly after this certificate`
        : `its issuer "${certs[i].ext.issuer}" is missing: insert that intermediate directly after it, or remove the unrelated certificate`;
      out.push(error(PKI_RULES.chainOrder, `${describe(certs[i], n)} is not issued by the certificate that follows it, ${describe(certs[i + 1], n)}; ${fix}.`));
    }
  }
  certs.forEach((c, i) => {
    if (i > 0 && selfSigned(c)) {
      out.push(
        warning(
          PKI_RULES.chainRootIncluded,
          `the chain includes the self-signed root CA ${describe(c, n)}. Clients must already trust the root, so sending it only adds ` +
            'overhead to every TLS handshake: remove it from the chain file (keep it in smtpd_tls_CAfile if it is needed for client certificates).',
        ),
      );
    }
  });
  return leaf;
}

function checkValidity(certs: ParsedCert[], now: Date, warnDays: number, out: Diagnostic[]): void {
  for (const c of certs) {
    const { notBefore, notAfter } = c.ext;
    const d = describe(c, certs.length);
    if (notAfter.getTime() < now.getTime()) {
      out.push(error(PKI_RULES.expired, `${d} expired on ${notAfter.toISOString()}. Renew it and replace the file.`));
    } else if (notBefore.getTime() > now.getTime()) {
      out.push(error(PKI_RULES.notYetValid, `${d} is not valid before ${notBefore.toISOString()}. Check the issuing host's clock, or wait until then.`));
    } else if (notAfter.getTime() - now.getTime() < warnDays * DAY_MS) {
      const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
      out.push(warning(PKI_RULES.expiresSoon, `${d} expires on ${notAfter.toISOString()} (in ${days} days, below the ${warnDays}-day warning threshold). Renew it soon.`));
    }
  }
}

function checkLeafKeyType(leaf: ParsedCert, total: number, out: Diagnostic[]): void {
  const pub = leaf.node.publicKey;
  if (pub.asymmetricKeyType === 'dsa') {
    out.push(
      warning(
        PKI_RULES.dsaKey,
        `${describe(leaf, total)} has a DSA key. DSA is obsolete: TLS 1.3 does not support it and Postfix only keeps it for old setups. ` +
          'Use an ECDSA P-256 key (smtpd_tls_eccert_file, or a second key+cert in smtpd_tls_chain_files), optionally next to RSA 2048+.',
      ),
    );
  }
  const bits = pub.asymmetricKeyDetails?.modulusLength;
  if (pub.asymmetricKeyType === 'rsa' && bits !== undefined && bits < MIN_RSA_BITS) {
    out.push(error(PKI_RULES.rsaTooSmall, `${describe(leaf, total)} has a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required. Reissue it with a 2048-bit (or larger) RSA key or an ECDSA P-256 key.`));
  }
}

function checkPurpose(leaf: ParsedCert, total: number, role: TlsRole, out: Diagnostic[]): void {
  const problems = purposeProblems(leaf.ext, role);
  if (problems.length > 0) {
    const rule = role === 'server' ? PKI_RULES.notServerCert : PKI_RULES.notClientCert;
    const check = role === 'server' ? 'sslserver' : 'sslclient';
    out.push(
      error(
        rule,
        `${describe(leaf, total)} cannot be used as a TLS ${role} certificate (fails \`openssl verify -purpose ${check}\`): ${problems.join('; ')}. ` +
          `Reissue it with extendedKeyUsage ${role}Auth and keyUsage digitalSignature.`,
      ),
    );
    return;
  }
  const ku = leaf.ext.keyUsage;
  if (ku !== undefined && (ku & KeyUsageFlags.digitalSignature) === 0) {
    out.push(
      warning(
        PKI_RULES.noDigitalSignature,
        `${describe(leaf, total)} has keyUsage without digitalSignature: it only works with static RSA key exchange, not with ECDHE ` +
          'cipher suites or TLS 1.3, which most clients negotiate. Reissue it with keyUsage digitalSignature (plus keyEncipherment for RSA).',
      ),
    );
  }
}


// A warning, not an error: opportunistic senders, DANE-EE (TLSA 3 1 1) and self-signed setups never check the name.
const NAME_CHECKERS = 'Senders that verify names (smtp_tls_security_level verify or secure, MTA-STS) will refuse it; opportunistic and DANE-EE senders do not check it.';

function checkHostnames(leaf: ParsedCert, total: number, hostnames: readonly string[], out: Diagnostic[]): void {
  const dns = leaf.ext.dnsNames;
  for (const raw of hostnames) {
    const host = raw.trim().replace(/\.$/, '');
    if (isIP(host)) {
      if (leaf.node.checkIP(host) === undefined) {
        const ips = leaf.ext.ipAddresses;
        out.push(warning(PKI_RULES.hostnameMismatch, `${describe(leaf, total)} does not cover the IP address ${host} (IP SANs: ${ips.join(', ') || 'none'}). ${NAME_CHECKERS} Reissue it with ${host} as an IP subjectAltName if they must connect.`));
      }
      continue;
    }
    // OpenSSL's X509_check_host: a wildcard stands for exactly one whole left-most label.
    const matched = leaf.node.checkHost(host, { wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false });
    if (matched === undefined) {
      out.push(
        warning(
          PKI_RULES.hostnameMismatch,
          `${describe(leaf, total)} does not cover the host name "${host}" (DNS SANs: ${dns.join(', ') || 'none'}). ${NAME_CHECKERS} ` +
            `Reissue it with "${host}" in subjectAltName, or use the name the certificate was issued for (a wildcard covers exactly one label).`,
        ),
      );
    } else if (dns.length === 0) {
      out.push(
        warning(
          PKI_RULES.hostnameCnOnly,
          `${describe(leaf, total)} matches "${host}" only through its subject CN and has no DNS subjectAltName; RFC 6125 clients ignore the CN. Reissue it with a DNS subjectAltName.`,
        ),
      );
    }
  }
}

/** Checks the files of smtpd_tls_cert_file / smtpd_tls_key_file (or one chain_files entry). */
export function checkServerCertificate(input: ServerCertificateInput): Diagnostic[] {
  const out: Diagnostic[] = [];
  const certs = parseChain(input.chainPem, 'the server certificate chain', out);
  const key = readKey(input.keyPem, out);
  if (!certs) return out;
  const leaf = checkOrder(certs, key, out);
  checkPurpose(leaf, certs.length, 'server', out);
  checkLeafKeyType(leaf, certs.length, out);
  if (input.hostname !== undefined) {
    const names = typeof input.hostname === 'string' ? [input.hostname] : input.hostname;
    checkHostnames(leaf, certs.length, names, out);
  }
  checkValidity(certs, input.now ?? new Date(), input.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS, out);
  return out;
}

/**
 * Only the host-name rule of checkServerCertificate, on the first certificate of the chain: for a
 * certificate shared by many servers, whose other checks need to run only once.
 */
export function checkServerHostname(chainPem: string, hostname: string | readonly string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const certs = parseChain(chainPem, 'the server certificate chain', out);
  if (certs) checkHostnames(certs[0], certs.length, typeof hostname === 'string' ? [hostname] : hostname, out);
  return out;
}

/** Checks a client certificate (smtp_tls_cert_file, or one to be listed in relay_clientcerts). */
export function checkClientCertificate(input: ClientCertificateInput): Diagnostic[] {
  const out: Diagnostic[] = [];
  const certs = parseChain(input.chainPem, 'the client certificate chain', out);
  const key = input.keyPem !== undefined ? readKey(input.keyPem, out) : undefined;
  if (!certs) return out;
  const leaf = checkOrder(certs, key, out);
  checkPurpose(leaf, certs.length, 'client', out);
  checkLeafKeyType(leaf, certs.length, out);
  checkValidity(certs, input.now ?? new Date(), input.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS, out);
  return out;
}

/** Checks a CAfile bundle or one CApath file: every certificate must be a CA, and no key may be in it. */
export function checkCaCertificate(pem: string, options: CaCertificateOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  try {
    if (splitPem(pem).some((b) => b.kind === 'private-key')) {
      out.push(
        error(
          PKI_RULES.caFileHasKey,
          'the CA file contains a private key. CA files are read by every Postfix process and are often world-readable: remove the key from it.',
        ),
      );
    }
  } catch {
    // parseChain below reports malformed PEM.
  }
  const certs = parseChain(pem, 'the CA file', out);
  if (!certs) return out;
  for (const c of certs) {
    const problems = caProblems(c.ext);
    if (problems.length > 0) {
      out.push(
        error(
          PKI_RULES.notCa,
          `${describe(c, certs.length)} is not a CA certificate: ${problems.join('; ')}. Only CA certificates belong in smtpd_tls_CAfile/CApath; ` +
            'to allow one specific client certificate use its fingerprint in relay_clientcerts or check_ccert_access instead.',
        ),
      );
    }
  }
  checkValidity(certs, options.now ?? new Date(), options.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS, out);
  return out;
}
