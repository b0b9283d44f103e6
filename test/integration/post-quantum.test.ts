/**
 * Issue 11, part 4: post-quantum hybrid key exchange on Postfix 3.10 with OpenSSL 3.5. A server rendered for
 * PostfixVersion.V3_10 offers X25519MLKEM768 first: an OpenSSL 3.5 client (the trixie image's openssl, host
 * network) negotiates it, with its default groups too; the host's OpenSSL 3.0 client, which has no ML-KEM,
 * negotiates X25519. postQuantumKeyExchange: false keeps the classic groups. Ports 48100-48199 on 127.0.0.1.
 */
import { PostfixVersion, ServerCertificate, TlsServer } from '../../index';
import { imageSClient, sClient } from './clients';
import { describeWithDocker, TRIXIE_TEST_IMAGE } from './docker-available';
import { run } from './harness';
import { LiveStack, postfixWarnings, TempDir, testContainer, TestPki, testServer } from './stacks';

const PQ = { name: 'pfit-pq-default', smtp: 48125, host: 'pq.trixie.test' };
const CLASSIC = { name: 'pfit-pq-classic', smtp: 48126, host: 'classic.trixie.test' };

/** OpenSSL 3.5's s_client (trixie image) and the key exchange group it negotiated. */
async function sClient35(port: number, args: readonly string[] = []): Promise<{ group?: string; output: string }> {
  const output = await imageSClient(TRIXIE_TEST_IMAGE.name, port, args);
  // OpenSSL 3.5 names a KEM group on its own line ("<NULL>" when the handshake failed), a classic one as the peer's temporary key.
  const kem = /^Negotiated TLS1\.3 group: (\S+)/m.exec(output)?.[1];
  const group = (kem === '<NULL>' ? undefined : kem) ?? /^(?:Server|Peer) Temp Key: ([^,\s]+)/m.exec(output)?.[1];
  return { group, output };
}

describeWithDocker('post-quantum key exchange on Postfix 3.10 with OpenSSL 3.5 (live)', () => {
  const tmp = new TempDir('post-quantum');
  const live = new LiveStack(tmp);

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('pq-root');
    const cert = await pki.server('pq-server', 'pq-root', [PQ.host, CLASSIC.host], 'ecdsa');
    const certificate = () => ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath });
    await live.start('post-quantum', (stack, image) => {
      const pq = testServer(stack, 'pq', { hostname: PQ.host, port: PQ.smtp, postfixVersion: PostfixVersion.V3_10, publicMx: false });
      new TlsServer(pq, 'Tls', { certificates: [certificate()] });
      testContainer(stack, pq, image, PQ.name);
      const classic = testServer(stack, 'classic', { hostname: CLASSIC.host, port: CLASSIC.smtp, postfixVersion: PostfixVersion.V3_10, publicMx: false });
      new TlsServer(classic, 'Tls', { certificates: [certificate()], postQuantumKeyExchange: false });
      testContainer(stack, classic, image, CLASSIC.name);
    }, { postfixVersion: PostfixVersion.V3_10 });
  }, 180_000);

  test('the client runs OpenSSL 3.5, the server Postfix 3.10', async () => {
    const version = await run('docker', ['run', '--rm', '--network', 'host', '--entrypoint', 'openssl', TRIXIE_TEST_IMAGE.name, 'version']);
    expect(version.stdout).toMatch(/^OpenSSL 3\.5\./);
    expect((await live.harness.execOk(PQ.name, ['postconf', '-h', 'mail_version'])).trim()).toMatch(/^3\.10\./);
  });

  test('OpenSSL 3.5 negotiates X25519MLKEM768, asked for it alone or with its default groups', async () => {
    expect((await sClient35(PQ.smtp, ['-groups', 'X25519MLKEM768'])).group).toBe('X25519MLKEM768');
    expect((await sClient35(PQ.smtp)).group).toBe('X25519MLKEM768');
  });

  test("OpenSSL 3.0 (the host's client, no ML-KEM) negotiates X25519", async () => {
    const result = await sClient(PQ.smtp, { args: ['-tls1_3'] });
    expect(result.handshake).toBe(true);
    expect(result.output).toMatch(/^Server Temp Key: X25519, 253 bits$/m);
  });

  test('postQuantumKeyExchange: false offers classic groups only: X25519 by default, no handshake for ML-KEM alone', async () => {
    expect((await sClient35(CLASSIC.smtp)).group).toBe('X25519');
    const mlkemOnly = await sClient35(CLASSIC.smtp, ['-groups', 'X25519MLKEM768']);
    expect(mlkemOnly.group).toBeUndefined();
    expect(mlkemOnly.output).toMatch(/Cipher is \(NONE\)/);
  });

  test('Postfix logged no warning about the configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
}, TRIXIE_TEST_IMAGE);
