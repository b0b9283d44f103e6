/**
 * Minimal DER reader and writer: just enough ASN.1 to walk a certificate to its subject and
 * SubjectPublicKeyInfo, and to re-encode name entries. Full parsing stays with node:crypto
 * and @peculiar/x509; this exists because those re-encode names, and the subject hash needs
 * the bytes exactly as they are in the certificate.
 */

/** One tag-length-value element, with offsets into the buffer it was read from. */
export interface Tlv {
  /** The identifier octet as it appears (class, constructed bit and tag number). */
  readonly tagByte: number;
  readonly tagClass: 'universal' | 'application' | 'context' | 'private';
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
  /** The content octets (a view, not a copy). */
  readonly content: Buffer;
  /** The whole element, header included (a view, not a copy). */
  readonly raw: Buffer;
}

const CLASSES = ['universal', 'application', 'context', 'private'] as const;

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Reads the element starting at `offset`; rejects indefinite lengths and high tag numbers. */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  if (offset >= buf.length) throw new DerError(`DER: no element at offset ${offset}`);
  const tagByte = buf[offset];
  // Tag numbers >= 31 never occur in the structures read here (certificates, names).
  if ((tagByte & 0x1f) === 0x1f) throw new DerError(`DER: high tag number form at offset ${offset}`);
  let pos = offset + 1;
  if (pos >= buf.length) throw new DerError(`DER: truncated header at offset ${offset}`);
  const first = buf[pos++];
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw new DerError(`DER: indefinite length at offset ${offset}`);
  } else {
    const count = first & 0x7f;
    if (count > 4 || pos + count > buf.length) throw new DerError(`DER: bad length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++];
  }
  const end = pos + length;
  if (end > buf.length) throw new DerError(`DER: element at offset ${offset} runs past the end of the data`);
  return {
    tagByte,
    tagClass: CLASSES[tagByte >> 6],
    constructed: (tagByte & 0x20) !== 0,
    tagNumber: tagByte & 0x1f,
    start: offset,
    contentStart: pos,
    end,
    content: buf.subarray(pos, end),
    raw: buf.subarray(offset, end),
  };
}

/** The elements inside a constructed element's content, in order. */
export function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < tlv.content.length) {
    const child = readTlv(tlv.content, pos);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** DER length octets (shortest form, as DER requires). */
export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes one element from its identifier octet and content. */
export function encodeTlv(tagByte: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tagByte]), encodeLength(content.length), content]);
}

/** Universal tag numbers used by this package. */
export const Tag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
} as const;

/** Encodes a non-negative integer (given as big-endian magnitude) as a DER INTEGER. */
export function encodeUnsignedInteger(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = Buffer.from(magnitude.subarray(i));
  if (body.length === 0) body = Buffer.from([0]);
  // A set top bit would read as negative: prefix a zero octet.
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return encodeTlv(Tag.INTEGER, body);
}

/** The raw pieces of a certificate needed here: TBS fields by position, as they are encoded. */
export interface CertificateParts {
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
}

/** Walks Certificate -> TBSCertificate and returns issuer, subject and SPKI exactly as encoded. */
export function certificateParts(der: Buffer): CertificateParts {
  const cert = readTlv(der);
  if (cert.tagByte !== Tag.SEQUENCE || cert.end !== der.length) {
    throw new DerError('not a DER certificate (outer SEQUENCE missing or trailing data)');
  }
  const [tbs] = children(cert);
  if (!tbs || tbs.tagByte !== Tag.SEQUENCE) throw new DerError('certificate has no TBSCertificate');
  const fields = children(tbs);
  // version is [0] EXPLICIT and optional (absent in v1 certificates).
  const base = fields[0]?.tagByte === 0xa0 ? 1 : 0;
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const issuer = fields[base + 2];
  const subject = fields[base + 4];
  const spki = fields[base + 5];
  if (!issuer || !subject || !spki || subject.tagByte !== Tag.SEQUENCE || spki.tagByte !== Tag.SEQUENCE) {
    throw new DerError('certificate TBSCertificate is malformed');
  }
  return { issuer: issuer.raw, subject: subject.raw, subjectPublicKeyInfo: spki.raw };
}
