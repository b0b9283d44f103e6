/**
 * Sender binding (SubmissionPort senderLogins), the AUTH rate limit (authRateLimit) and the postmaster
 * forwarding (PostfixServer postmasterAddress), against a live server built from the library's constructs.
 * Ports 36000-36999, 127.0.0.1 only; outbound delivery is discarded (NO_OUTBOUND_DELIVERY).
 */
import { SaslBackend, ServerCertificate, SubmissionPort, TlsServer } from '../../index';
import type { CertificateFiles } from '../../lib/pki/local-pki';
import { SmtpReply, SmtpSession, swaks, testMessage } from './clients';
import { describeWithDocker } from './docker-available';
import { DockerHarness } from './harness';
import { LiveStack, LOOPBACK, postfixWarnings, TempDir, testContainer, TestPki, testServer } from './stacks';

const MX = { name: 'pfit-subsnd-mx', smtp: 36025, bound: 36587, limited: 36588, host: 'mx.subsnd.test' };
const POSTMASTER = 'ops@ops.subsnd.invalid';
const REMOTE = 'someone@relay.invalid';
const AUTH_LIMIT = 3;

describeWithDocker('sender binding, AUTH rate limit and postmaster forwarding (live Postfix)', () => {
  const tmp = new TempDir('subsnd');
  const live = new LiveStack(tmp);
  let root: CertificateFiles;
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    root = await pki.root('subsnd-root');
    const ecdsa = await pki.server('subsnd-ecdsa', 'subsnd-root', [MX.host], 'ecdsa');
    const credentials = tmp.file('credentials', `alice ${password}\ncarol ${password}\n`);
    await live.start('subsnd', (stack, image) => {
      const mx = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, postmasterAddress: POSTMASTER, sasl: SaslBackend.cyrusSasldb(credentials) });
      new TlsServer(mx, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: ecdsa.chainPath, keyFile: ecdsa.keyPath })] });
      new SubmissionPort(mx, 'Bound', {
        port: MX.bound,
        listenAddress: LOOPBACK,
        senderLogins: { alice: ['alice@example.test'], carol: ['@team.example.test'] },
      });
      new SubmissionPort(mx, 'Limited', { port: MX.limited, listenAddress: LOOPBACK, authRateLimit: AUTH_LIMIT });
      testContainer(stack, mx, image, MX.name);
    });
  }, 150_000);

  const h = (): DockerHarness => live.harness;
  const tls = (): string[] => ['--tls', '--tls-verify', '--tls-ca-path', root.certPath];
  const sendAs = (user: string, from: string): Promise<{ replies: string[] }> =>
    swaks(MX.bound, [...tls(), '--auth', 'PLAIN', '--auth-user', user, '--auth-password', password, '--from', from, '--to', REMOTE, '--quit-after', 'RCPT']);

  test('alice may send as her bound address, not as bob@example.test (553 at RCPT, smtpd_delay_reject)', async () => {
    const own = await sendAs('alice', 'alice@example.test');
    expect(own.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^235 /), expect.stringMatching(/^250 2\.1\.0 /), expect.stringMatching(/^250 2\.1\.5 /)]));

    const other = await sendAs('alice', 'bob@example.test');
    expect(other.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^235 /), expect.stringMatching(/^250 2\.1\.0 /)]));
    expect(other.replies).toContain('553 5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice');
    expect(other.replies.some((r) => r.startsWith('250 2.1.5'))).toBe(false);
  });

  test('a @domain entry: carol may send as any address of team.example.test, and as nothing else', async () => {
    const own = await sendAs('carol', 'anyone@team.example.test');
    expect(own.replies).toEqual(expect.arrayContaining([expect.stringMatching(/^250 2\.1\.5 /)]));
    const other = await sendAs('carol', 'alice@example.test');
    expect(other.replies).toContain('553 5.7.1 <alice@example.test>: Sender address rejected: not owned by user carol');
  });

  test(`authRateLimit ${AUTH_LIMIT}: AUTH number ${AUTH_LIMIT + 1} from 127.0.0.1 within the minute is refused, the other port still authenticates`, async () => {
    const token = (user: string): string => Buffer.from(`\0${user}\0${password}`).toString('base64');
    const auth = async (port: number): Promise<SmtpReply> => {
      const session = await SmtpSession.open(port);
      try {
        await session.ehlo();
        await session.startTls();
        await session.ehlo();
        return await session.command(`AUTH PLAIN ${token('alice')}`);
      } finally {
        await session.quit();
      }
    };
    const since = await h().logCursor(MX.name);
    const replies: SmtpReply[] = [];
    for (let i = 0; i <= AUTH_LIMIT; i++) replies.push(await auth(MX.limited));
    expect(replies.slice(0, AUTH_LIMIT).map((r) => r.code)).toEqual(Array(AUTH_LIMIT).fill(235));
    expect(`${replies[AUTH_LIMIT].code} ${replies[AUTH_LIMIT].text}`).toBe('450 4.7.1 Error: too many AUTH commands from 127.0.0.1');
    expect((await auth(MX.bound)).code).toBe(235);
    const log = await since(/AUTH command rate limit exceeded/);
    expect(log).toMatch(new RegExp(`warning: AUTH command rate limit exceeded: ${AUTH_LIMIT + 1} from unknown\\[127\\.0\\.0\\.1\\] for service 127\\.0\\.0\\.1:${MX.limited}`));
  });

  test('mail to abuse@ and postmaster@ is forwarded to postmasterAddress (discarded by the test transport), and /var/mail/root is never created', async () => {
    const since = await h().logCursor(MX.name);
    const session = await SmtpSession.open(MX.smtp);
    let replies: SmtpReply[];
    try {
      await session.ehlo();
      replies = await session.sendMail('sender@client.test', [`abuse@${MX.host}`, `postmaster@${MX.host}`], testMessage(`abuse-${Date.now()}`));
    } finally {
      await session.quit();
    }
    expect(replies.map((r) => r.code)).toEqual([250, 250, 250, 354, 250]);
    const log = await since(new RegExp(`orig_to=<postmaster@${MX.host}>.*status=sent[\\s\\S]*orig_to=<abuse@${MX.host}>.*status=sent|orig_to=<abuse@${MX.host}>.*status=sent[\\s\\S]*orig_to=<postmaster@${MX.host}>.*status=sent`), 20_000);
    for (const role of ['abuse', 'postmaster']) {
      expect(log).toMatch(new RegExp(`to=<${POSTMASTER}>, orig_to=<${role}@${MX.host}>, relay=none, .*status=sent \\(outbound delivery disabled in tests\\)`));
    }
    expect(log).not.toMatch(/relay=local, .*status=sent \(delivered to mailbox\)/);
    const mailbox = await h().exec(MX.name, ['test', '-e', '/var/mail/root']);
    expect(mailbox.code).toBe(1);
  });

  test('Postfix and the entrypoint logged no warning but the expected AUTH rate one', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) {
      expect([container, lines.filter((l) => !/warning: AUTH command rate limit exceeded/.test(l))]).toEqual([container, []]);
    }
  });
});
