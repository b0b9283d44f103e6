/**
 * The queue volume outlives the replacement of the container (a change of its image or settings; a change of
 * the configuration alone is reloaded, see certificate-rotation.test.ts): mail queued by v1 (local delivery
 * deferred) is delivered by v2, which replaces the container but keeps the volume. Ports 24000-24999.
 */
import { readFileSync } from 'node:fs';
import { ServerCertificate, TlsServer } from '../../index';
import { eventually, SmtpSession, testMessage } from './clients';
import { describeWithDocker } from './docker-available';
import { DockerHarness, run } from './harness';
import { postfixWarnings, synthStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const SERVER = { name: 'pfit-queue-mx', smtp: 24025, host: 'mx.queue.test' };
/** Short retry times so the deferred message is retried seconds after v2 starts (defaults: 300s and more). */
const FAST_RETRY = { queue_run_delay: '2s', minimal_backoff_time: '2s', maximal_backoff_time: '4s' };

describeWithDocker('configuration change with queued mail (live Postfix)', () => {
  const tmp = new TempDir('queue');
  let harness: DockerHarness | undefined;
  let v2Json: string;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('queue-root');
    const cert = await pki.server('queue-server', 'queue-root', [SERVER.host], 'ecdsa');
    const build = (version: 'v1' | 'v2') => (stack: Parameters<Parameters<typeof synthStack>[2]>[0], image: Parameters<Parameters<typeof synthStack>[2]>[1]) => {
      const server = testServer(stack, 'mx', {
        hostname: SERVER.host,
        port: SERVER.smtp,
        additionalParameters: { ...FAST_RETRY, ...(version === 'v1' ? { defer_transports: 'local' } : {}) },
      });
      new TlsServer(server, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath })] });
      testContainer(stack, server, image, SERVER.name);
    };
    const v1 = synthStack(`${tmp.path}/v1`, 'queue', build('v1'));
    const v2 = synthStack(`${tmp.path}/v2`, 'queue', build('v2'));
    v2Json = readFileSync(v2.cdkTfJsonPath, 'utf8');
    harness = DockerHarness.fromFile(v1.cdkTfJsonPath);
    await harness.up();
  }, 150_000);

  afterAll(async () => {
    await harness?.destroy();
    tmp.cleanup();
  }, 60_000);

  test('mail queued before a change that replaces the container is delivered after it; the queue volume is kept', async () => {
    const h = harness!;
    const volume = h.plan.volumes.find((v) => v.startsWith('postfix-queue-'));
    const subject = `queued-across-replacement-${Date.now()}`;
    const session = await SmtpSession.open(SERVER.smtp);
    await session.ehlo();
    const replies = await session.sendMail('sender@client.test', ['root@localhost'], testMessage(subject));
    await session.quit();
    expect(replies[replies.length - 1].code).toBe(250);
    const queueId = /queued as ([0-9A-F]+)/.exec(replies[replies.length - 1].text)?.[1];
    expect(queueId).toBeDefined();

    // v1 defers local delivery: the message waits in the deferred queue, on the volume.
    const deferred = await eventually('the message in the deferred queue', async () => {
      const q = await h.exec(SERVER.name, ['postqueue', '-j']);
      const entry = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { queue_id: string; queue_name: string; recipients: { delay_reason?: string }[] })
        .find((m) => m.queue_id === queueId && m.queue_name === 'deferred');
      return entry;
    });
    expect(deferred.recipients[0].delay_reason).toMatch(/deferred transport/);
    expect((await h.exec(SERVER.name, ['test', '-e', '/var/mail/root'])).code).not.toBe(0);

    const oldId = await h.containerId(SERVER.name);
    const marker = `/var/spool/postfix/.volume-marker-${Date.now()}`;
    await h.execOk(SERVER.name, ['touch', marker]);
    await h.replace(v2Json);
    expect(await h.containerId(SERVER.name)).not.toBe(oldId);
    expect((await run('docker', ['inspect', '-f', '{{range .Mounts}}{{if eq .Destination "/var/spool/postfix"}}{{.Name}}{{end}}{{end}}', SERVER.name])).stdout.trim()).toBe(volume);
    expect((await h.exec(SERVER.name, ['test', '-e', marker])).code).toBe(0);
    expect(await h.execOk(SERVER.name, ['postconf', '-h', 'defer_transports'])).toBe('\n');

    const delivered = await eventually('delivery to /var/mail/root after the replacement', async () => {
      const mbox = await h.exec(SERVER.name, ['cat', '/var/mail/root']);
      return mbox.code === 0 && mbox.stdout.includes(`Subject: ${subject}`) ? mbox.stdout : undefined;
    }, 45_000, 500);
    expect(delivered).toContain(`Subject: ${subject}`);
    expect(await h.logs(SERVER.name)).toMatch(new RegExp(`${queueId}: to=<root@localhost>, relay=local, .*status=sent`));
  }, 120_000);
  test('Postfix and the entrypoint logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(harness!);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
