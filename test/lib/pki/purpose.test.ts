/**
 * purposeProblems must agree with `openssl verify -purpose sslserver|sslclient` on every
 * combination of keyUsage / extendedKeyUsage / nsCertType that OpenSSL itself produced.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalPki } from '../../../lib/pki/local-pki';
import { purposeProblems, caProblems } from '../../../lib/pki/purpose';
import { X509Certificate } from 'node:crypto';
import { certificateInfo } from '../../../lib/pki/certificate-info';
import { x509 } from '../../../lib/pki/x509';
import { openssl, opensslStatus, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let caCert: string;
let caKey: string;
let csr: string;

beforeAll(async () => {
  tmp = tempDir('purpose');
  const root = await new LocalPki(join(tmp.dir, 'pki')).ensureRootCa('root', { algorithm: 'rsa' });
  caCert = root.certPath;
  caKey = root.keyPath;
  csr = join(tmp.dir, 'leaf.csr');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp.dir, 'leaf.key'), '-subj', '/CN=leaf', '-out', csr]);
});
afterAll(() => tmp.cleanup());

const variants: Array<[string, string]> = [
  ['no extensions', ''],
  ['EKU serverAuth', 'extendedKeyUsage=serverAuth'],
  ['EKU clientAuth', 'extendedKeyUsage=clientAuth'],
  ['EKU serverAuth+clientAuth', 'extendedKeyUsage=serverAuth,clientAuth'],
  ['EKU anyExtendedKeyUsage', 'extendedKeyUsage=anyExtendedKeyUsage'],
  ['EKU Netscape SGC', 'extendedKeyUsage=nsSGC'],
  ['EKU Microsoft SGC', 'extendedKeyUsage=msSGC'],
  ['EKU emailProtection', 'extendedKeyUsage=emailProtection'],
  ['KU digitalSignature', 'keyUsage=digitalSignature'],
  ['KU keyEncipherment', 'keyUsage=keyEncipherment'],
  ['KU keyAgreement', 'keyUsage=keyAgreement'],
  ['KU keyCertSign', 'keyUsage=keyCertSign'],
  ['KU nonRepudiation + EKU serverAuth', 'keyUsage=nonRepudiation\nextendedKeyUsage=serverAuth'],
  ['nsCertType client', 'nsCertType=client'],
  ['nsCertType server', 'nsCertType=server'],
  ['nsCertType email', 'nsCertType=email'],
  ['nsCertType server + EKU clientAuth', 'nsCertType=server\nextendedKeyUsage=clientAuth'],
  ['SAN DNS, wildcard, IPv4 and IPv6', 'subjectAltName=DNS:mx.example.com,DNS:*.example.org,IP:192.0.2.25,IP:2001:db8::25'],
];

describe.each(variants)('%s', (label, ext) => {
  let pem: string;
  let file: string;
  beforeAll(() => {
    const extFile = join(tmp.dir, `${label.replace(/\W+/g, '_')}.ext`);
    file = join(tmp.dir, `${label.replace(/\W+/g, '_')}.crt`);
    writeFileSync(extFile, `basicConstraints=CA:FALSE\n${ext}\n`);
    openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-extfile', extFile, '-out', file]);
    pem = readFileSync(file, 'utf8');
  });

  test.each([['server', 'sslserver'], ['client', 'sslclient']] as const)('%s role agrees with openssl -purpose %s', (role, purpose) => {
    const opensslOk = opensslStatus(['verify', '-purpose', purpose, '-CAfile', caCert, file]).ok;
    expect(purposeProblems(certificateInfo(new X509Certificate(pem).raw), role).length === 0).toBe(opensslOk);
  });

  test('a leaf is never a CA', () => {
    expect(caProblems(certificateInfo(new X509Certificate(pem).raw))).toContain('its basicConstraints has cA=FALSE');
  });

  test('the DER reader agrees with @peculiar/x509 on every field the checks use', () => {
    const info = certificateInfo(new X509Certificate(pem).raw);
    const oracle = new x509.X509Certificate(pem);
    const bc = oracle.getExtension(x509.BasicConstraintsExtension);
    const san = oracle.getExtension(x509.SubjectAlternativeNameExtension);
    const ns = oracle.getExtension('2.16.840.1.113730.1.1');
    expect(info).toEqual({
      subject: oracle.subject,
      issuer: oracle.issuer,
      notBefore: oracle.notBefore,
      notAfter: oracle.notAfter,
      keyUsage: oracle.getExtension(x509.KeyUsagesExtension)?.usages,
      extendedKeyUsage: oracle.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String),
      nsCertType: ns ? new Uint8Array(ns.value)[3] ?? 0 : undefined,
      basicConstraints: bc ? { ca: bc.ca, pathLength: bc.pathLength } : undefined,
      dnsNames: san ? san.names.items.filter((n) => n.type === 'dns').map((n) => n.value) : [],
      ipAddresses: san ? san.names.items.filter((n) => n.type === 'ip').map((n) => n.value) : [],
    });
  });
});
