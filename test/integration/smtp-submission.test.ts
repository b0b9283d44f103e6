/**
 * Port 25 (opportunistic TLS), 587 (STARTTLS required, SASL), 465 (wrapper mode), the server chain, the
 * dual RSA + ECDSA setup, session resumption, the Received header and the TLS log level, against two
 * live servers built from the library's constructs. Ports 21000-21999.
 */
import { X509Certificate } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import {
  SaslBackend,
  ServerCertificate,
  SessionCache,
  SessionStore,
  SubmissionMode,
  SubmissionPort,
  TlsProfile,
  TlsServer,
} from '../../index';
import type { CertificateFiles } from '../../lib/pki/local-pki';
import { eventually, HOST, sClient, SmtpSession, swaks, testMessage } from './clients';
import { describeWithDocker } from './docker-available';
import { DockerHarness, run } from './harness';
import { LOOPBACK, postfixWarnings, LiveStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const MX = { name: 'pfit-basics-mx', smtp: 21025, submission: 21587, submissions: 21465, host: 'mx.basics.test' };
const QUIET = { name: 'pfit-basics-quiet', smtp: 21125, host: 'quiet.basics.test' };
const LOCAL_DOMAIN = 'mail.test';
const REMOTE = 'someone@relay.invalid';

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

async function mailbox(harness: DockerHarness, container: string, subject: string): Promise<string> {
  return eventually(`a message "${subject}" in /var/mail/root of ${container}`, async () => {
    const result = await harness.exec(container, ['cat', '/var/mail/root']);
    if (result.code !== 0) return undefined;
    const messages = result.stdout.split(/\n(?=From )/);
    return messages.find((m) => m.includes(`Subject: ${subject}`));
  });
}

describeWithDocker('SMTP, submission and wrapper-mode TLS (live Postfix)', () => {
  const tmp = new TempDir('basics');
  const live = new LiveStack(tmp);
  let root: CertificateFiles;
  let intermediate: CertificateFiles;
  let rsa: CertificateFiles;
  let ecdsa: CertificateFiles;
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const realmPassword = `pw2-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    root = await pki.root('basics-root');
    intermediate = await pki.intermediate('basics-intermediate', 'basics-root');
    const hostnames = [MX.host, QUIET.host];
    rsa = await pki.server('basics-rsa', 'basics-intermediate', hostnames, 'rsa');
    ecdsa = await pki.server('basics-ecdsa', 'basics-intermediate', hostnames, 'ecdsa');
    const credentials = tmp.file('credentials', `alice ${password}\nbob@${LOCAL_DOMAIN} ${realmPassword}\n`);
    const certificates = (): ServerCertificate[] => [
      ServerCertificate.fromFiles({ chainFile: ecdsa.chainPath, keyFile: ecdsa.keyPath }),
      ServerCertificate.fromFiles({ chainFile: rsa.chainPath, keyFile: rsa.keyPath }),
    ];
    await live.start('basics', (stack, image) => {
      const mx = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, localDomains: [LOCAL_DOMAIN], sasl: SaslBackend.cyrusSasldb(credentials) });
      new TlsServer(mx, 'Tls', {
        certificates: certificates(),
        profile: TlsProfile.INTERMEDIATE,
        logLevel: 1,
        receivedHeader: true,
        mandatoryExcludeCiphers: ['AES256'],
      });
      new SessionCache(mx, 'Sessions', { store: SessionStore.TICKETS });
      new SubmissionPort(mx, 'Submission', { mode: SubmissionMode.STARTTLS, port: MX.submission, listenAddress: LOOPBACK });
      new SubmissionPort(mx, 'Submissions', { mode: SubmissionMode.WRAPPER, port: MX.submissions, listenAddress: LOOPBACK });
      testContainer(stack, mx, image, MX.name);

      const quiet = testServer(stack, 'quiet', { hostname: QUIET.host, port: QUIET.smtp, localDomains: [LOCAL_DOMAIN] });
      new TlsServer(quiet, 'Tls', { certificates: certificates(), logLevel: 0, receivedHeader: false });
      new SessionCache(quiet, 'Sessions', { store: SessionStore.lmdb() });
      testContainer(stack, quiet, image, QUIET.name);
    });
  }, 150_000);


  const h = (): DockerHarness => live.harness;

  test('port 25 with may: STARTTLS is offered, and plaintext mail to a local domain is still accepted and delivered', async () => {
    const session = await SmtpSession.open(MX.smtp);
    try {
      expect(session.banner.code).toBe(220);
      const { extensions } = await session.ehlo();
      expect(extensions).toContain('STARTTLS');
      const subject = `plaintext-${Date.now()}`;
      const replies = await session.sendMail('sender@client.test', [`root@${LOCAL_DOMAIN}`], testMessage(subject));
      expect(replies.map((r) => r.code)).toEqual([250, 250, 354, 250]);
      expect(session.tls).toBeUndefined();
    } finally {
      await session.quit();
    }
  });

  test('the server chain is the leaf then the intermediate; it verifies with the root CA and fails without it', async () => {
    const withCa = await sClient(MX.smtp, { args: ['-CAfile', root.certPath, '-verify_return_error', '-verify_hostname', MX.host] });
    expect(withCa.handshake).toBe(true);
    expect(withCa.output).toContain('Verify return code: 0 (ok)');
    expect(withCa.chain).toHaveLength(2);
    const leaves = [fingerprint(rsa.certPem), fingerprint(ecdsa.certPem)];
    expect(leaves).toContain(withCa.chain[0].fingerprint256);
    expect(withCa.chain[1].fingerprint256).toBe(fingerprint(intermediate.certPem));
    expect(withCa.chain[0].checkIssued(withCa.chain[1])).toBe(true);
    expect(withCa.chain.map((c) => c.fingerprint256)).not.toContain(fingerprint(root.certPem));

    const withoutCa = await sClient(MX.smtp, { args: ['-no-CAfile', '-no-CApath', '-no-CAstore', '-verify_return_error'] });
    expect(withoutCa.handshake).toBe(false);
    expect(withoutCa.output).toMatch(/unable to get local issuer certificate/);
  });

  test('dual RSA + ECDSA: an RSA-only TLS 1.2 client gets the RSA certificate, an ECDSA-capable client the ECDSA one', async () => {
    const rsaOnly = await sClient(MX.smtp, {
      args: ['-tls1_2', '-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384'],
    });
    expect(rsaOnly.handshake).toBe(true);
    expect(rsaOnly.chain[0].fingerprint256).toBe(fingerprint(rsa.certPem));
    expect(rsaOnly.chain[0].publicKey.asymmetricKeyType).toBe('rsa');

    const ecdsaCapable = await sClient(MX.smtp, { args: ['-sigalgs', 'ECDSA+SHA256:RSA-PSS+SHA256'] });
    expect(ecdsaCapable.handshake).toBe(true);
    expect(ecdsaCapable.chain[0].fingerprint256).toBe(fingerprint(ecdsa.certPem));
    expect(ecdsaCapable.chain[0].publicKey.asymmetricKeyType).toBe('ec');
  });

  test('587 with encrypt: plaintext MAIL gets 530; AUTH is offered only after STARTTLS', async () => {
    const session = await SmtpSession.open(MX.submission);
    try {
      const before = await session.ehlo();
      expect(before.extensions).toContain('STARTTLS');
      expect(SmtpSession.authMechanisms(before.reply)).toBeUndefined();
      const mail = await session.command('MAIL FROM:<sender@client.test>');
      expect(mail.code).toBe(530);
      expect(mail.text).toContain('Must issue a STARTTLS command first');
      await session.startTls();
      const after = await session.ehlo();
      expect(after.extensions).not.toContain('STARTTLS');
      expect(SmtpSession.authMechanisms(after.reply)).toEqual(expect.arrayContaining(['PLAIN', 'LOGIN']));
    } finally {
      await session.quit();
    }
  });

  test('SASL over TLS on 587 (swaks): "user" and "user@realm" authenticate and may relay, a wrong password may not', async () => {
    const tls = ['--tls', '--tls-verify', '--tls-ca-path', root.certPath];
    const alice = await swaks(MX.submission, [...tls, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', password, '--from', 'alice@client.test', '--to', REMOTE, '--quit-after', 'RCPT']);
    expect(alice.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^235 /), expect.stringMatching(/^250 2\.1\.5 /)]));

    const bob = await swaks(MX.submission, [...tls, '--auth', 'LOGIN', '--auth-user', `bob@${LOCAL_DOMAIN}`, '--auth-password', realmPassword, '--to', `root@${LOCAL_DOMAIN}`, '--h-Subject', `sasl-bob-${Date.now()}`]);
    expect(bob.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^235 /), expect.stringMatching(/^250 2\.0\.0 Ok: queued/)]));

    const qualified = await swaks(MX.submission, [...tls, '--auth', 'PLAIN', '--auth-user', `alice@${MX.host}`, '--auth-password', password, '--to', REMOTE, '--quit-after', 'AUTH']);
    expect(qualified.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^235 /)]));

    const wrong = await swaks(MX.submission, [...tls, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', `${password}-wrong`, '--to', REMOTE, '--quit-after', 'AUTH']);
    expect(wrong.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^535 /)]));
    expect(wrong.replies.some((r) => r.startsWith('235 '))).toBe(false);

    const anonymous = await swaks(MX.submission, [...tls, '--to', REMOTE, '--quit-after', 'RCPT']);
    expect(anonymous.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^554 5\.7\.1 /)]));

    const logs = await h().logs(MX.name);
    expect(logs).toMatch(/postfix-entrypoint: loaded 2 SASL user\(s\)/);
    expect(logs).toMatch(/sasl_method=PLAIN, sasl_username=alice/);
    expect(logs).not.toContain(password);
    expect(logs).not.toContain(realmPassword);
  });

  test('465 wrapper mode: the 220 banner arrives inside TLS, with no STARTTLS', async () => {
    const session = await SmtpSession.open(MX.submissions, { implicitTls: { rejectUnauthorized: false } });
    try {
      expect(session.banner.code).toBe(220);
      expect(session.tls?.getProtocol()).toMatch(/^TLSv1\.[23]$/);
      expect(session.tls?.getPeerCertificate().fingerprint256).toBeDefined();
      const { extensions, reply } = await session.ehlo();
      expect(extensions).not.toContain('STARTTLS');
      expect(SmtpSession.authMechanisms(reply)).toEqual(expect.arrayContaining(['PLAIN']));
    } finally {
      await session.quit();
    }
    // A plaintext client gets no banner: the server waits for a TLS ClientHello.
    const received = await new Promise<string>((resolve, reject) => {
      let data = '';
      const socket = netConnect({ host: HOST, port: MX.submissions });
      socket.on('data', (d) => (data += d.toString('latin1')));
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        resolve(data);
      }, 1500);
    });
    expect(received).toBe('');
  });

  test('session resumption with RFC 5077 tickets: a second connection resumes (TLS 1.3 and 1.2)', async () => {
    for (const version of ['-tls1_3', '-tls1_2']) {
      const sessionFile = `${tmp.path}/ticket${version}.pem`;
      const first = await sClient(MX.smtp, { args: [version, '-sess_out', sessionFile] });
      expect(first.handshake).toBe(true);
      expect(first.reused).toBe(false);
      const second = await sClient(MX.smtp, { args: [version, '-sess_in', sessionFile] });
      expect(second.handshake).toBe(true);
      expect(second.reused).toBe(true);
    }
    // Control: without tickets and without a cache database there is nothing to resume from.
    const sessionFile = `${tmp.path}/no-ticket.pem`;
    await sClient(MX.smtp, { args: ['-tls1_2', '-no_ticket', '-sess_out', sessionFile] });
    const again = await sClient(MX.smtp, { args: ['-tls1_2', '-no_ticket', '-sess_in', sessionFile] });
    expect(again.handshake).toBe(true);
    expect(again.reused).toBe(false);
  });

  test('session resumption with an lmdb cache database: a ticket-less TLS 1.2 client resumes by session id, and the database file exists', async () => {
    const sessionFile = `${tmp.path}/session-id.pem`;
    const first = await sClient(QUIET.smtp, { args: ['-tls1_2', '-no_ticket', '-sess_out', sessionFile] });
    expect(first.handshake).toBe(true);
    expect(first.reused).toBe(false);
    const second = await sClient(QUIET.smtp, { args: ['-tls1_2', '-no_ticket', '-sess_in', sessionFile] });
    expect(second.reused).toBe(true);
    const stat = await h().execOk(QUIET.name, ['stat', '-c', '%U %s', '/var/lib/postfix/smtpd_scache.lmdb']);
    const [owner, size] = stat.trim().split(' ');
    expect(owner).toBe('postfix');
    expect(Number(size)).toBeGreaterThan(0);
  });

  test('the Received header carries the TLS details when receivedHeader is on, and not when it is off', async () => {
    const subjects: Record<string, string> = {};
    for (const server of [MX, QUIET]) {
      const subject = `received-${server.name}-${Date.now()}`;
      subjects[server.name] = subject;
      const session = await SmtpSession.open(server.smtp);
      try {
        await session.ehlo();
        await session.startTls();
        await session.ehlo();
        const replies = await session.sendMail('sender@client.test', [`root@${LOCAL_DOMAIN}`], testMessage(subject));
        expect(replies[replies.length - 1].code).toBe(250);
      } finally {
        await session.quit();
      }
    }
    const withDetails = await mailbox(h(), MX.name, subjects[MX.name]);
    const received = /^Received: [\s\S]*?(?=\n\S)/m.exec(withDetails)?.[0] ?? '';
    expect(received).toMatch(/\(using TLSv1\.[23] with cipher \S+ \(\d+\/\d+ bits\)/);
    expect(received).toContain(`by ${MX.host}`);

    const without = await mailbox(h(), QUIET.name, subjects[QUIET.name]);
    const plainReceived = /^Received: [\s\S]*?(?=\n\S)/m.exec(without)?.[0] ?? '';
    expect(plainReceived).toContain(`by ${QUIET.host}`);
    expect(plainReceived).toContain('with ESMTPS');
    expect(plainReceived).not.toMatch(/using TLS/);
  });

  test('TLS log level 1 logs the "TLS connection established" summary, level 0 does not', async () => {
    const mxSince = await h().logCursor(MX.name);
    const quietSince = await h().logCursor(QUIET.name);
    for (const port of [MX.smtp, QUIET.smtp]) {
      const session = await SmtpSession.open(port);
      await session.ehlo();
      await session.startTls();
      await session.ehlo();
      await session.quit();
    }
    const mxLog = await mxSince(/disconnect from unknown\[127\.0\.0\.1\] ehlo=2 starttls=1/);
    expect(mxLog).toMatch(/Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.3 with cipher/);
    const quietLog = await quietSince(/disconnect from unknown\[127\.0\.0\.1\] ehlo=2 starttls=1/);
    expect(quietLog).toMatch(/disconnect from unknown\[127\.0\.0\.1\] ehlo=2 starttls=1/);
    expect(quietLog).toMatch(/connect from unknown\[127\.0\.0\.1\]/);
    expect(quietLog).not.toMatch(/TLS connection established/);
  });

  test('mandatory-TLS ports (587, 465) enforce the TLS 1.2 floor and the excluded ciphers; port 25 is not subject to the mandatory exclusion', async () => {
    for (const [port, implicitTls] of [[MX.submission, false], [MX.submissions, true]] as const) {
      const tls11 = await sClient(port, { implicitTls, args: ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'] });
      expect(tls11.handshake).toBe(false);
      const excluded = await sClient(port, { implicitTls, args: ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384'] });
      expect(excluded.handshake).toBe(false);
      const allowed = await sClient(port, { implicitTls, args: ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'] });
      expect(allowed.cipher).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    }
    const opportunistic = await sClient(MX.smtp, { args: ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384'] });
    expect(opportunistic.cipher).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
  });

  test('the private keys are in the container only as 0600 root files, and no log line carries key material', async () => {
    const listing = await h().execOk(MX.name, ['stat', '-c', '%n %U %a', '/etc/postfix/tls/private/ecdsa.key.pem', '/etc/postfix/tls/private/rsa.key.pem', '/etc/postfix/sasl/private/credentials', '/etc/postfix/sasl/sasldb2']);
    expect(listing.trim().split('\n')).toEqual([
      '/etc/postfix/tls/private/ecdsa.key.pem root 600',
      '/etc/postfix/tls/private/rsa.key.pem root 600',
      '/etc/postfix/sasl/private/credentials root 600',
      '/etc/postfix/sasl/sasldb2 root 640',
    ]);
    const keyBody = readFileSync(ecdsa.keyPath, 'utf8').split('\n')[1];
    const raw = await run('docker', ['logs', MX.name]);
    expect(raw.stdout + raw.stderr).not.toContain('PRIVATE KEY');
    expect(raw.stdout + raw.stderr).not.toContain(keyBody);
  });
  test('Postfix and the entrypoint logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
