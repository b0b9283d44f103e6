/**
 * Issue 9, part 4: one file holding the key and its chain (`ServerCertificate.fromFiles` with chainFile =
 * keyFile, a layout Postfix documents for smtpd_tls_chain_files) works: the server the library renders, with
 * the files its container would get, presents the full chain to a real STARTTLS client. Port 28025 on
 * 127.0.0.1, host networking.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { PostfixServer, SecurityLevel, ServerCertificate, TlsServer } from '../../index';
import { containerLogs, describeWithImage, removeContainer, startWithFiles } from './checkout-container';
import { TempDir, TEST_POSTFIX_VERSION, TestPki } from './stacks';

const NAME = 'pfit-combined-chain';
const PORT = 28025;
const HOST = 'mx.combined.test';

describeWithImage('a combined key + chain file serves TLS (live, Postfix 3.7)', () => {
  const tmp = new TempDir('combined-chain');
  let chainPem: string;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('combined-root');
    const cert = await pki.server('combined-server', 'combined-root', [HOST], 'ecdsa');
    const combined = join(tmp.path, 'combined.pem');
    chainPem = readFileSync(cert.chainPath, 'utf8');
    writeFileSync(combined, readFileSync(cert.keyPath, 'utf8') + chainPem, { mode: 0o600 });
    const stack = new TerraformStack(new App({ outdir: join(tmp.path, 'out') }), 'stack');
    const server = new PostfixServer(stack, 'mx', { hostname: HOST, publicMx: false, listenAddress: '127.0.0.1', smtpPort: PORT, postfixVersion: TEST_POSTFIX_VERSION });
    new TlsServer(server, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: combined, keyFile: combined })], securityLevel: SecurityLevel.MAY });
    // What the container gets: content uploads as they are, secret files from their local path.
    const files = Object.fromEntries(server.files().map((f) => [f.containerPath, f.content ?? readFileSync(f.sourcePath!, 'utf8')]));
    expect(Object.keys(files)).toContain('/etc/postfix/tls/private/ecdsa.pem');
    startWithFiles(NAME, files, 'host');
  }, 120_000);

  afterAll(() => {
    removeContainer(NAME);
    tmp.cleanup();
  });

  test('openssl s_client -starttls smtp gets the leaf and the rest of the chain from the one file', async () => {
    let out = '';
    for (let i = 0; i < 90 && !/BEGIN CERTIFICATE/.test(out); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        out = execFileSync('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${PORT}`, '-servername', HOST, '-showcerts'], { input: 'QUIT\r\n', encoding: 'utf8', timeout: 15_000, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch {
        // not listening yet
      }
    }
    const served = out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const expected = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (served.length === 0) console.log(containerLogs(NAME));
    expect(expected.length).toBeGreaterThanOrEqual(1);
    expect(served).toEqual(expected);
    expect(containerLogs(NAME)).not.toMatch(/FATAL|fatal|cannot load/);
  }, 150_000);
});
