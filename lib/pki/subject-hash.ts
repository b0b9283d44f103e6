/**
 * OpenSSL's X509_NAME_hash (`openssl x509 -subject_hash`) and the CApath hash links built from it.
 *
 * Postfix's smtpd_tls_CApath is an OpenSSL hashed directory: OpenSSL looks a CA up by the file
 * name `HASH.N`, so the hash must match OpenSSL's bit for bit. It is SHA-1 over the "canonical
 * encoding" of the subject (crypto/x509/x_name.c, x509_name_canon and asn1_string_canon), whose
 * details are reproduced here:
 *
 * - the outer SEQUENCE header of the Name is dropped; each RDN is re-encoded as a DER SET;
 * - RDNs with no attributes vanish (OpenSSL flattens the name into entries before re-encoding);
 *   a name without any attribute has an empty encoding;
 * - inside a multi-valued RDN the re-encoded attributes are sorted as DER SET OF requires, by
 *   their canonical encodings (length octet first), not by their original order;
 * - UTF8/BMP/Universal/Printable/T61/IA5String values are converted to UTF-8, with the
 *   one-byte types read as Latin-1 (a T61 byte 0xE9 becomes U+00E9); invalid UTF-8, odd BMP or
 *   Universal lengths, surrogates and code points above U+10FFFF make OpenSSL reject the whole
 *   certificate, so they throw here;
 * - whitespace is the six ASCII characters space, \t, \n, \v, \f, \r (bytes >= 0x80, NBSP
 *   included, are never whitespace): leading and trailing runs are removed, inner runs become one
 *   space; ASCII A-Z is lowercased, every other byte is kept;
 * - NumericString and the other accepted value types are copied as they are (tag and content
 *   kept; BIT STRING with its unused bits cleared); values OpenSSL cannot decode in a name, which
 *   include VisibleString despite its place in x509_name_canon's list, make it reject the
 *   certificate, so they throw here;
 * - BER constructed strings, which OpenSSL's decoder accepts, count as their joined segments.
 *   Indefinite lengths are not supported here (they throw); DER certificates never use them.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { children, DerError, encodeTlv, readTlv, Tag, Tlv, certificateParts } from './der';
import { blocksOfKind, certificateDer, toPem } from './pem';

/**
 * Value types that OpenSSL canonicalises, with how many bytes one character takes (0 = UTF-8).
 * x509_name_canon also lists VisibleString, but OpenSSL's decoder refuses VisibleString name
 * values before canonicalisation is reached (see REFUSED_VALUE_TAGS).
 */
const CANON_TYPES: ReadonlyMap<number, 0 | 1 | 2 | 4> = new Map<number, 0 | 1 | 2 | 4>([
  [12, 0], // UTF8String
  [19, 1], // PrintableString
  [20, 1], // T61String
  [22, 1], // IA5String
  [30, 2], // BMPString
  [28, 4], // UniversalString
]);

/**
 * Universal tags that OpenSSL refuses as a name value, failing the whole certificate: the value
 * is an ASN1_PRINTABLE, whose mask (B_ASN1_PRINTABLE) has no bit for them. Besides the obvious
 * (BOOLEAN, INTEGER, OCTET STRING, NULL, OID, ENUMERATED, SET, UTCTime, GeneralizedTime) this
 * includes VideotexString (21), GraphicString (25), VisibleString (26) and GeneralString (27).
 */
const REFUSED_VALUE_TAGS = new Set([0, 1, 2, 4, 5, 6, 10, 17, 21, 23, 24, 25, 26, 27]);

/** ossl_isspace: only these ASCII bytes count as whitespace. */
function isSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF): what OpenSSL's UTF8_getc accepts. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function toUtf8(content: Buffer, width: 0 | 1 | 2 | 4): Buffer {
  if (width === 0) {
    try {
      utf8Decoder.decode(content);
    } catch {
      throw new DerError('subject has an invalid UTF8String value (OpenSSL rejects such a certificate)');
    }
    return content;
  }
  if (content.length % width !== 0) {
    throw new DerError(`subject has a string value whose length is not a multiple of ${width} (OpenSSL rejects it)`);
  }
  let out = '';
  for (let i = 0; i < content.length; i += width) {
    // One code point per unit: BMP is UCS-2 (no surrogate pairs), Universal is UCS-4.
    const cp = width === 1 ? content[i] : width === 2 ? content.readUInt16BE(i) : content.readUInt32BE(i);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new DerError(`subject has a string value with invalid code point U+${cp.toString(16).toUpperCase()} (OpenSSL rejects it)`);
    }
    out += String.fromCodePoint(cp);
  }
  return Buffer.from(out, 'utf8');
}

/** asn1_string_canon on UTF-8 bytes. */
function canonText(utf8: Buffer): Buffer {
  let start = 0;
  let end = utf8.length;
  while (start < end && isSpace(utf8[start])) start++;
  while (end > start && isSpace(utf8[end - 1])) end--;
  const out: number[] = [];
  for (let i = start; i < end; ) {
    const b = utf8[i];
    if (b >= 0x80) {
      out.push(b);
      i++;
    } else if (isSpace(b)) {
      out.push(0x20);
      while (i < end && isSpace(utf8[i])) i++;
    } else {
      out.push(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
      i++;
    }
  }
  return Buffer.from(out);
}

/** asn1_collect: the content octets of all primitive segments, nested at most 5 deep. */
function collectSegments(tlv: Tlv, depth: number): Buffer {
  if (depth >= 5) throw new DerError('subject attribute value nests constructed segments too deeply (OpenSSL rejects it)');
  return Buffer.concat(children(tlv).map((seg) => (seg.constructed ? collectSegments(seg, depth + 1) : seg.content)));
}

/**
 * BIT STRING values are decoded and re-encoded (c2i/i2c_ASN1_BIT_STRING): the unused bits of the
 * last octet are cleared, and a string without data octets always gets 0 unused bits.
 */
function canonBitString(content: Buffer): Buffer {
  if (content.length === 0 || content[0] > 7) throw new DerError('subject has a malformed BIT STRING value (OpenSSL rejects it)');
  if (content.length === 1) return Buffer.from([0]);
  const out = Buffer.from(content);
  out[out.length - 1] &= (0xff << content[0]) & 0xff;
  return out;
}

/** Canonical DER of one AttributeTypeAndValue: SEQUENCE { OID, canonical value }. */
function canonEntry(entry: Tlv): Buffer {
  if (entry.tagByte !== Tag.SEQUENCE) throw new DerError('subject RDN holds something other than an attribute');
  const parts = children(entry);
  if (parts.length !== 2 || parts[0].tagByte !== Tag.OID) {
    throw new DerError('subject attribute is not an (OID, value) pair');
  }
  const [oid, value] = parts;
  if (value.tagClass !== 'universal' || REFUSED_VALUE_TAGS.has(value.tagNumber)) {
    throw new DerError(`subject attribute value has tag 0x${value.tagByte.toString(16)}, which OpenSSL rejects`);
  }
  let valueDer: Buffer;
  if (value.tagByte === Tag.SEQUENCE) {
    // Kept whole, tag and content, as ASN1_PRINTABLE stores it.
    valueDer = Buffer.from(value.raw);
  } else {
    // BER constructed strings are accepted by OpenSSL's decoder: their segments are joined.
    const content = value.constructed ? collectSegments(value, 0) : value.content;
    const width = CANON_TYPES.get(value.tagNumber);
    if (width !== undefined) {
      valueDer = encodeTlv(Tag.UTF8_STRING, canonText(toUtf8(content, width)));
    } else if (value.tagNumber === Tag.BIT_STRING) {
      valueDer = encodeTlv(Tag.BIT_STRING, canonBitString(content));
    } else {
      valueDer = encodeTlv(value.tagNumber, content);
    }
  }
  return encodeTlv(Tag.SEQUENCE, Buffer.concat([encodeTlv(Tag.OID, oid.content), valueDer]));
}

/** DER SET OF order: bytewise on the encodings, a prefix sorting first (OpenSSL der_cmp). */
function derCompare(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** OpenSSL's canonical encoding of a DER Name (the bytes that X509_NAME_hash digests). */
export function canonicalNameEncoding(nameDer: Uint8Array): Buffer {
  const buf = Buffer.from(nameDer.buffer, nameDer.byteOffset, nameDer.byteLength);
  const name = readTlv(buf);
  if (name.tagByte !== Tag.SEQUENCE || name.end !== buf.length) throw new DerError('not a DER Name (SEQUENCE)');
  const sets: Buffer[] = [];
  for (const rdn of children(name)) {
    if (rdn.tagByte !== Tag.SET) throw new DerError('Name holds something other than an RDN SET');
    const entries = children(rdn).map(canonEntry);
    if (entries.length === 0) continue;
    entries.sort(derCompare);
    sets.push(encodeTlv(Tag.SET, Buffer.concat(entries)));
  }
  return Buffer.concat(sets);
}

/** X509_NAME_hash of a DER Name: first four SHA-1 bytes, little-endian, as 8 lowercase hex digits. */
export function nameHash(nameDer: Uint8Array): string {
  const md = createHash('sha1').update(canonicalNameEncoding(nameDer)).digest();
  return md.readUInt32LE(0).toString(16).padStart(8, '0');
}

/** `openssl x509 -noout -subject_hash` for a certificate (PEM text, or DER/PEM in a Buffer). */
export function subjectHash(cert: string | Buffer): string {
  return nameHash(certificateParts(certificateDer(cert)).subject);
}

/** `openssl x509 -noout -issuer_hash`: the hash a CApath lookup for this certificate's issuer uses. */
export function issuerHash(cert: string | Buffer): string {
  return nameHash(certificateParts(certificateDer(cert)).issuer);
}

export interface HashLink {
  /** File name in the CApath directory: `HASH.N`. */
  readonly name: string;
  /** The certificate in canonical PEM form. */
  readonly pem: string;
}

/**
 * The files `openssl rehash` would make for these CA certificates: one `HASH.N` per distinct
 * certificate, N counting from 0 among certificates whose subjects hash alike. Each input may be
 * a bundle. Byte-identical duplicates are dropped. The order (and so each N) is deterministic
 * whatever the input order: by hash, then by the SHA-256 of the certificate DER.
 */
export function hashLinks(caCerts: readonly string[]): HashLink[] {
  const unique = new Map<string, { hash: string; der: Buffer }>();
  for (const input of caCerts) {
    for (const block of blocksOfKind(input, 'certificate')) {
      // Parse with node too, so a corrupt certificate fails here instead of inside Postfix.
      new X509Certificate(block.der);
      const fp = createHash('sha256').update(block.der).digest('hex');
      if (!unique.has(fp)) unique.set(fp, { hash: nameHash(certificateParts(block.der).subject), der: block.der });
    }
  }
  const sorted = [...unique.entries()].sort(([fpA, a], [fpB, b]) =>
    a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : fpA < fpB ? -1 : fpA > fpB ? 1 : 0,
  );
  const counters = new Map<string, number>();
  return sorted.map(([, { hash, der }]) => {
    const n = counters.get(hash) ?? 0;
    counters.set(hash, n + 1);
    return { name: `${hash}.${n}`, pem: toPem('CERTIFICATE', der) };
  });
}
