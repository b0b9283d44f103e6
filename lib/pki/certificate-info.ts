/**
 * What the synth-time checks read from a certificate: node:crypto for names, validity and keys, and the
 * few v3 extensions it does not decode (keyUsage bits, nsCertType, basicConstraints, subjectAltName
 * entries) read straight from the DER. Generating certificates (LocalPki) uses @peculiar/x509; the
 * checks do not, so a synth with certificate files does not load it.
 */
import { X509Certificate } from 'node:crypto';
import { children, DerError, readTlv, Tag, Tlv } from './der';
import type { PublicKeySpec } from '../server-spec';

/** keyUsage bits as RFC 5280 numbers them: bit 0 (digitalSignature) is 1, bit 5 (keyCertSign) is 32. */
export const KeyUsageFlags = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

export interface CertificateInfo {
  /** Subject as "CN=..., O=..." in certificate order. */
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** keyUsage as KeyUsageFlags bits; undefined without the extension. */
  readonly keyUsage?: number;
  /** extendedKeyUsage OIDs; undefined without the extension. */
  readonly extendedKeyUsage?: readonly string[];
  /** First octet of the nsCertType BIT STRING; undefined without the extension. */
  readonly nsCertType?: number;
  /** basicConstraints; undefined without the extension. */
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLength?: number };
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

const OID = {
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  nsCertType: '2.16.840.1.113730.1.1',
} as const;

function decodeOid(content: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** BIT STRING content (unused-bits octet first) as RFC 5280 named-bit flags. */
function namedBits(content: Buffer): number {
  let flags = 0;
  for (let bit = 0; bit < (content.length - 1) * 8 && bit < 16; bit++) {
    if ((content[1 + (bit >> 3)] >> (7 - (bit & 7))) & 1) flags |= 1 << bit;
  }
  return flags;
}

/** An iPAddress entry as text; IPv6 in the RFC 5952 short form (longest run of zero groups as '::'). */
function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  let best = { start: -1, length: 1 };
  for (let i = 0; i < groups.length; i++) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** The Extension SEQUENCEs of a certificate, by OID (extnValue's content). */
function extensions(der: Buffer): Map<string, Tlv> {
  const [tbs] = children(readTlv(der));
  if (!tbs || tbs.tagByte !== Tag.SEQUENCE) throw new DerError('certificate has no TBSCertificate');
  const wrapper = children(tbs).find((f) => f.tagByte === 0xa3);
  const out = new Map<string, Tlv>();
  if (!wrapper) return out;
  for (const extension of children(children(wrapper)[0])) {
    const parts = children(extension);
    const value = parts[parts.length - 1];
    if (parts[0]?.tagByte === Tag.OID && value?.tagByte === Tag.OCTET_STRING) out.set(decodeOid(parts[0].content), readTlv(value.content));
  }
  return out;
}

/** node prints names one attribute per line; messages show them on one line. */
const oneLine = (name: string): string => name.split('\n').filter(Boolean).join(', ');

/** The certificate's key size (RSA bits or ECDSA curve), with its subject for messages. */
export function publicKeySpec(certificate: X509Certificate): PublicKeySpec {
  const details = certificate.publicKey.asymmetricKeyDetails ?? {};
  return { subject: oneLine(certificate.subject), rsaBits: details.modulusLength, curve: details.namedCurve };
}

export function certificateInfo(der: Buffer, certificate: X509Certificate = new X509Certificate(der)): CertificateInfo {
  const ext = extensions(der);
  const keyUsage = ext.get(OID.keyUsage);
  const eku = ext.get(OID.extendedKeyUsage);
  const ns = ext.get(OID.nsCertType);
  const bc = ext.get(OID.basicConstraints);
  const san = ext.get(OID.subjectAltName);
  const bcFields = bc ? children(bc) : [];
  const pathLength = bcFields.find((f) => f.tagByte === Tag.INTEGER)?.content;
  const sanNames = san ? children(san) : [];
  return {
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    keyUsage: keyUsage ? namedBits(keyUsage.content) : undefined,
    extendedKeyUsage: eku ? children(eku).map((o) => decodeOid(o.content)) : undefined,
    nsCertType: ns ? (ns.content.length >= 2 ? ns.content[1] : 0) : undefined,
    basicConstraints: bc
      ? {
          ca: bcFields[0]?.tagByte === 0x01 && bcFields[0].content[0] !== 0,
          pathLength: pathLength && pathLength.length <= 6 ? pathLength.readUIntBE(0, pathLength.length) : undefined,
        }
      : undefined,
    // GeneralName: [2] dNSName (IA5String), [7] iPAddress (OCTET STRING), both IMPLICIT primitives.
    dnsNames: sanNames.filter((n) => n.tagByte === 0x82).map((n) => n.content.toString('ascii')),
    ipAddresses: sanNames.filter((n) => n.tagByte === 0x87).map((n) => ipText(n.content)),
  };
}
