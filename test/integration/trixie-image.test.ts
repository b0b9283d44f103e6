/**
 * Issue 11, first slice: the trixie image (Debian 13, Postfix 3.10, OpenSSL 3.5) runs what the library renders.
 * One server built from the constructs, deployed with PostfixImage({ postfixVersion: PostfixVersion.V3_10 }) (the shipped Dockerfile on Debian 13, postfix-tls-cdktf:trixie)
 * through the harness (host network, 127.0.0.1): the entrypoint accepts the files, the container's STARTTLS
 * healthcheck passes, STARTTLS on 25, STARTTLS + SASL on 587 and wrapper mode on 465 work with the host's clients.
 * Ports 48000-48999.
 */
import { PostfixVersion, SaslBackend, ServerCertificate, SessionCache, SubmissionMode, SubmissionPort, TlsProfile, TlsServer } from '../../index';
import type { CertificateFiles } from '../../lib/pki/local-pki';
import { readFileSync } from 'node:fs';
import { sClient, SmtpSession, swaks } from './clients';
import { describeWithDocker, TRIXIE_TEST_IMAGE } from './docker-available';
import { run } from './harness';
import { LiveStack, LOOPBACK, postfixWarnings, TempDir, testContainer, TestPki, testServer } from './stacks';

const MX = { name: 'pfit-trixie-mx', smtp: 48025, submission: 48587, submissions: 48465, host: 'mx.trixie.test' };
const LOCAL_DOMAIN = 'mail.test';

describeWithDocker('the trixie image (Postfix 3.10, OpenSSL 3.5) runs a rendered server (live Postfix)', () => {
  const tmp = new TempDir('trixie');
  const live = new LiveStack(tmp);
  let root: CertificateFiles;
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    root = await pki.root('trixie-root');
    await pki.intermediate('trixie-intermediate', 'trixie-root');
    const ecdsa = await pki.server('trixie-ecdsa', 'trixie-intermediate', [MX.host], 'ecdsa');
    const rsa = await pki.server('trixie-rsa', 'trixie-intermediate', [MX.host], 'rsa');
    const credentials = tmp.file('credentials', `alice ${password}\n`);
    await live.start('trixie', (stack, image) => {
      const mx = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, postfixVersion: PostfixVersion.V3_10, localDomains: [LOCAL_DOMAIN], sasl: SaslBackend.cyrusSasldb(credentials) });
      new TlsServer(mx, 'Tls', {
        certificates: [ServerCertificate.fromFiles({ chainFile: ecdsa.chainPath, keyFile: ecdsa.keyPath }), ServerCertificate.fromFiles({ chainFile: rsa.chainPath, keyFile: rsa.keyPath })],
        profile: TlsProfile.INTERMEDIATE,
      });
      new SessionCache(mx, 'Sessions', {});
      new SubmissionPort(mx, 'Submission', { mode: SubmissionMode.STARTTLS, port: MX.submission, listenAddress: LOOPBACK });
      new SubmissionPort(mx, 'Submissions', { mode: SubmissionMode.WRAPPER, port: MX.submissions, listenAddress: LOOPBACK });
      testContainer(stack, mx, image, MX.name);
    }, { postfixVersion: PostfixVersion.V3_10 });
  }, 180_000);

  test('the container runs the trixie image, Postfix 3.10 with OpenSSL 3.5, and its healthcheck (STARTTLS) passes', async () => {
    const inspected = await run('docker', ['inspect', '-f', '{{.Config.Image}} {{.State.Health.Status}}', MX.name]);
    expect(inspected.stdout.trim()).toBe(`${TRIXIE_TEST_IMAGE.name} healthy`);
    expect((await live.harness.execOk(MX.name, ['postconf', '-h', 'mail_version'])).trim()).toMatch(/^3\.10\.\d+$/);
    expect(await live.harness.execOk(MX.name, ['openssl', 'version'])).toMatch(/^OpenSSL 3\.5\./);
    const health = await live.harness.exec(MX.name, ['/usr/local/bin/healthcheck.sh', String(MX.smtp), 'starttls', '127.0.0.1']);
    expect([health.code, health.stderr]).toEqual([0, '']);
  });

  test('openssl s_client -starttls smtp on 25: TLS 1.3, the chain verifies for the host name, QUIT is answered inside TLS', async () => {
    const result = await sClient(MX.smtp, { args: ['-CAfile', root.certPath, '-verify_return_error', '-verify_hostname', MX.host] });
    expect(result.handshake).toBe(true);
    expect(result.protocol).toBe('TLSv1.3');
    expect(result.output).toContain('Verify return code: 0 (ok)');
    expect(result.smtpLines).toEqual([expect.stringMatching(/^221 /)]);
    // EHLO inside TLS, one command at a time.
    const session = await SmtpSession.open(MX.smtp);
    try {
      await session.ehlo();
      await session.startTls({ ca: readFileSync(root.certPath), servername: MX.host, rejectUnauthorized: true });
      const { reply } = await session.ehlo();
      expect(reply.code).toBe(250);
    } finally {
      await session.quit();
    }
    // Both certificates are loaded: a TLS 1.2 client asking for RSA gets the RSA one.
    const rsa = await sClient(MX.smtp, { args: ['-tls1_2', '-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256', '-CAfile', root.certPath, '-verify_return_error'] });
    expect([rsa.handshake, rsa.protocol, rsa.chain[0]?.publicKey.asymmetricKeyType]).toEqual([true, 'TLSv1.2', 'rsa']);
  });

  test('3.10 differs from 3.7: EHLO pipelined with QUIT after STARTTLS is refused (smtpd_forbid_unauth_pipelining = yes by default since 3.9)', async () => {
    expect((await live.harness.execOk(MX.name, ['postconf', '-h', 'smtpd_forbid_unauth_pipelining'])).trim()).toBe('yes');
    const pipelined = await sClient(MX.smtp, { args: ['-CAfile', root.certPath], send: ['EHLO client.test'] });
    expect(pipelined.handshake).toBe(true);
    expect(pipelined.smtpLines).toEqual([expect.stringMatching(/^554 5\.5\.0 Error: SMTP protocol synchronization/)]);
  });

  test('465: wrapper-mode TLS verifies and answers 220 inside TLS', async () => {
    const wrapper = await sClient(MX.submissions, { implicitTls: true, args: ['-CAfile', root.certPath, '-verify_return_error', '-verify_hostname', MX.host] });
    expect(wrapper.handshake).toBe(true);
    expect(wrapper.smtpLines).toEqual([expect.stringMatching(/^220 /), expect.stringMatching(/^221 /)]);
  });

  // Fails on Debian 13 today: its Postfix 3.10 no longer reads /etc/postfix/sasl/smtpd.conf unless main.cf sets
  // cyrus_sasl_config_path (Debian 12's Postfix 3.7 does without), so smtpd offers every installed Cyrus mechanism
  // and looks for users in /etc/sasldb2. Measured: with cyrus_sasl_config_path = /etc/postfix/sasl added (postconf -e,
  // postfix reload) the same client is offered AUTH PLAIN LOGIN and authenticates.
  test('587: STARTTLS, then the uploaded smtpd.conf decides: AUTH PLAIN LOGIN only, and the sasldb user authenticates', async () => {
    const session = await SmtpSession.open(MX.submission);
    try {
      await session.ehlo();
      await session.startTls({ ca: readFileSync(root.certPath), servername: MX.host, rejectUnauthorized: true });
      expect(SmtpSession.authMechanisms((await session.ehlo()).reply)).toEqual(['PLAIN', 'LOGIN']);
    } finally {
      await session.quit();
    }
    const tls = ['--tls', '--tls-verify', '--tls-ca-path', root.certPath];
    const alice = await swaks(MX.submission, [...tls, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', password, '--quit-after', 'AUTH']);
    expect(alice.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^235 /)]));
    const wrong = await swaks(MX.submission, [...tls, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', `${password}-wrong`, '--quit-after', 'AUTH']);
    expect(wrong.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^535 /)]));
  });

  test('Postfix 3.10 and the entrypoint logged no warning about the configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
}, TRIXIE_TEST_IMAGE);
