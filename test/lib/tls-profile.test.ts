import { createSecureContext } from 'node:tls';
import { opensslConfigFile, SHA2_SIGNATURE_ALGORITHMS, TLS_PROFILES, TlsProfileName } from '../../lib/tls-profile';

describe('TLS profiles', () => {
  test('internet-nl: the SHA-2 signature list is accepted by OpenSSL and names no SHA-1 or SHA-224 scheme', () => {
    expect(() => createSecureContext({ sigalgs: SHA2_SIGNATURE_ALGORITHMS })).not.toThrow();
    expect(() => createSecureContext({ sigalgs: 'RSA+SHA256:NOT_A_SCHEME' })).toThrow();
    expect(SHA2_SIGNATURE_ALGORITHMS.split(':').filter((s) => /sha1$|sha224$/i.test(s))).toEqual([]);
  });

  test('internet-nl: its OpenSSL file maps the default application name to system_default settings', () => {
    const file = opensslConfigFile('internet-nl');
    expect(file).toEqual({ containerPath: '/etc/postfix/tls/openssl-internet-nl.cnf', content: expect.any(String), secret: false });
    const lines = file!.content!.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines).toEqual([
      'openssl_conf = postfix_internet_nl',
      '[postfix_internet_nl]',
      'ssl_conf = postfix_internet_nl_ssl',
      '[postfix_internet_nl_ssl]',
      'system_default = postfix_internet_nl_defaults',
      '[postfix_internet_nl_defaults]',
      `SignatureAlgorithms = ${SHA2_SIGNATURE_ALGORITHMS}`,
    ]);
  });

  test('only internet-nl has OpenSSL settings or a certificate key floor', () => {
    const names = Object.keys(TLS_PROFILES) as TlsProfileName[];
    expect(names.filter((n) => opensslConfigFile(n) !== undefined)).toEqual(['internet-nl']);
    expect(names.filter((n) => TLS_PROFILES[n].certificateKeys)).toEqual(['internet-nl']);
    expect(TLS_PROFILES['internet-nl']).toMatchObject({ minimumProtocol: 'TLSv1.2', excludeCiphers: TLS_PROFILES.intermediate.excludeCiphers, usesDhe: false });
  });
});
