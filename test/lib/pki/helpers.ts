/** Test helpers: temp dirs, the real openssl binary, and certificates with byte-exact subjects. */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTlv, encodeUnsignedInteger, Tag } from '../../../lib/pki/der';
import { toPem } from '../../../lib/pki/pem';

/** Runs the real openssl binary; throws with its stderr when it fails. */
export function openssl(args: readonly string[], input?: string | Buffer): string {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 16 << 20 }).toString('utf8');
}

/** openssl() for binary output (DER). */
export function opensslBinary(args: readonly string[], input?: string | Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
}

/** Runs openssl without throwing: exit status, and stdout followed by stderr. */
export function opensslStatus(args: readonly string[], input?: string | Buffer): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { input, maxBuffer: 16 << 20 });
  return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}` };
}

/** A fresh temp directory, removed by the returned cleanup function. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---- byte-exact Names ----

export const OID = {
  CN: '550403',
  SN: '550404',
  serialNumber: '550405',
  C: '550406',
  L: '550407',
  ST: '550408',
  O: '55040a',
  OU: '55040b',
  title: '55040c',
  emailAddress: '2a864886f70d010901',
  DC: '0992268993f22c640119',
  private: '2a0304', // 1.2.3.4
} as const;

/** One AttributeTypeAndValue with an exact value tag and content. */
export function atv(oidHex: string, tagByte: number, content: Buffer | string): Buffer {
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return encodeTlv(Tag.SEQUENCE, Buffer.concat([encodeTlv(Tag.OID, Buffer.from(oidHex, 'hex')), encodeTlv(tagByte, body)]));
}

/** A Name from RDNs, each a list of attributes kept in the given (possibly unsorted) order. */
export function name(...rdns: Buffer[][]): Buffer {
  return encodeTlv(Tag.SEQUENCE, Buffer.concat(rdns.map((rdn) => encodeTlv(Tag.SET, Buffer.concat(rdn)))));
}

export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
export const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
export const bmp = (s: string): Buffer => Buffer.from(s, 'utf16le').swap16();
export function ucs4(s: string): Buffer {
  const cps = Array.from(s, (c) => c.codePointAt(0) ?? 0);
  const out = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => out.writeUInt32BE(cp, i * 4));
  return out;
}

let signer: { privateKey: KeyObject; spki: Buffer } | undefined;

/**
 * A validly signed certificate whose subject is exactly `subject` (DER Name). Built by hand
 * because certificate libraries re-encode name values, which would hide the very bytes under test.
 */
export function certWithSubject(subject: Buffer, serial = 1): string {
  if (!signer) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    signer = { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
  }
  const ecdsaWithSha256 = encodeTlv(Tag.SEQUENCE, encodeTlv(Tag.OID, Buffer.from('2a8648ce3d040302', 'hex')));
  const time = (s: string): Buffer => encodeTlv(0x17, Buffer.from(s, 'latin1'));
  const issuer = name([atv(OID.CN, Tag.UTF8_STRING, 'subject-hash test issuer')]);
  const serialBytes = Buffer.alloc(4);
  serialBytes.writeUInt32BE(serial);
  const tbs = encodeTlv(
    Tag.SEQUENCE,
    Buffer.concat([
      encodeTlv(0xa0, encodeUnsignedInteger(Uint8Array.of(2))),
      encodeUnsignedInteger(serialBytes),
      ecdsaWithSha256,
      issuer,
      encodeTlv(Tag.SEQUENCE, Buffer.concat([time('250101000000Z'), time('350101000000Z')])),
      subject,
      signer.spki,
    ]),
  );
  const signature = sign('sha256', tbs, signer.privateKey);
  const cert = encodeTlv(
    Tag.SEQUENCE,
    Buffer.concat([tbs, ecdsaWithSha256, encodeTlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([0]), signature]))]),
  );
  return toPem('CERTIFICATE', cert);
}

/** `openssl x509 -noout -subject_hash`, or undefined when openssl refuses the certificate. */
export function opensslSubjectHash(pem: string): string | undefined {
  const r = opensslStatus(['x509', '-noout', '-subject_hash'], pem);
  return r.ok ? r.out.trim() : undefined;
}
