/**
 * Outbound TLS, live: mail a SASL user submits for another domain leaves the library's server over TLS
 * (`smtp_tls_security_level = may` by default) and reaches a second Postfix on loopback, which logs the
 * TLS session it accepted. The only outbound route is a static transport table to 127.0.0.1 (the harness
 * refuses any other). Ports 28000-28999.
 */
import { SaslBackend, ServerCertificate, SubmissionPort, TlsServer } from '../../index';
import { eventually, swaks } from './clients';
import { describeWithDocker } from './docker-available';
import { LOOPBACK, LiveStack, postfixWarnings, TempDir, testContainer, TestPki, testServer } from './stacks';

const SENDER = { name: 'pfit-outbound-sender', smtp: 28025, submission: 28587, host: 'sender.outbound.test' };
const RECEIVER = { name: 'pfit-outbound-receiver', smtp: 28125, host: 'receiver.outbound.test', domain: 'remote.outbound.test' };

describeWithDocker('outbound TLS: a message a SASL user relays leaves over TLS (live, two Postfix servers)', () => {
  const tmp = new TempDir('outbound');
  const live = new LiveStack(tmp);
  const password = `pw-${Date.now()}`;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('outbound-root');
    const sender = await pki.server('outbound-sender', 'outbound-root', [SENDER.host], 'ecdsa');
    const receiver = await pki.server('outbound-receiver', 'outbound-root', [RECEIVER.host], 'ecdsa');
    const credentials = tmp.file('credentials', `alice ${password}\n`);
    await live.start('outbound', (stack, image) => {
      const mx = testServer(stack, 'sender', {
        hostname: SENDER.host,
        port: SENDER.smtp,
        sasl: SaslBackend.cyrusSasldb(credentials),
        additionalParameters: { transport_maps: `static:smtp:[${LOOPBACK}]:${RECEIVER.smtp}` },
      });
      new TlsServer(mx, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: sender.chainPath, keyFile: sender.keyPath })] });
      new SubmissionPort(mx, 'Submission', { port: SENDER.submission, listenAddress: LOOPBACK });
      testContainer(stack, mx, image, SENDER.name);

      const other = testServer(stack, 'receiver', { hostname: RECEIVER.host, port: RECEIVER.smtp, localDomains: [RECEIVER.domain] });
      new TlsServer(other, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: receiver.chainPath, keyFile: receiver.keyPath })] });
      testContainer(stack, other, image, RECEIVER.name);
    });
  }, 240_000);

  test('the relayed message is sent over TLS and delivered by the receiving Postfix', async () => {
    const subject = `outbound-${Date.now()}`;
    const sent = await swaks(SENDER.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', password, '--from', 'alice@client.test', '--to', `root@${RECEIVER.domain}`, '--h-Subject', subject]);
    expect(sent.code).toBe(0);
    const senderLog = await eventually('the sender logs the delivery', async () => {
      const log = await live.harness.logs(SENDER.name);
      return /to=<root@remote\.outbound\.test>.*status=sent/.test(log) ? log : undefined;
    }, 60_000);
    expect(senderLog).toMatch(new RegExp(`TLS connection established to ${LOOPBACK.replace(/\./g, '\\.')}\\[${LOOPBACK.replace(/\./g, '\\.')}\\]:${RECEIVER.smtp}: TLSv1\\.3`));
    const receiverLog = await live.harness.logs(RECEIVER.name);
    expect(receiverLog).toMatch(/TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.3/);
    expect(receiverLog).toMatch(/to=<root@remote\.outbound\.test>.*status=sent \(delivered to mailbox\)/);
    const mailbox = await live.harness.execOk(RECEIVER.name, ['cat', '/var/mail/root']);
    expect(mailbox).toContain(`Subject: ${subject}`);
  }, 90_000);

  test('Postfix logged no warning about either rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
