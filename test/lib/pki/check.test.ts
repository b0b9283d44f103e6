/** Certificate/key checks on real bad material generated at test time. */
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Diagnostic, Severity } from '../../../lib/diagnostics';
import { checkCaCertificate, checkClientCertificate, checkServerCertificate, PKI_RULES } from '../../../lib/pki/check';
import { CertificateFiles, LocalPki } from '../../../lib/pki/local-pki';
import { splitPem } from '../../../lib/pki/pem';
import { openssl, tempDir } from './helpers';

const DAY = 86_400_000;
const HOST = 'mx.example.test';

let tmp: ReturnType<typeof tempDir>;
let pki: LocalPki;
let root: CertificateFiles;
let inter: CertificateFiles;
let mx: CertificateFiles;
let other: CertificateFiles;
const allKeys: string[] = [];

const read = (p: string) => readFileSync(p, 'utf8');
const key = (f: CertificateFiles) => {
  const pem = read(f.keyPath);
  allKeys.push(pem);
  return pem;
};
const rules = (d: Diagnostic[]) => d.map((x) => x.rule);

/** No diagnostic may carry key material: not the PEM, not a base64 fragment of it. */
function expectNoKeyMaterial(diags: Diagnostic[]): void {
  const text = JSON.stringify(diags);
  expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
  for (const pem of allKeys) {
    for (const block of splitPem(pem)) {
      const b64 = block.der.toString('base64');
      for (let i = 0; i + 24 <= b64.length; i += 24) expect(text).not.toContain(b64.slice(i, i + 24));
    }
  }
}

function server(input: Partial<Parameters<typeof checkServerCertificate>[0]> = {}): Diagnostic[] {
  const d = checkServerCertificate({ chainPem: read(mx.chainPath), keyPem: key(mx), hostname: HOST, ...input });
  expectNoKeyMaterial(d);
  return d;
}

beforeAll(async () => {
  tmp = tempDir('check');
  pki = new LocalPki(join(tmp.dir, 'pki'));
  root = await pki.ensureRootCa('root');
  inter = await pki.ensureIntermediate('inter', 'root');
  mx = await pki.ensureServerCert('mx', { issuer: 'inter', hostnames: [HOST, '*.mail.example.test', '192.0.2.25'], algorithm: 'rsa' });
  other = await pki.ensureServerCert('other', { issuer: 'inter', hostnames: ['other.example.test'] });
});
afterAll(() => tmp.cleanup());

describe('checkServerCertificate', () => {
  test('a correct RSA chain with an intermediate passes without findings', () => {
    expect(server()).toEqual([]);
  });

  test('key and certificate in one file (as the seed allows) pass too', () => {
    const combined = key(mx) + read(mx.chainPath);
    expect(checkServerCertificate({ chainPem: combined, keyPem: combined, hostname: HOST })).toEqual([]);
  });

  test.each([
    ['openssl PKCS#8 encryption', (k: string) => openssl(['pkey', '-aes256', '-passout', 'pass:pw'], k)],
    ['openssl traditional Proc-Type encryption', (k: string) => openssl(['pkey', '-traditional', '-aes128', '-passout', 'pass:pw'], k)],
    ['node cipher + passphrase export', (k: string) => createPrivateKey(k).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString()],
  ])('encrypted key (%s) is an error that says Postfix needs it unencrypted', (_how, encrypt) => {
    const encrypted = encrypt(key(mx));
    allKeys.push(encrypted);
    const d = server({ keyPem: encrypted });
    expect(d).toEqual([expect.objectContaining({ severity: Severity.ERROR, rule: PKI_RULES.keyEncrypted })]);
    expect(d[0].message).toMatch(/unencrypted/);
  });

  test('a key that belongs to another certificate', () => {
    const d = server({ keyPem: key(other) });
    expect(rules(d)).toEqual([PKI_RULES.keyMismatch]);
    expect(d[0].message).toContain(HOST);
  });

  test('a reversed chain is named as reversed', () => {
    const chain = read(inter.certPath) + read(mx.certPath);
    const d = server({ chainPem: chain });
    expect(rules(d)).toEqual([PKI_RULES.chainReversed]);
    expect(d[0].message).toMatch(/reverse order[\s\S]*leaf here is "CN=mx.example.test/);
  });

  test('a fully reversed three-certificate chain (root first) is reversed too', () => {
    const chain = read(root.certPath) + read(inter.certPath) + read(mx.certPath);
    expect(rules(server({ chainPem: chain }))).toEqual([PKI_RULES.chainReversed]);
  });

  test('leaf in the middle: leaf-not-first plus the misplaced issuer', () => {
    const chain = read(inter.certPath) + read(mx.certPath) + read(root.certPath);
    const d = server({ chainPem: chain });
    // Leaf checks look at the certificate the key belongs to, so only ordering is reported.
    expect(rules(d)).toEqual([PKI_RULES.chainLeafNotFirst, PKI_RULES.chainOrder, PKI_RULES.chainOrder, PKI_RULES.chainRootIncluded]);
    expect(d[2].message).toMatch(/its issuer "CN=inter development intermediate CA[^"]*" \(certificate 1 of 3\) is in the chain but at the wrong position/);
  });

  test('an unrelated certificate after the leaf', () => {
    const d = server({ chainPem: read(mx.certPath) + read(other.certPath) });
    expect(rules(d)).toEqual([PKI_RULES.chainOrder]);
    expect(d[0].message).toMatch(/is missing: insert that intermediate/);
  });

  test('the root CA in the chain is a warning about handshake overhead', () => {
    const d = server({ chainPem: read(mx.chainPath) + read(root.certPath) });
    expect(d).toEqual([expect.objectContaining({ severity: Severity.WARNING, rule: PKI_RULES.chainRootIncluded })]);
    expect(d[0].message).toMatch(/overhead/);
  });

  test('a client-only certificate cannot serve', async () => {
    const f = await pki.ensureServerCert('client-only', { issuer: 'inter', hostnames: [HOST], extendedKeyUsage: ['clientAuth'] });
    const d = server({ chainPem: read(f.chainPath), keyPem: key(f) });
    expect(rules(d)).toEqual([PKI_RULES.notServerCert]);
    expect(d[0].message).toMatch(/extendedKeyUsage \(clientAuth\) does not include serverAuth/);
  });

  test('keyUsage without digitalSignature passes OpenSSL but is a warning', async () => {
    const f = await pki.ensureServerCert('ke-only', { issuer: 'inter', hostnames: [HOST], algorithm: 'rsa', keyUsage: ['keyEncipherment'] });
    expect(rules(server({ chainPem: read(f.chainPath), keyPem: key(f) }))).toEqual([PKI_RULES.noDigitalSignature]);
  });

  test('expired, not yet valid, and expiring soon', async () => {
    const expired = await pki.ensureServerCert('expired', { issuer: 'inter', hostnames: [HOST], notBefore: new Date(Date.now() - 500 * DAY), notAfter: new Date(Date.now() - DAY) });
    const future = await pki.ensureServerCert('future', { issuer: 'inter', hostnames: [HOST], notBefore: new Date(Date.now() + 5 * DAY), notAfter: new Date(Date.now() + 400 * DAY) });
    const soon = await pki.ensureServerCert('soon', { issuer: 'inter', hostnames: [HOST], notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 10 * DAY) });
    const check = (f: CertificateFiles, extra = {}) => server({ chainPem: read(f.chainPath), keyPem: key(f), ...extra });
    expect(check(expired)).toEqual([expect.objectContaining({ severity: Severity.ERROR, rule: PKI_RULES.expired })]);
    expect(check(future)).toEqual([expect.objectContaining({ severity: Severity.ERROR, rule: PKI_RULES.notYetValid })]);
    expect(check(soon)).toEqual([expect.objectContaining({ severity: Severity.WARNING, rule: PKI_RULES.expiresSoon })]);
    expect(check(soon, { expiryWarningDays: 7 })).toEqual([]);
    // The reference time is an input: the good chain, checked 20 years from now.
    const later = server({ now: new Date(Date.now() + 20 * 365 * DAY) });
    expect(rules(later)).toEqual([PKI_RULES.expired, PKI_RULES.expired]);
    expect(later[1].message).toContain('inter development intermediate CA');
  });

  test('host names: SAN DNS names, one-label wildcards, IP SANs', () => {
    expect(server({ hostname: ['MX.example.test.', 'a.mail.example.test', '192.0.2.25'] })).toEqual([]);
    const d = server({ hostname: ['other.example.test', 'a.b.mail.example.test', 'mail.example.test', '192.0.2.26'] });
    expect(rules(d)).toEqual(Array(4).fill(PKI_RULES.hostnameMismatch));
    expect(d[0].message).toContain('DNS SANs: mx.example.test, *.mail.example.test');
  });

  test('a certificate matching only by CN is a warning', () => {
    const k = join(tmp.dir, 'cn.key');
    const c = join(tmp.dir, 'cn.crt');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', k, '-subj', `/CN=${HOST}`, '-days', '30', '-addext', 'extendedKeyUsage=serverAuth', '-out', c]);
    const d = checkServerCertificate({ chainPem: read(c), keyPem: read(k), hostname: HOST, expiryWarningDays: 1 });
    allKeys.push(read(k));
    expectNoKeyMaterial(d);
    expect(rules(d)).toEqual([PKI_RULES.hostnameCnOnly]);
  });

  test('a DSA certificate is an obsolete-algorithm warning suggesting ECDSA', () => {
    const params = join(tmp.dir, 'dsa.params');
    const k = join(tmp.dir, 'dsa.key');
    const c = join(tmp.dir, 'dsa.crt');
    openssl(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:1024', '-out', params]);
    openssl(['genpkey', '-paramfile', params, '-out', k]);
    openssl(['req', '-x509', '-key', k, '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-days', '60', '-out', c]);
    const legacy = openssl(['pkey', '-traditional', '-in', k]);
    allKeys.push(legacy);
    const d = checkServerCertificate({ chainPem: read(c), keyPem: legacy, hostname: HOST });
    expectNoKeyMaterial(d);
    expect(d).toEqual([expect.objectContaining({ severity: Severity.WARNING, rule: PKI_RULES.dsaKey })]);
    expect(d[0].message).toMatch(/ECDSA/);
  });

  test('an RSA key below 2048 bits is an error', async () => {
    const f = await pki.ensureServerCert('rsa1024', { issuer: 'inter', hostnames: [HOST], algorithm: 'rsa', rsaBits: 1024 });
    expect(rules(server({ chainPem: read(f.chainPath), keyPem: key(f) }))).toEqual([PKI_RULES.rsaTooSmall]);
  });

  test('missing, unreadable and OpenSSH keys', () => {
    expect(rules(server({ keyPem: read(mx.certPath) }))).toEqual([PKI_RULES.keyMissing]);
    expect(rules(server({ keyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }))).toEqual([PKI_RULES.keyUnreadable]);
    const opensshPem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n';
    expect(rules(server({ keyPem: opensshPem }))).toEqual([PKI_RULES.keyUnsupportedFormat]);
    expect(rules(server({ chainPem: 'nothing here' }))).toEqual([PKI_RULES.certMissing]);
  });
});

describe('checkClientCertificate', () => {
  test('a clientAuth certificate passes; a serverAuth-only one does not', async () => {
    const client = await pki.ensureClientCert('client', { issuer: 'inter', commonName: 'relay client' });
    expect(checkClientCertificate({ chainPem: read(client.chainPath), keyPem: key(client) })).toEqual([]);
    const d = checkClientCertificate({ chainPem: read(mx.chainPath) });
    expect(rules(d)).toEqual([PKI_RULES.notClientCert]);
    expect(d[0].message).toMatch(/does not include clientAuth/);
  });

  test('an encrypted client key is refused', async () => {
    const client = await pki.ensureClientCert('client', { issuer: 'inter', commonName: 'relay client' });
    const encrypted = openssl(['pkey', '-aes256', '-passout', 'pass:pw'], key(client));
    allKeys.push(encrypted);
    const d = checkClientCertificate({ chainPem: read(client.chainPath), keyPem: encrypted });
    expectNoKeyMaterial(d);
    expect(rules(d)).toEqual([PKI_RULES.keyEncrypted]);
  });
});

describe('checkCaCertificate', () => {
  test('root and intermediate CAs pass; a leaf is not a CA', () => {
    expect(checkCaCertificate(read(root.certPath) + read(inter.certPath))).toEqual([]);
    const d = checkCaCertificate(read(root.certPath) + read(mx.certPath));
    expect(rules(d)).toEqual([PKI_RULES.notCa]);
    expect(d[0].message).toMatch(/certificate 2 of 2[\s\S]*cA=FALSE/);
  });

  test('a CA file with a private key in it', () => {
    const bundle = read(root.certPath) + key(root);
    const d = checkCaCertificate(bundle);
    expectNoKeyMaterial(d);
    expect(rules(d)).toEqual([PKI_RULES.caFileHasKey]);
  });

  test('a CA without keyCertSign, and an expired CA', () => {
    const k = join(tmp.dir, 'noks.key');
    const c = join(tmp.dir, 'noks.crt');
    writeFileSync(join(tmp.dir, 'noks.cnf'), '[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n');
    openssl(['req', '-x509', '-config', join(tmp.dir, 'noks.cnf'), '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', k, '-subj', '/CN=No KeyCertSign CA', '-days', '400', '-out', c]);
    const d = checkCaCertificate(read(c));
    expect(rules(d)).toEqual([PKI_RULES.notCa]);
    expect(d[0].message).toMatch(/lacks keyCertSign/);
    expect(rules(checkCaCertificate(read(root.certPath), { now: new Date(Date.now() + 11 * 365 * DAY) }))).toEqual([PKI_RULES.expired]);
  });
});
