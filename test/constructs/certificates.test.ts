/**
 * Issue 3, item 1: every check of the certificates a user brings, each with a REAL bad input made at test time,
 * and a clear message naming the construct. Where openssl can judge the same input, it is asked too, so the
 * tests prove the input really is bad (not just that the library says so).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientIdentity, FingerprintDigest, ServerCertificate } from '../../index';
import { ConfigError } from '../../lib/diagnostics';
import {
  buildServer,
  clientIdentity,
  errorOf,
  fullSynthAnnotations,
  HOST,
  KeyPairFiles,
  keyBodyLines,
  newStack,
  openssl,
  serverCert,
  TestPki,
  useTestPki,
} from '../helpers/fixtures';

const pki = useTestPki();

/** `openssl verify -purpose sslserver` of a chain file against the test root; returns openssl's verdict. */
function opensslVerifyServer(t: TestPki, chainFile: string): { ok: boolean; out: string } {
  const pems = readFileSync(chainFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
  const leaf = join(t.dir, 'verify-leaf.pem');
  writeFileSync(leaf, pems[0] ?? '');
  try {
    const out = openssl(['verify', '-purpose', 'sslserver', '-CAfile', t.root.certPath, '-untrusted', t.intermediate.certPath, leaf]).toString();
    return { ok: true, out };
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, out: `${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}` };
  }
}

/** The error of a server whose TlsServer uses `files` as its certificate; must name the TlsServer. */
function tlsError(files: KeyPairFiles): string {
  const { stack } = newStack();
  return errorOf(() => buildServer(stack, 'mx', pki(), { tls: { certificates: [ServerCertificate.fromFiles(files)] } })).message;
}

function expectNoKeyMaterial(message: string, ...keyFiles: string[]): void {
  for (const keyFile of keyFiles) for (const line of keyBodyLines(keyFile)) expect(message).not.toContain(line);
}

describe('server certificates the user brings', () => {
  test('the good RSA, ECDSA and dual certificates pass without errors or warnings (and openssl agrees)', () => {
    for (const files of [pki().serverRsa, pki().serverEcdsa]) expect(opensslVerifyServer(pki(), files.chainPath).ok).toBe(true);
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), { tls: { certificates: [serverCert(pki().serverEcdsa), serverCert(pki().serverRsa)] } });
    expect(fullSynthAnnotations(app)).toEqual([]);
  });

  test('an Ed25519 certificate (issued by the test intermediate with openssl) goes into smtpd_tls_chain_files next to ECDSA; alone it warns', () => {
    const t = pki();
    const key = join(t.dir, 'ed25519.key.pem');
    const csr = join(t.dir, 'ed25519.csr.pem');
    const ext = join(t.dir, 'ed25519.ext');
    const leaf = join(t.dir, 'ed25519.crt.pem');
    openssl(['genpkey', '-algorithm', 'ed25519', '-out', key]);
    openssl(['req', '-new', '-key', key, '-subj', `/CN=${HOST}`, '-out', csr]);
    writeFileSync(ext, `subjectAltName = DNS:${HOST}\nextendedKeyUsage = serverAuth\nkeyUsage = critical, digitalSignature\n`);
    openssl(['x509', '-req', '-in', csr, '-CA', t.intermediate.certPath, '-CAkey', t.intermediate.keyPath, '-CAcreateserial', '-days', '90', '-extfile', ext, '-out', leaf]);
    const chain = join(t.dir, 'ed25519.chain.pem');
    writeFileSync(chain, readFileSync(leaf, 'utf8') + readFileSync(t.intermediate.certPath, 'utf8'));
    expect(opensslVerifyServer(t, chain).ok).toBe(true);
    const ed25519 = ServerCertificate.fromFiles({ chainFile: chain, keyFile: key });
    expect(ed25519.algorithm).toBe('ed25519');

    const { app, stack } = newStack();
    const server = buildServer(stack, 'mx', t, { tls: { certificates: [serverCert(t.serverEcdsa), ed25519] } });
    expect(server.render().mainCf).toMatch(/^smtpd_tls_chain_files = \S*ecdsa\.key\.pem, \S*ecdsa\.chain\.pem, \S*ed25519\.key\.pem, \S*ed25519\.chain\.pem$/m);
    expect(fullSynthAnnotations(app)).toEqual([]);

    const alone = newStack();
    buildServer(alone.stack, 'mx', t, { tls: { certificates: [ServerCertificate.fromFiles({ chainFile: chain, keyFile: key })] } });
    expect(fullSynthAnnotations(alone.app).map((a) => a.message)).toEqual([expect.stringMatching(/^\[eddsa-only\] only EdDSA certificates \(ed25519\)/)]);
  });

  test('an encrypted key is refused: Postfix cannot ask for the passphrase', () => {
    const { keyFile } = pki().bad.encryptedKey;
    expect(readFileSync(keyFile, 'utf8')).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    const message = tlsError(pki().bad.encryptedKey);
    expect(message).toMatch(/^\[stack\/mx\/Tls\] \[pki-key-encrypted\] the private key \("ENCRYPTED PRIVATE KEY"\) is encrypted with a passphrase/);
    expect(message).toContain('needs an unencrypted key');
    expect(message).toContain('openssl pkey -in key.pem -out key-plain.pem');
    expect(message).not.toContain('test-passphrase');
    expectNoKeyMaterial(message, keyFile, pki().serverEcdsa.keyPath);
  });

  test('a key that does not belong to the certificate is refused', () => {
    const message = tlsError(pki().bad.mismatchedKey);
    expect(message).toMatch(/^\[stack\/mx\/Tls\] \[pki-key-mismatch\] the private key does not belong to the leaf certificate "CN=mx\.example\.com/);
    expect(message).toContain('Use the key the certificate was issued for, or reissue the certificate for this key');
    expectNoKeyMaterial(message, pki().bad.mismatchedKey.keyFile);
  });

  test('a reversed chain (intermediate first) is refused with the order to use', () => {
    const chain = readFileSync(pki().bad.reversedChain.chainFile, 'utf8');
    expect(chain.indexOf(readFileSync(pki().intermediate.certPath, 'utf8'))).toBe(0);
    const message = tlsError(pki().bad.reversedChain);
    expect(message).toMatch(/^\[stack\/mx\/Tls\] \[pki-chain-reversed\] the chain is in reverse order: "CN=intermediate development intermediate CA/);
    expect(message).toContain('List the leaf first, then each intermediate');
    expect(message).toContain('the leaf here is "CN=mx.example.com');
  });

  test('a client-only certificate (EKU clientAuth) as server certificate is refused, as openssl verify -purpose sslserver does', () => {
    const verdict = opensslVerifyServer(pki(), pki().bad.clientOnly.chainFile);
    expect(verdict.ok).toBe(false);
    expect(verdict.out).toMatch(/unsuitable certificate purpose/);
    const message = tlsError(pki().bad.clientOnly);
    expect(message).toMatch(/^\[stack\/mx\/Tls\] \[pki-cert-not-server\] "CN=mx\.example\.com.*cannot be used as a TLS server certificate \(fails `openssl verify -purpose sslserver`\)/);
    expect(message).toContain('Reissue it with extendedKeyUsage serverAuth');
  });

  test('an expired certificate is refused, with its end date, as openssl verify does', () => {
    const verdict = opensslVerifyServer(pki(), pki().bad.expired.chainFile);
    expect(verdict.ok).toBe(false);
    expect(verdict.out).toMatch(/certificate has expired/);
    const message = tlsError(pki().bad.expired);
    expect(message).toMatch(/^\[stack\/mx\/Tls\] \[pki-cert-expired\] "CN=mx\.example\.com.* expired on 2021-01-01T00:00:00\.000Z\. Renew it and replace the file\./);
  });

  // Opportunistic and DANE-EE senders never check the name, so a mismatch is a warning, not an error.
  test('a certificate that does not cover the server hostname gets a warning naming both (openssl agrees it does not match)', () => {
    const check = openssl(['x509', '-noout', '-checkhost', HOST, '-in', pki().bad.otherHost.chainFile]).toString();
    expect(check).toContain('does NOT match certificate');
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), { tls: { certificates: [ServerCertificate.fromFiles(pki().bad.otherHost)] } });
    const annotations = fullSynthAnnotations(app);
    expect(annotations).toEqual([expect.objectContaining({ level: '@cdktf/warn', constructPath: 'stack/mx/Tls' })]);
    const message = annotations[0].message;
    expect(message).toMatch(/^\[pki-cert-hostname-mismatch\] "CN=other\.example\.org.*does not cover the host name "mx\.example\.com" \(DNS SANs: other\.example\.org\)/);
    expect(message).toContain('opportunistic and DANE-EE senders do not check it');
    expect(message).toContain('Reissue it with "mx.example.com" in subjectAltName');
  });

  test('the same certificate is accepted on a server whose hostname it covers', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'other', pki(), { server: { hostname: 'other.example.org' }, tls: { certificates: [serverCert(pki().bad.otherHost)] } });
    expect(server.render().mainCf).toContain('myhostname = other.example.org');
  });

  test('a missing key file is refused with its path', () => {
    const message = tlsError({ chainFile: pki().serverEcdsa.chainPath, keyFile: join(pki().dir, 'missing.key.pem') });
    expect(message).toMatch(/^\[stack\/mx\/Tls\] cannot read private key .*missing\.key\.pem: ENOENT/);
  });

  test('a chain file that holds no certificate is refused when it is read', () => {
    const e = errorOf(() => ServerCertificate.fromFiles({ chainFile: pki().serverEcdsa.keyPath, keyFile: pki().serverEcdsa.keyPath }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain(`certificate chain ${pki().serverEcdsa.keyPath} is not a PEM certificate`);
    expectNoKeyMaterial(e.message, pki().serverEcdsa.keyPath);
  });

  describe('one combined file (key, then chain) as chainFile and keyFile', () => {
    const combined = (name: string, ...parts: string[]): string => {
      const path = join(pki().dir, name);
      writeFileSync(path, parts.map((p) => readFileSync(p, 'utf8')).join(''), { mode: 0o600 });
      return path;
    };

    test('is checked like a pair (key matches, chain order) and keeps only the certificates as chainPem', () => {
      const file = combined('combined-good.pem', pki().serverEcdsa.keyPath, pki().serverEcdsa.chainPath);
      const certificate = ServerCertificate.fromFiles({ chainFile: file, keyFile: file });
      expect(certificate.chainPem).not.toMatch(/PRIVATE KEY/);
      expect(certificate.chainPem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
      const { app, stack } = newStack();
      buildServer(stack, 'mx', pki(), { tls: { certificates: [certificate] } });
      expect(fullSynthAnnotations(app)).toEqual([]);
    });

    test('with the wrong key is refused as a mismatch', () => {
      const file = combined('combined-mismatch.pem', pki().bad.mismatchedKey.keyFile, pki().serverEcdsa.chainPath);
      expect(tlsError({ chainFile: file, keyFile: file })).toMatch(/^\[stack\/mx\/Tls\] \[pki-key-mismatch\]/);
    });

    test('with the key after the chain is refused: smtpd_tls_chain_files wants the key first', () => {
      const file = combined('combined-key-last.pem', pki().serverEcdsa.chainPath, pki().serverEcdsa.keyPath);
      const e = errorOf(() => ServerCertificate.fromFiles({ chainFile: file, keyFile: file }));
      expect(e.message).toBe(`combined key and chain file ${file} (chainFile = keyFile) holds its key after a certificate; smtpd_tls_chain_files needs one private key followed by its chain: put the key first, one key per file, or pass separate chainFile and keyFile`);
      expectNoKeyMaterial(e.message, pki().serverEcdsa.keyPath);
    });

    test('with two keys is refused', () => {
      const file = combined('combined-two-keys.pem', pki().serverEcdsa.keyPath, pki().serverRsa.keyPath, pki().serverEcdsa.chainPath);
      expect(errorOf(() => ServerCertificate.fromFiles({ chainFile: file, keyFile: file })).message).toContain('holds 2 private keys');
    });

    test('a chain file holding a key next to a separate keyFile is refused, naming keyFile', () => {
      const file = combined('chain-plus-key.pem', pki().serverEcdsa.chainPath, pki().serverEcdsa.keyPath);
      const e = errorOf(() => ServerCertificate.fromFiles({ chainFile: file, keyFile: pki().serverEcdsa.keyPath }));
      expect(e.message).toBe(`certificate chain ${file} holds a private key, which would be uploaded as public content: pass the same file as keyFile too (a combined file, uploaded as a secret), or remove the key from chainFile`);
    });
  });
});

describe('client certificates and CAs', () => {
  test('an expired client certificate in relayClients is refused', () => {
    const { stack } = newStack();
    const message = errorOf(() =>
      buildServer(stack, 'mx', pki(), {
        clientCerts: { trustedCaFiles: [pki().clientCa.certPath], relayClients: [ClientIdentity.fromCertificateFile(pki().bad.expiredClientCert, 'old')] },
      }),
    ).message;
    expect(message).toMatch(/^\[stack\/mx\/ClientCerts\] \[pki-cert-expired\] "CN=old\.example\.net.* expired on 2021-01-01T00:00:00\.000Z\. Renew it/);
  });

  test('an expired client certificate in a check_ccert_access rule is refused', () => {
    const { stack } = newStack();
    const message = errorOf(() =>
      buildServer(stack, 'mx', pki(), {
        clientCerts: { trustedCaFiles: [pki().clientCa.certPath], accessRules: [{ client: ClientIdentity.fromCertificateFile(pki().bad.expiredClientCert, 'old'), action: 'OK' }] },
      }),
    ).message;
    expect(message).toMatch(/^\[stack\/mx\/ClientCerts\] \[pki-cert-expired\]/);
  });

  test('a server-only certificate listed as a relay client gets a note: fingerprint matching does not check the purpose', () => {
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), { clientCerts: { trustedCaFiles: [pki().clientCa.certPath], relayClients: [clientIdentity(pki().serverEcdsa, 'server')] } });
    const annotations = fullSynthAnnotations(app);
    expect(annotations).toEqual([expect.objectContaining({ level: '@cdktf/warn', constructPath: 'stack/mx/ClientCerts' })]);
    expect(annotations[0].message).toMatch(/^\[pki-cert-not-client\] .*openssl verify -purpose sslclient.*still relays.*requireClientCertificate verifies it and refuses it/);
  });

  test.each([
    ['trustedCaFiles', (path: string) => ({ trustedCaFiles: [path] })],
    ['capathCaFiles', (path: string) => ({ capathCaFiles: [path] })],
  ])('a non-CA certificate in %s is refused, naming the file and the alternative', (_prop, props) => {
    const { stack } = newStack();
    const message = errorOf(() => buildServer(stack, 'mx', pki(), { clientCerts: props(pki().bad.nonCaCert) })).message;
    expect(message).toMatch(/^\[stack\/mx\/ClientCerts\] CA file .*client\.crt\.pem: "CN=relay\.example\.net.*is not a CA certificate/);
    expect(message).toContain('use its fingerprint in relay_clientcerts or check_ccert_access instead');
  });

  test('a CA file that also holds a private key is refused without echoing the key', () => {
    const mixed = join(pki().dir, 'ca-with-key.pem');
    writeFileSync(mixed, readFileSync(pki().clientCa.certPath, 'utf8') + readFileSync(pki().clientCa.keyPath, 'utf8'));
    const { stack } = newStack();
    const message = errorOf(() => buildServer(stack, 'mx', pki(), { clientCerts: { trustedCaFiles: [mixed] } })).message;
    expect(message).toMatch(/^\[stack\/mx\/ClientCerts\] CA file .*ca-with-key\.pem: the CA file contains a private key/);
    expectNoKeyMaterial(message, pki().clientCa.keyPath);
  });

  test('a CA file that does not exist is refused with its path', () => {
    const { stack } = newStack();
    const message = errorOf(() => buildServer(stack, 'mx', pki(), { clientCerts: { trustedCaFiles: [join(pki().dir, 'nope.pem')] } })).message;
    expect(message).toMatch(/^\[stack\/mx\/ClientCerts\] cannot read CA certificate file .*nope\.pem/);
  });

  test('a fingerprint that is not hex pairs is refused with the expected format', () => {
    const e = errorOf(() => ClientIdentity.fromFingerprint('D7042F', 'relay'));
    expect(e.message).toBe('fingerprint "D7042F" of client "relay" is not hex pairs joined by \':\' (e.g. D7:04:2F:...)');
  });
});

describe('a fingerprint must have the length of the policy digest', () => {
  test.each([
    ['a SHA-1 fingerprint under the default SHA-256 digest', 20, undefined, 'has 20 bytes, but fingerprintDigest sha256 gives 32'],
    ['a SHA-256 fingerprint under MD5', 32, FingerprintDigest.MD5, 'has 32 bytes, but fingerprintDigest md5 gives 16'],
  ] as const)('%s is refused at synth, naming the client', (_name, bytes, digest, message) => {
    const { stack } = newStack();
    const fingerprint = Array.from({ length: bytes }, (_, i) => (i % 256).toString(16).padStart(2, '0')).join(':');
    expect(() =>
      buildServer(stack, 'mx', pki(), { clientCerts: { relayClients: [ClientIdentity.fromFingerprint(fingerprint, 'relay.example.net')], fingerprintDigest: digest } }),
    ).toThrow(`[stack/mx/ClientCerts] fingerprint of client "relay.example.net" ${message}`);
  });

  test('a fingerprint of the right length renders', () => {
    const { stack } = newStack();
    const fingerprint = Array.from({ length: 64 }, () => 'AB').join(':');
    const server = buildServer(stack, 'mx', pki(), { clientCerts: { relayClients: [ClientIdentity.fromFingerprint(fingerprint, 'relay.example.net')], fingerprintDigest: FingerprintDigest.SHA512 } });
    expect(server.render().tables[0].content).toBe(`${fingerprint} relay.example.net\n`);
  });
});
