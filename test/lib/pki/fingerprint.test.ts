/** Fingerprints against openssl's own output, for RSA, ECDSA and Ed25519 certificates. */
import { join } from 'node:path';
import { ConfigError } from '../../../lib/diagnostics';
import {
  certificateFingerprint,
  parseFingerprintDigest,
  POSTFIX_FINGERPRINT_DIGESTS,
  publicKeyFingerprint,
} from '../../../lib/pki/fingerprint';
import { splitPem } from '../../../lib/pki/pem';
import { openssl, opensslBinary, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
const certs: Record<string, { file: string; pem: string }> = {};
const KEYS: Record<string, string[]> = {
  rsa: ['-newkey', 'rsa:2048'],
  ecdsa: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ed25519: ['-newkey', 'ed25519'],
};

beforeAll(() => {
  tmp = tempDir('fingerprint');
  for (const [alg, args] of Object.entries(KEYS)) {
    const file = join(tmp.dir, `${alg}.crt`);
    openssl(['req', '-x509', ...args, '-nodes', '-keyout', join(tmp.dir, `${alg}.key`), '-subj', `/CN=${alg} client`, '-days', '1', '-out', file]);
    certs[alg] = { file, pem: openssl(['x509', '-in', file]) };
  }
});
afterAll(() => tmp.cleanup());

/** `SHA256 Fingerprint=AB:..` -> `AB:..` */
function opensslCertFingerprint(file: string, digest: string): string {
  return openssl(['x509', '-noout', '-fingerprint', `-${digest}`, '-in', file]).trim().split('=')[1];
}

/** The reference's pipeline: x509 -pubkey | pkey -pubin -outform DER | dgst -c. */
function opensslPubkeyFingerprint(file: string, digest: string): string {
  const pub = openssl(['x509', '-noout', '-pubkey', '-in', file]);
  const spki = opensslBinary(['pkey', '-pubin', '-outform', 'DER'], pub);
  const out = openssl(['dgst', `-${digest}`, '-c'], spki).trim();
  return out.slice(out.indexOf('= ') + 2).toUpperCase();
}

const cases = Object.keys(KEYS).flatMap((alg) => POSTFIX_FINGERPRINT_DIGESTS.map((d) => [alg, d] as const));

describe('certificateFingerprint', () => {
  test.each(cases)('%s certificate, %s', (alg, digest) => {
    expect(certificateFingerprint(certs[alg].pem, digest)).toBe(opensslCertFingerprint(certs[alg].file, digest));
  });
});

describe('publicKeyFingerprint', () => {
  test.each(cases)('%s key, %s', (alg, digest) => {
    expect(publicKeyFingerprint(certs[alg].pem, digest)).toBe(opensslPubkeyFingerprint(certs[alg].file, digest));
  });

  test('a PUBLIC KEY block and DER inputs give the same fingerprint as the certificate', () => {
    const { pem, file } = certs.ecdsa;
    const pub = openssl(['x509', '-noout', '-pubkey', '-in', file]);
    const spkiDer = splitPem(pub)[0].der;
    const certDer = splitPem(pem)[0].der;
    const expected = publicKeyFingerprint(pem);
    expect(publicKeyFingerprint(pub)).toBe(expected);
    expect(publicKeyFingerprint(spkiDer)).toBe(expected);
    expect(publicKeyFingerprint(certDer)).toBe(expected);
    expect(certificateFingerprint(certDer)).toBe(certificateFingerprint(pem));
  });
});

describe('digest names', () => {
  test('default is sha256, Postfix format: uppercase pairs joined by ":"', () => {
    const fp = certificateFingerprint(certs.rsa.pem);
    expect(fp).toBe(opensslCertFingerprint(certs.rsa.file, 'sha256'));
    expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('names are case-insensitive like OpenSSL, unknown ones are refused with the list', () => {
    expect(parseFingerprintDigest('SHA256')).toBe('sha256');
    expect(() => certificateFingerprint(certs.rsa.pem, 'sha3-256')).toThrow(ConfigError);
    expect(() => parseFingerprintDigest('whirlpool')).toThrow(/md5, sha1, sha224, sha256/);
  });

  test('a private key is not accepted as input, and the error does not echo it', () => {
    const key = openssl(['pkey', '-in', join(tmp.dir, 'ecdsa.key')]);
    let message = '';
    try {
      publicKeyFingerprint(key);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/never its private key/);
    expect(message).not.toContain(splitPem(key)[0].der.toString('base64').slice(0, 20));
  });
});
