/**
 * PEM bundles: split into blocks and say what each block is.
 *
 * Postfix reads certificates, keys and parameters as PEM, often several in one file
 * (`smtpd_tls_chain_files`, key and certificate together, CA bundles), so every check starts
 * by splitting a bundle. Private-key blocks redact themselves when logged or serialised.
 */
import { inspect } from 'node:util';
import { ConfigError } from '../diagnostics';

export type PemKind =
  | 'certificate'
  | 'private-key'
  | 'public-key'
  | 'parameters'
  | 'certificate-request'
  | 'crl'
  | 'other';

/** How a private key is wrapped; Postfix (OpenSSL) reads all but `openssh`. */
export type PrivateKeyFormat = 'pkcs8' | 'pkcs8-encrypted' | 'pkcs1-rsa' | 'sec1-ec' | 'legacy-dsa' | 'openssh';

interface LabelInfo {
  kind: PemKind;
  keyFormat?: PrivateKeyFormat;
  /** Algorithm implied by the label itself (legacy formats name it; PKCS#8 does not). */
  algorithm?: 'rsa' | 'ec' | 'dsa' | 'dh';
}

const LABELS: Record<string, LabelInfo> = {
  CERTIFICATE: { kind: 'certificate' },
  'X509 CERTIFICATE': { kind: 'certificate' },
  'TRUSTED CERTIFICATE': { kind: 'certificate' },
  'PRIVATE KEY': { kind: 'private-key', keyFormat: 'pkcs8' },
  'ENCRYPTED PRIVATE KEY': { kind: 'private-key', keyFormat: 'pkcs8-encrypted' },
  'RSA PRIVATE KEY': { kind: 'private-key', keyFormat: 'pkcs1-rsa', algorithm: 'rsa' },
  'EC PRIVATE KEY': { kind: 'private-key', keyFormat: 'sec1-ec', algorithm: 'ec' },
  'DSA PRIVATE KEY': { kind: 'private-key', keyFormat: 'legacy-dsa', algorithm: 'dsa' },
  'OPENSSH PRIVATE KEY': { kind: 'private-key', keyFormat: 'openssh' },
  'PUBLIC KEY': { kind: 'public-key' },
  'RSA PUBLIC KEY': { kind: 'public-key', algorithm: 'rsa' },
  'DH PARAMETERS': { kind: 'parameters', algorithm: 'dh' },
  'X9.42 DH PARAMETERS': { kind: 'parameters', algorithm: 'dh' },
  'EC PARAMETERS': { kind: 'parameters', algorithm: 'ec' },
  'DSA PARAMETERS': { kind: 'parameters', algorithm: 'dsa' },
  'CERTIFICATE REQUEST': { kind: 'certificate-request' },
  'NEW CERTIFICATE REQUEST': { kind: 'certificate-request' },
  'X509 CRL': { kind: 'crl' },
};

export class PemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PemError';
  }
}

/** One `-----BEGIN X-----` ... `-----END X-----` block of a bundle. */
export class PemBlock {
  readonly kind: PemKind;
  /** Set for private keys only. */
  readonly keyFormat?: PrivateKeyFormat;
  /** Algorithm named by a legacy label (`RSA PRIVATE KEY` ...); undefined for PKCS#8 and certificates. */
  readonly labelAlgorithm?: 'rsa' | 'ec' | 'dsa' | 'dh';

  constructor(
    /** The label between BEGIN and the dashes, e.g. `CERTIFICATE`, `RSA PRIVATE KEY`. */
    readonly label: string,
    /** RFC 1421 headers such as `Proc-Type` and `DEK-Info` (legacy encrypted keys). */
    readonly headers: Readonly<Record<string, string>>,
    /** The decoded body. For private keys this is key material: never log it. */
    readonly der: Buffer,
    /** Position of the block in its bundle, from 0. */
    readonly index: number,
  ) {
    const info = LABELS[label] ?? { kind: 'other' };
    this.kind = info.kind;
    this.keyFormat = info.keyFormat;
    this.labelAlgorithm = info.algorithm;
  }

  /** True when a passphrase is needed to read the key: Postfix cannot use such a key. */
  get encrypted(): boolean {
    if (this.kind !== 'private-key') return false;
    if (this.keyFormat === 'pkcs8-encrypted') return true;
    // Legacy OpenSSL encryption: `Proc-Type: 4,ENCRYPTED` plus `DEK-Info: AES-256-CBC,...`.
    const procType = this.headers['Proc-Type'];
    if (procType !== undefined && /(^|,)\s*ENCRYPTED\s*$/i.test(procType)) return true;
    if (this.keyFormat === 'openssh') return opensshCipher(this.der) !== 'none';
    return false;
  }

  /** The block re-armoured in canonical form (64-column base64, LF line ends, final newline). */
  toPem(): string {
    return toPem(this.label, this.der, this.headers);
  }

  /** Keeps key material out of logs, test snapshots and JSON dumps. */
  toJSON(): object {
    return this.describe();
  }

  [inspect.custom](): string {
    return `PemBlock ${JSON.stringify(this.describe())}`;
  }

  private describe(): object {
    const base = { label: this.label, kind: this.kind, index: this.index };
    if (this.kind === 'private-key') return { ...base, encrypted: this.encrypted, der: '[redacted]' };
    return { ...base, bytes: this.der.length };
  }
}

const BLOCK_RE = /-----BEGIN ([^\r\n-][^\r\n]*?)-----([\s\S]*?)-----END ([^\r\n]*?)-----/g;

/**
 * Splits a PEM bundle into its blocks, in order. Text between blocks (comments, `Bag Attributes`
 * from PKCS#12 exports) is ignored, as OpenSSL does. Throws on a BEGIN without its matching END
 * or a body that is not base64; error messages name the block, never its content.
 */
export function splitPem(input: string | Buffer): PemBlock[] {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  const blocks: PemBlock[] = [];
  let lastEnd = 0;
  for (const match of text.matchAll(BLOCK_RE)) {
    const [whole, label, body, endLabel] = match;
    const at = match.index ?? 0;
    const index = blocks.length;
    if (label !== endLabel) {
      throw new PemError(`PEM block ${index + 1} starts as "${label}" but ends as "${endLabel}"`);
    }
    if (text.slice(lastEnd, at).includes('-----BEGIN ')) {
      throw new PemError(`PEM block before "${label}" (block ${index + 1}) has no END line`);
    }
    lastEnd = at + whole.length;
    const { headers, base64 } = splitHeaders(body, label, index);
    const compact = base64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0 || compact.length === 0) {
      throw new PemError(`PEM block ${index + 1} ("${label}") does not contain valid base64`);
    }
    blocks.push(new PemBlock(label, headers, Buffer.from(compact, 'base64'), index));
  }
  if (text.slice(lastEnd).includes('-----BEGIN ')) {
    throw new PemError(`PEM block ${blocks.length + 1} has a BEGIN line but no matching END line`);
  }
  return blocks;
}

/** RFC 1421 encapsulated headers come first, ended by a blank line. */
function splitHeaders(body: string, label: string, index: number): { headers: Record<string, string>; base64: string } {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && lines[0].trim() === '') lines.shift();
  const headers: Record<string, string> = {};
  if (lines.length === 0 || !/^[A-Za-z][A-Za-z0-9-]*:/.test(lines[0])) {
    return { headers, base64: lines.join('\n') };
  }
  let i = 0;
  let lastName: string | undefined;
  for (; i < lines.length && lines[i].trim() !== ''; i++) {
    const line = lines[i];
    const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
    if (m) {
      lastName = m[1];
      headers[lastName] = m[2].trim();
    } else if (/^\s/.test(line) && lastName !== undefined) {
      headers[lastName] += line.trim(); // continuation line
    } else {
      throw new PemError(`PEM block ${index + 1} ("${label}") has a malformed header section`);
    }
  }
  return { headers, base64: lines.slice(i).join('\n') };
}

/** The cipher name recorded in an `openssh-key-v1` container (`none` when unencrypted). */
function opensshCipher(der: Buffer): string {
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (der.length < magic.length + 4 || !der.subarray(0, magic.length).equals(magic)) return 'unknown';
  const len = der.readUInt32BE(magic.length);
  return der.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1');
}

/** Armours DER as PEM: 64-column lines, LF line ends, trailing newline (what OpenSSL writes). */
export function toPem(label: string, der: Uint8Array, headers: Readonly<Record<string, string>> = {}): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  const headerLines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  const head = headerLines.length > 0 ? `${headerLines.join('\n')}\n\n` : '';
  return `-----BEGIN ${label}-----\n${head}${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** All blocks of one kind, in bundle order. */
export function blocksOfKind(input: string | Buffer, kind: PemKind): PemBlock[] {
  return splitPem(input).filter((b) => b.kind === kind);
}

/**
 * DER of a certificate given as PEM text, a Buffer holding PEM text, or a Buffer holding DER.
 * With a bundle, the first certificate is used.
 */
export function certificateDer(cert: string | Buffer): Buffer {
  // A DER certificate starts with SEQUENCE and a long-form length; PEM text never starts with 0x30 0x82.
  if (Buffer.isBuffer(cert) && cert.length > 1 && cert[0] === 0x30 && (cert[1] & 0x80) !== 0) return cert;
  const [first] = blocksOfKind(cert, 'certificate');
  if (!first) throw new PemError('no CERTIFICATE block found in the input');
  return first.der;
}

/** A PEM private key header of any kind (PKCS#8, encrypted, RSA, EC, DSA, OpenSSH), with or without its END line. */
export const PRIVATE_KEY_HEADER = /-----BEGIN ([^\r\n-]*PRIVATE KEY)-----/;

/**
 * Refuses public material (a certificate chain, CA certificates, DH parameters) that holds a private key:
 * it would be uploaded as file content, readable in the synthesized JSON. Names the block, never its content.
 */
export function refusePrivateKey(what: string, text: string, fix: string): void {
  // Also inside long base64 runs (a key passed through base64decode or as a one-line blob).
  const layers = [text, ...(text.match(/[A-Za-z0-9+/]{80,}={0,2}/g) ?? []).map((run) => Buffer.from(run, 'base64').toString('latin1'))];
  const header = layers.map((layer) => PRIVATE_KEY_HEADER.exec(layer)).find((m) => m !== null);
  if (header) throw new ConfigError(`${what} holds a private key (a PEM "${header[1]}" block), which would be uploaded as public file content: ${fix}`);
}
