/**
 * TLS-aware operations, live: the container's healthcheck completes a STARTTLS handshake, so a TLS outage
 * makes it fail although Postfix still answers 220; and the entrypoint refuses to start Postfix with a
 * private key that does not match its certificate, naming the files. Ports 29000-29999.
 */
import { readFileSync } from 'node:fs';
import { ServerCertificate, TlsServer } from '../../index';
import { eventually } from './clients';
import { describeWithDocker } from './docker-available';
import { run } from './harness';
import { LiveStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const MX = { name: 'pfit-health-mx', smtp: 29025, host: 'mx.health.test' };
const KEY = '/etc/postfix/tls/private/ecdsa.key.pem';
const CHAIN = '/etc/postfix/tls/ecdsa.chain.pem';

describeWithDocker('TLS-aware healthcheck and key checks (live Postfix)', () => {
  const tmp = new TempDir('health');
  const live = new LiveStack(tmp);
  let otherKey = '';
  let healthcheck: string[] = [];

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('health-root');
    const server = await pki.server('health-server', 'health-root', [MX.host], 'ecdsa');
    otherKey = readFileSync((await pki.server('health-other', 'health-root', [MX.host], 'ecdsa')).keyPath, 'utf8');
    await live.start('health', (stack, image) => {
      const mx = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, publicMx: false });
      new TlsServer(mx, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: server.chainPath, keyFile: server.keyPath })] });
      testContainer(stack, mx, image, MX.name);
    });
    const inspected = await run('docker', ['inspect', '-f', '{{json .Config.Healthcheck.Test}}', MX.name]);
    // The harness gives the engine the healthcheck as one shell command, as the docker provider does.
    const [form, command] = JSON.parse(inspected.stdout) as string[];
    healthcheck = form === 'CMD-SHELL' ? ['sh', '-c', command] : [command];
  }, 180_000);

  test('the healthcheck the container declares completes a STARTTLS handshake and passes', async () => {
    expect(healthcheck).toEqual(['sh', '-c', `/usr/local/bin/healthcheck.sh ${MX.smtp} starttls 127.0.0.1`]);
    const result = await live.harness.exec(MX.name, healthcheck);
    expect([result.code, result.stderr]).toEqual([0, '']);
  });

  test('a TLS outage (a key that does not match the certificate, loaded by reload) fails the healthcheck, where a banner check still passes', async () => {
    await live.harness.execOk(MX.name, ['sh', '-c', `cat > ${KEY} && postfix reload`], { input: otherKey });
    const failing = await eventually('the healthcheck fails', async () => {
      const result = await live.harness.exec(MX.name, healthcheck);
      return result.code !== 0 ? result : undefined;
    }, 30_000, 500);
    expect(failing.stderr).toContain(`no working STARTTLS on 127.0.0.1:${MX.smtp}`);
    // The banner alone would have called this server healthy.
    const banner = await live.harness.exec(MX.name, ['/usr/local/bin/healthcheck.sh', String(MX.smtp), 'plain', '127.0.0.1']);
    expect([banner.code, banner.stderr]).toEqual([0, '']);
  });

  test('after a restart with that key, the entrypoint refuses to start Postfix and names the files', async () => {
    await run('docker', ['restart', '-t', '5', MX.name], { timeoutMs: 60_000 });
    const log = await eventually('the entrypoint refuses the key', async () => {
      const text = await live.harness.logs(MX.name);
      return /FATAL: .*does not match/.test(text) ? text : undefined;
    }, 60_000, 1000);
    expect(log).toContain(`smtpd_tls_chain_files (main.cf): the private key in ${KEY} does not match the first certificate in ${CHAIN}`);
    expect(log).not.toContain('PRIVATE KEY');
  }, 90_000);
});
