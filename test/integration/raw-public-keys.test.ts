/**
 * Issue 11, part 5: RFC 7250 raw public keys on Postfix 3.10 with OpenSSL 3.5 (the trixie image's openssl as
 * the client, host network). With acceptRawPublicKeys a client that sends a raw public key relays when its
 * public-key fingerprint is listed (the library's default kind) and is refused otherwise; the server sends
 * its own raw key to a client that asks, and the TLSA record MailDnsRecords publishes verifies it.
 * Port 48225 on 127.0.0.1.
 */
import { ClientCertPolicy, ClientIdentity, MailDnsRecords, PostfixVersion, ServerCertificate, TlsServer } from '../../index';
import { describeWithDocker, TRIXIE_TEST_IMAGE } from './docker-available';
import { imageSClient } from './clients';
import { LiveStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const MX = { name: 'pfit-rpk', smtp: 48225, host: 'rpk.trixie.test' };

/** OpenSSL 3.5's s_client (trixie image) against the server, the PKI directory at /pki. */
const sClient35 = (pkiDir: string, args: readonly string[], lines: readonly string[] = []): Promise<string> =>
  imageSClient(TRIXIE_TEST_IMAGE.name, MX.smtp, args, { lines, mount: pkiDir });

describeWithDocker('raw public keys on Postfix 3.10 with OpenSSL 3.5 (live)', () => {
  const tmp = new TempDir('raw-public-keys');
  const live = new LiveStack(tmp);
  const pkiDir = `${tmp.path}/pki`;
  let tlsa: string[] = [];
  const relayLines = ['EHLO client.rpk.test', 'MAIL FROM:<sender@client.rpk.test>', 'RCPT TO:<victim@outside.rpk.test>'];

  beforeAll(async () => {
    const pki = new TestPki(pkiDir);
    await pki.root('rpk-root');
    const cert = await pki.server('rpk-server', 'rpk-root', [MX.host], 'ecdsa');
    const listed = await pki.client('rpk-listed', 'rpk-root');
    await pki.client('rpk-stranger', 'rpk-root');
    await live.start('raw-public-keys', (stack, image) => {
      const mx = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, postfixVersion: PostfixVersion.V3_10, publicMx: false });
      new TlsServer(mx, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath })] });
      new ClientCertPolicy(mx, 'ClientCerts', { relayClients: [ClientIdentity.fromCertificateFile(listed.certPath, 'listed.rpk.test')], acceptRawPublicKeys: true });
      testContainer(stack, mx, image, MX.name);
      tlsa = new MailDnsRecords(stack, 'Dns', { domain: 'rpk.trixie.test', servers: [mx] }).records.map((r) => r.value);
    }, { postfixVersion: PostfixVersion.V3_10 });
  }, 180_000);

  const clientKey = (name: string) => ['-enable_client_rpk', '-cert', `/pki/${name}.crt.pem`, '-key', `/pki/${name}.key.pem`];

  test('a client sending the raw public key of a listed client relays (RCPT to an outside domain: 250)', async () => {
    const out = await sClient35(pkiDir, clientKey('rpk-listed'), relayLines);
    expect(out).toMatch(/^Client-to-server raw public key negotiated$/m);
    expect(out).toMatch(/^250 2\.1\.5 Ok/m);
  });

  test('the raw public key of an unlisted client is refused (554 Relay access denied)', async () => {
    const out = await sClient35(pkiDir, clientKey('rpk-stranger'), relayLines);
    expect(out).toMatch(/^Client-to-server raw public key negotiated$/m);
    expect(out).toMatch(/^554 5\.7\.1 .*Relay access denied/m);
  });

  test("the server sends its raw public key when asked, and the published TLSA record verifies it", async () => {
    expect(tlsa).toHaveLength(1);
    const out = await sClient35(pkiDir, ['-enable_server_rpk', '-dane_tlsa_domain', MX.host, '-dane_tlsa_rrdata', tlsa[0], '-verify_return_error']);
    expect(out).toMatch(/^Server raw public key/m);
    expect(out).toMatch(/Verification: OK/);
  });
}, TRIXIE_TEST_IMAGE);
