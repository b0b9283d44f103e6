/** PEM splitting and type detection on real files written by openssl and node at test time. */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { certificateDer, PemError, splitPem, toPem } from '../../../lib/pki/pem';
import { openssl, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
const f = (n: string) => join(tmp.dir, n);
const read = (n: string) => readFileSync(f(n), 'utf8');

beforeAll(() => {
  tmp = tempDir('pem');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('rsa.pkcs8')]);
  openssl(['pkey', '-in', f('rsa.pkcs8'), '-traditional', '-out', f('rsa.pkcs1')]);
  openssl(['pkey', '-in', f('rsa.pkcs8'), '-traditional', '-aes256', '-passout', 'pass:secret', '-out', f('rsa.pkcs1.enc')]);
  openssl(['pkey', '-in', f('rsa.pkcs8'), '-aes256', '-passout', 'pass:secret', '-out', f('rsa.pkcs8.enc')]);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f('ec.pkcs8')]);
  openssl(['pkey', '-in', f('ec.pkcs8'), '-traditional', '-out', f('ec.sec1')]);
  openssl(['pkey', '-in', f('ec.pkcs8'), '-traditional', '-des3', '-passout', 'pass:secret', '-out', f('ec.sec1.enc')]);
  openssl(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:1024', '-out', f('dsa.params')]);
  openssl(['genpkey', '-paramfile', f('dsa.params'), '-out', f('dsa.pkcs8')]);
  openssl(['pkey', '-in', f('dsa.pkcs8'), '-traditional', '-out', f('dsa.legacy')]);
  openssl(['req', '-x509', '-key', f('ec.pkcs8'), '-subj', '/CN=pem test', '-days', '1', '-out', f('cert.pem')]);
  openssl(['req', '-new', '-key', f('ec.pkcs8'), '-subj', '/CN=pem test', '-out', f('req.pem')]);
  openssl(['pkey', '-in', f('ec.pkcs8'), '-pubout', '-out', f('ec.pub')]);
});
afterAll(() => tmp.cleanup());

describe('type detection', () => {
  test.each([
    ['rsa.pkcs8', 'PRIVATE KEY', 'private-key', false],
    ['rsa.pkcs1', 'RSA PRIVATE KEY', 'private-key', false],
    ['rsa.pkcs1.enc', 'RSA PRIVATE KEY', 'private-key', true],
    ['rsa.pkcs8.enc', 'ENCRYPTED PRIVATE KEY', 'private-key', true],
    ['ec.pkcs8', 'PRIVATE KEY', 'private-key', false],
    ['ec.sec1', 'EC PRIVATE KEY', 'private-key', false],
    ['ec.sec1.enc', 'EC PRIVATE KEY', 'private-key', true],
    ['dsa.pkcs8', 'PRIVATE KEY', 'private-key', false],
    ['dsa.legacy', 'DSA PRIVATE KEY', 'private-key', false],
    ['dsa.params', 'DSA PARAMETERS', 'parameters', false],
    ['cert.pem', 'CERTIFICATE', 'certificate', false],
    ['req.pem', 'CERTIFICATE REQUEST', 'certificate-request', false],
    ['ec.pub', 'PUBLIC KEY', 'public-key', false],
  ])('%s is %s', (file, label, kind, encrypted) => {
    const blocks = splitPem(read(file));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ label, kind, encrypted, index: 0 });
  });

  test('legacy encrypted keys keep their RFC 1421 headers', () => {
    const [block] = splitPem(read('rsa.pkcs1.enc'));
    expect(block.headers['Proc-Type']).toBe('4,ENCRYPTED');
    expect(block.headers['DEK-Info']).toMatch(/^AES-256-CBC,[0-9A-F]{32}$/);
  });

  test('keys encrypted by node (PKCS#8 and PKCS#1 with cipher + passphrase) are detected', () => {
    const pkcs8 = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    const pkcs1 = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    expect(splitPem(pkcs8)[0]).toMatchObject({ label: 'ENCRYPTED PRIVATE KEY', encrypted: true });
    expect(splitPem(pkcs1)[0]).toMatchObject({ label: 'RSA PRIVATE KEY', encrypted: true, keyFormat: 'pkcs1-rsa' });
  });

  test('an OpenSSH key is recognised, with its encryption state', () => {
    const magic = Buffer.from('openssh-key-v1\0', 'latin1');
    const len = (s: string) => Buffer.concat([Buffer.from([0, 0, 0, s.length]), Buffer.from(s)]);
    const plain = toPem('OPENSSH PRIVATE KEY', Buffer.concat([magic, len('none'), len('none')]));
    const enc = toPem('OPENSSH PRIVATE KEY', Buffer.concat([magic, len('aes256-ctr'), len('bcrypt')]));
    expect(splitPem(plain)[0]).toMatchObject({ keyFormat: 'openssh', encrypted: false });
    expect(splitPem(enc)[0]).toMatchObject({ keyFormat: 'openssh', encrypted: true });
  });
});

describe('bundles', () => {
  test('key + certificate + chain in one file, with CRLF and text between blocks', () => {
    const bundle = [
      'Bag Attributes\n    localKeyID: 01\n',
      read('ec.pkcs8'),
      'subject=CN = pem test\n',
      read('cert.pem'),
      read('cert.pem').replace(/\n/g, '\r\n'),
      read('dsa.params'),
    ].join('');
    const blocks = splitPem(bundle);
    expect(blocks.map((b) => [b.index, b.label])).toEqual([
      [0, 'PRIVATE KEY'],
      [1, 'CERTIFICATE'],
      [2, 'CERTIFICATE'],
      [3, 'DSA PARAMETERS'],
    ]);
    expect(blocks[1].der.equals(blocks[2].der)).toBe(true);
    expect(certificateDer(bundle).equals(blocks[1].der)).toBe(true);
    expect(certificateDer(blocks[1].der).equals(blocks[1].der)).toBe(true);
  });

  test('canonical re-armouring is read back by openssl unchanged', () => {
    const [block] = splitPem(read('cert.pem').replace(/\n/g, '\r\n'));
    expect(block.toPem()).toBe(read('cert.pem'));
    expect(openssl(['x509', '-noout', '-subject'], block.toPem())).toContain('pem test');
    const [enc] = splitPem(read('rsa.pkcs1.enc'));
    expect(openssl(['pkey', '-passin', 'pass:secret', '-noout'], enc.toPem())).toBe('');
  });

  test('malformed input is refused with a message naming the block, not its content', () => {
    const cert = read('cert.pem');
    expect(() => splitPem(cert.replace('END CERTIFICATE', 'END X509 CRL'))).toThrow(/starts as "CERTIFICATE" but ends as "X509 CRL"/);
    expect(() => splitPem(cert.replace(/-----END CERTIFICATE-----\n$/, ''))).toThrow(PemError);
    expect(() => splitPem(cert.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'))).toThrow(/block 1 \("CERTIFICATE"\) does not contain valid base64/);
    expect(splitPem('no pem here')).toEqual([]);
    expect(() => certificateDer(read('ec.pkcs8'))).toThrow(/no CERTIFICATE block/);
  });
});

describe('key material stays out of logs', () => {
  test('inspect and JSON show a redacted private key', () => {
    const [block] = splitPem(read('rsa.pkcs8'));
    const b64 = block.der.toString('base64');
    for (const shown of [inspect(block), JSON.stringify(block), JSON.stringify({ nested: [block] })]) {
      expect(shown).toContain('[redacted]');
      expect(shown).not.toContain(b64.slice(40, 80));
    }
  });
});
