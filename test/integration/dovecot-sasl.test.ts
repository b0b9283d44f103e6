/**
 * What the relay oracle found about configurations that did not run, live: a `SaslBackend.dovecot(...)` server
 * authenticates against a Dovecot auth service reached over TCP (the oracle's stand-in, proven here to be one:
 * a right password gets 235, a wrong one 535, and AUTH is offered only inside TLS), and a maillogFile in a
 * directory the image does not have works (the container creates it). Ports 37000-37099 on 127.0.0.1;
 * the auth stand-in listens on 127.0.0.1:37099.
 */
import { SaslBackend, ServerCertificate, SubmissionPort, TlsServer } from '../../index';
import { SmtpSession } from './clients';
import { describeWithDocker } from './docker-available';
import { DovecotAuthStub } from './dovecot-auth-stub';
import { LiveStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const MX = { name: 'pfit-dovecot-mx', smtp: 37025, submission: 37587, host: 'mx.dovecot.test' };
const AUTH_PORT = 37099;
const USER = 'alice@dovecot.test';
const MAILLOG = '/var/log/postfix/mail.log';

describeWithDocker('Dovecot SASL over TCP, and a log file in a directory of its own (live Postfix)', () => {
  const tmp = new TempDir('dovecot');
  const live = new LiveStack(tmp);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  let auth: DovecotAuthStub;

  beforeAll(async () => {
    auth = await DovecotAuthStub.start(AUTH_PORT, { [USER]: password });
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('dovecot-root');
    const cert = await pki.server('dovecot-server', 'dovecot-root', [MX.host], 'ecdsa');
    await live.start('dovecot', (stack, image) => {
      const server = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, sasl: SaslBackend.dovecot(auth.saslPath), maillogFile: MAILLOG });
      new TlsServer(server, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath })] });
      new SubmissionPort(server, 'Submission', { listenAddress: '127.0.0.1', port: MX.submission });
      testContainer(stack, server, image, MX.name);
    });
  }, 240_000);

  afterAll(async () => {
    await auth?.close();
  });

  async function authenticate(user: string, secret: string): Promise<{ offeredBeforeTls: boolean; code: number }> {
    const session = await SmtpSession.open(MX.submission);
    try {
      const before = await session.ehlo();
      await session.startTls({ rejectUnauthorized: false });
      const after = await session.ehlo();
      // The mechanisms Postfix offers are the ones the auth service announced (PLAIN and LOGIN).
      expect(SmtpSession.authMechanisms(after.reply)).toEqual(['PLAIN', 'LOGIN']);
      const reply = await session.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${secret}`).toString('base64')}`);
      return { offeredBeforeTls: SmtpSession.authMechanisms(before.reply) !== undefined, code: reply.code };
    } finally {
      await session.quit();
    }
  }

  test('the right password authenticates through the Dovecot auth service, a wrong one is refused, AUTH only inside TLS', async () => {
    const good = await authenticate(USER, password);
    expect(good).toEqual({ offeredBeforeTls: false, code: 235 });
    expect((await authenticate(USER, 'wrong')).code).toBe(535);
    expect(auth.attempts).toEqual([
      { mechanism: 'PLAIN', user: USER, granted: true },
      { mechanism: 'PLAIN', user: USER, granted: false },
    ]);
  });

  test(`Postfix logs to ${MAILLOG}, a directory the image does not have`, async () => {
    const log = await live.harness.execOk(MX.name, ['cat', MAILLOG]);
    expect(log).toMatch(/postfix\/master\[\d+\]: daemon started/);
    // The wrong password of the test above (a successful AUTH is logged only with the mail that follows it).
    expect(log).toMatch(/postfix\/submission\/smtpd\[\d+\]: warning: .*SASL PLAIN authentication failed: .*sasl_username=alice@dovecot\.test/);
  });
});
