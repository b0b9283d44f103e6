/**
 * SmtpClientTls, live: two senders route all mail to one receiving Postfix on loopback
 * (`static:smtp:[127.0.0.1]:PORT`, the only route the harness allows) with the same policy table entry
 * `[127.0.0.1]:PORT verify match=receiver.outpol.test`. The one that trusts the receiver's CA delivers over
 * a verified TLS session; the one that trusts an unrelated CA defers the message and never sends it in
 * plain text. The trusting one also presents its client certificate, which the receiver verifies.
 * Ports 35000-35999.
 */
import { ClientCertPolicy, ServerCertificate, SmtpClientSecurityLevel, SmtpClientTls, TlsProtocol, TlsServer } from '../../index';
import { eventually } from './clients';
import { describeWithDocker } from './docker-available';
import { LOOPBACK, LiveStack, postfixWarnings, TempDir, testContainer, TestPki, testServer } from './stacks';

const RECEIVER = { name: 'pfit-outpol-receiver', smtp: 35125, host: 'receiver.outpol.test', domain: 'remote.outpol.test' };
const TRUSTING = { name: 'pfit-outpol-trusting', smtp: 35025, host: 'trusting.outpol.test', from: 'alice@trusting.outpol.test' };
const DISTRUSTING = { name: 'pfit-outpol-distrusting', smtp: 35026, host: 'distrusting.outpol.test', from: 'bob@distrusting.outpol.test' };
const NEXT_HOP = `[${LOOPBACK}]:${RECEIVER.smtp}`;
const PEER = `${LOOPBACK}\\[${LOOPBACK}\\]:${RECEIVER.smtp}`.replace(/\./g, '\\.');

describeWithDocker('outbound TLS policy: verify against the trusted CA, or defer (live, three Postfix servers)', () => {
  const tmp = new TempDir('outpol');
  const live = new LiveStack(tmp);

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    const receiverCa = await pki.root('outpol-root');
    const otherCa = await pki.root('outpol-other-root');
    const receiver = await pki.server('outpol-receiver', 'outpol-root', [RECEIVER.host], 'ecdsa');
    const senders = [
      // Also its client certificate (smtp_tls_chain_files), so both purposes.
      { ...TRUSTING, ca: receiverCa, cert: await pki.pki.ensureServerCert('outpol-trusting', { issuer: 'outpol-root', hostnames: [TRUSTING.host], algorithm: 'ecdsa', extendedKeyUsage: ['serverAuth', 'clientAuth'] }), presentsCertificate: true },
      { ...DISTRUSTING, ca: otherCa, cert: await pki.server('outpol-distrusting', 'outpol-other-root', [DISTRUSTING.host], 'ecdsa'), presentsCertificate: false },
    ];
    await live.start('outpol', (stack, image) => {
      for (const { ca, cert, presentsCertificate, ...sender } of senders) {
        const certificate = ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath });
        const mx = testServer(stack, sender.name.replace('pfit-outpol-', ''), {
          hostname: sender.host,
          port: sender.smtp,
          additionalParameters: { transport_maps: `static:smtp:${NEXT_HOP}` },
        });
        new TlsServer(mx, 'Tls', { certificates: [certificate] });
        new SmtpClientTls(mx, 'Outbound', {
          trustedCaFiles: [ca.certPath],
          certificate: presentsCertificate ? certificate : undefined,
          policies: [{ destination: NEXT_HOP, securityLevel: SmtpClientSecurityLevel.VERIFY, match: [RECEIVER.host], minimumProtocol: TlsProtocol.TLS_1_2 }],
        });
        testContainer(stack, mx, image, sender.name);
      }
      const other = testServer(stack, 'receiver', { hostname: RECEIVER.host, port: RECEIVER.smtp, localDomains: [RECEIVER.domain] });
      new TlsServer(other, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: receiver.chainPath, keyFile: receiver.keyPath })] });
      // Asks for (and verifies) client certificates, to see the trusting sender's.
      new ClientCertPolicy(other, 'ClientCerts', { trustedCaFiles: [receiverCa.certPath], askForCertificates: true });
      testContainer(stack, other, image, RECEIVER.name);
    });
  }, 300_000);

  /** Queues a message with the container's sendmail (pickup), addressed to the receiver's domain. */
  async function send(container: string, from: string, subject: string): Promise<void> {
    await live.harness.execOk(container, ['sendmail', '-f', from, `root@${RECEIVER.domain}`], { input: `From: ${from}\nTo: root@${RECEIVER.domain}\nSubject: ${subject}\n\nbody\n` });
  }

  test('the policy table is the one rendered, built by postmap in the container', async () => {
    for (const name of [TRUSTING.name, DISTRUSTING.name]) {
      expect(await live.harness.execOk(name, ['postmap', '-q', NEXT_HOP, 'hash:/etc/postfix/tables/smtp_tls_policy'])).toBe(`verify match=${RECEIVER.host} protocols=>=TLSv1.2\n`);
      expect((await live.harness.execOk(name, ['postconf', '-h', 'smtp_tls_CAfile'])).trim()).toBe('/etc/postfix/tls/smtp-ca.pem');
    }
  });

  test('trusting the receiver\'s CA: delivered over a verified TLS session', async () => {
    const subject = `outpol-trusted-${Date.now()}`;
    await send(TRUSTING.name, TRUSTING.from, subject);
    const log = await eventually('the trusting sender logs the delivery', async () => {
      const text = await live.harness.logs(TRUSTING.name);
      return /to=<root@remote\.outpol\.test>.*status=sent/.test(text) ? text : undefined;
    }, 60_000);
    expect(log).toMatch(new RegExp(`Verified TLS connection established to ${PEER}: TLSv1\\.3`));
    expect(log).not.toMatch(/Untrusted TLS connection|status=deferred/);
    const mailbox = await eventually('the receiver delivers to the mailbox', async () => {
      const text = await live.harness.execOk(RECEIVER.name, ['cat', '/var/mail/root']).catch(() => '');
      return text.includes(`Subject: ${subject}`) ? text : undefined;
    }, 30_000);
    expect(mailbox).toContain(`Return-Path: <${TRUSTING.from}>`);
    // Its client certificate (smtp_tls_chain_files) was presented and verified by the receiver.
    expect(await live.harness.logs(RECEIVER.name)).toMatch(/Trusted TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.3/);
  }, 120_000);

  test('trusting another CA: deferred after a certificate verification failure, never sent in plain text', async () => {
    const subject = `outpol-distrusted-${Date.now()}`;
    const receiverSince = await live.harness.logCursor(RECEIVER.name);
    await send(DISTRUSTING.name, DISTRUSTING.from, subject);
    const log = await eventually('the distrusting sender defers the message', async () => {
      const text = await live.harness.logs(DISTRUSTING.name);
      return /to=<root@remote\.outpol\.test>.*status=deferred/.test(text) ? text : undefined;
    }, 60_000);
    expect(log).toMatch(new RegExp(`certificate verification failed for ${PEER}: untrusted issuer`));
    expect(log).toMatch(/status=deferred \(Server certificate not verified\)/);
    expect(log).not.toMatch(/status=sent|Verified TLS connection/);
    // Still queued, and no MAIL FROM reached the receiver meanwhile, in TLS or plain text (smtpd logs
    // `QUEUEID: client=` for each accepted MAIL and counts `mail=` at disconnect).
    expect(await live.harness.execOk(DISTRUSTING.name, ['postqueue', '-p'])).toContain(DISTRUSTING.from);
    const receiverLog = await receiverSince(/disconnect from/);
    expect(receiverLog).not.toMatch(/: client=|mail=\d/);
    expect(await live.harness.logs(RECEIVER.name)).not.toContain(DISTRUSTING.from);
    expect(await live.harness.execOk(RECEIVER.name, ['cat', '/var/mail/root']).catch(() => '')).not.toContain(subject);
  }, 120_000);

  test('Postfix logged no warning about the rendered configurations', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
