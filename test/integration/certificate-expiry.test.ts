/**
 * Issue 12, part 6: certificate expiry is visible. The expiry date is a Terraform output, and the
 * container's healthcheck warns within `certificateExpiryWarningDays` and turns unhealthy once the server
 * certificate has expired. A certificate valid for under a minute shows both on one running container.
 * Port 38025 on 127.0.0.1, host networking.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { PostfixContainer, ServerCertificate, TlsServer } from '../../index';
import { run } from './harness';
import { describeWithDocker } from './docker-available';
import { LiveStack, TempDir, TestPki, testServer } from './stacks';

const NAME = 'pfit-cert-expiry';
const PORT = 38025;
const HOST = 'mx.expiry.test';
/** Long enough for the container to start and report healthy before it, short enough to wait for. */
const VALID_SECONDS = 50;

interface HealthState {
  readonly status: string;
  readonly outputs: string[];
}

async function health(): Promise<HealthState> {
  const result = await run('docker', ['inspect', '-f', '{{json .State.Health}}', NAME]);
  const parsed = JSON.parse(result.stdout) as { Status: string; Log: { Output: string }[] };
  return { status: parsed.Status, outputs: parsed.Log.map((l) => l.Output.trim()) };
}

describeWithDocker('certificate expiry: output and healthcheck (live)', () => {
  const tmp = new TempDir('cert-expiry');
  const live = new LiveStack(tmp);
  let notAfter: Date;
  let cdkTfJson: { output?: Record<string, { value: string }> };

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('expiry-root');
    const cert = await pki.pki.ensureServerCert('expiry-server', { issuer: 'expiry-root', hostnames: [HOST], notAfter: new Date(Date.now() + VALID_SECONDS * 1000) });
    notAfter = new Date(new X509Certificate(readFileSync(cert.certPath)).validTo);
    const harness = await live.start('cert-expiry', (stack, image) => {
      const server = testServer(stack, 'mx', { hostname: HOST, port: PORT, publicMx: false });
      new TlsServer(server, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath })] });
      new PostfixContainer(stack, 'Container', { server, image, containerName: NAME, hostNetwork: true, certificateExpiryWarningDays: 7 });
    });
    expect(harness.containerNames.sort()).toEqual([NAME, `${NAME}-loader`]);
    cdkTfJson = JSON.parse(readFileSync(`${tmp.path}/out/stacks/cert-expiry/cdk.tf.json`, 'utf8'));
  }, 120_000);

  test('the expiry date is an output of the stack', () => {
    expect(Object.values(cdkTfJson.output ?? {}).map((o) => o.value)).toEqual([notAfter.toISOString()]);
  });

  test('before expiry: healthy, with a warning in the health log; after it: unhealthy, naming the file', async () => {
    const before = await health();
    expect(Date.now()).toBeLessThan(notAfter.getTime());
    expect(before.status).toBe('healthy');
    expect(before.outputs.join('\n')).toMatch(/healthcheck: warning: certificate \/etc\/postfix\/tls\/ecdsa\.chain\.pem expires within 7 days/);
    // Docker marks it unhealthy after 3 failed checks 10 s apart.
    let after = before;
    const deadline = notAfter.getTime() + 60_000;
    while (after.status !== 'unhealthy' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      after = await health();
    }
    expect(after.status).toBe('unhealthy');
    expect(after.outputs.at(-1)).toMatch(/healthcheck: certificate \/etc\/postfix\/tls\/ecdsa\.chain\.pem expired \(.+ GMT\)/);
  }, VALID_SECONDS * 1000 + 90_000);
});
