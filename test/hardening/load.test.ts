/**
 * Load: SESSIONS concurrent STARTTLS sessions on loopback (127.0.0.1:33025), each sending one message to
 * a local mailbox. All sessions first complete their TLS handshake and then wait for each other, so the
 * server really holds SESSIONS TLS sessions at once; then each sends its message. Bounded in count
 * (SESSIONS) and time (every step has a timeout, the whole test HARD_LIMIT_MS).
 *
 * Asserted: zero failed handshakes, zero refused or failed sessions, and zero lost messages (every
 * message is in /var/mail/root exactly once, Postfix logged exactly SESSIONS local deliveries with
 * status=sent, and the queue is empty), with PostfixServer limits that allow it: processLimit and
 * clientConnectionLimit above SESSIONS. A control server with Postfix's defaults shows why processLimit
 * matters: it serves 100 sessions at once and leaves the rest waiting for a banner. (The per-client limit
 * does not bite on loopback: Postfix exempts $mynetworks from it, and mynetworks_style = host puts the
 * host's addresses, 127.0.0.1 included, into mynetworks.)
 */
import { ClientCertPolicy, ServerCertificate, SessionCache, TlsServer } from '../../index';
import { SmtpSession, testMessage } from '../integration/clients';
import { describeWithDocker } from '../integration/docker-available';
import { LiveStack, TempDir, testContainer, TestPki, testServer } from '../integration/stacks';

const SERVER = { name: 'pfhard-load', smtp: 33025, host: 'load.hardening.test' };
/** The same server with Postfix's default limits (100 processes, 50 connections per client): the control. */
const CONTROL = { name: 'pfhard-load-defaults', smtp: 33125, host: 'defaults.load.hardening.test', sessions: 120, perClientDefault: 50 };
const SESSIONS = Number(process.env.HARDENING_LOAD_SESSIONS ?? 300);
const PROCESS_LIMIT = SESSIONS + 20;
const CLIENT_CONNECTION_LIMIT = SESSIONS + 10;
const STEP_TIMEOUT_MS = 30_000;
const HARD_LIMIT_MS = 75_000;

type Stage = 'connect' | 'ehlo' | 'starttls' | 'barrier' | 'mail' | 'done';

interface SessionOutcome {
  readonly index: number;
  readonly handshake: boolean;
  readonly delivered: boolean;
  readonly stage: Stage;
  readonly error?: string;
}


/**
 * `count` sessions at once: connect, EHLO, STARTTLS, EHLO; then every session waits until all have got
 * that far (or failed, or STEP_TIMEOUT_MS passed), so the server holds them all at the same time; then
 * each sends `message(index)` to root@localhost (or, without `message`, just quits).
 */
async function concurrentSessions(
  port: number,
  count: number,
  message?: (index: number) => string,
  barrierTimeoutMs = STEP_TIMEOUT_MS,
): Promise<{ outcomes: SessionOutcome[]; allAtBarrier: boolean; heldWhenReleased: number }> {
  let settled = 0;
  let handshakes = 0;
  let heldWhenReleased = -1;
  let resolveBarrier!: () => void;
  const barrier = new Promise<void>((resolve) => (resolveBarrier = resolve));
  const releaseBarrier = (): void => {
    if (heldWhenReleased < 0) heldWhenReleased = handshakes;
    resolveBarrier();
  };
  const barrierTimeout = setTimeout(releaseBarrier, barrierTimeoutMs);
  const arrive = (handshake: boolean): void => {
    if (handshake) handshakes++;
    if (++settled === count) releaseBarrier();
  };

  const one = async (index: number): Promise<SessionOutcome> => {
    let stage: Stage = 'connect';
    let handshake = false;
    let arrived = false;
    let session: SmtpSession | undefined;
    try {
      session = await SmtpSession.open(port, { timeoutMs: Math.max(STEP_TIMEOUT_MS, barrierTimeoutMs + 10_000) });
      if (session.banner.code !== 220) throw new Error(`banner ${session.banner.code} ${session.banner.text}`);
      stage = 'ehlo';
      await session.ehlo();
      stage = 'starttls';
      await session.startTls();
      await session.ehlo();
      handshake = true;
      arrived = true;
      arrive(true);
      stage = 'barrier';
      await barrier;
      if (!message) return { index, handshake, delivered: false, stage: 'done' };
      stage = 'mail';
      const replies = await session.sendMail('loader@client.test', ['root@localhost'], message(index));
      const codes = replies.map((r) => r.code);
      if (codes.join(',') !== '250,250,354,250') throw new Error(`replies ${codes.join(',')}: ${replies[replies.length - 1].text}`);
      stage = 'done';
      return { index, handshake, delivered: true, stage };
    } catch (e) {
      if (!arrived) arrive(false);
      return { index, handshake, delivered: false, stage, error: (e as Error).message.split('\n')[0] };
    } finally {
      await session?.quit();
    }
  };

  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  clearTimeout(barrierTimeout);
  // All held at once only if the barrier opened because every session had completed its handshake.
  return { outcomes, allAtBarrier: heldWhenReleased === count, heldWhenReleased };
}

describeWithDocker(`load: ${SESSIONS} concurrent STARTTLS sessions (live Postfix)`, () => {
  const tmp = new TempDir('load');
  const live = new LiveStack(tmp);

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('load-root');
    const cert = await pki.server('load-server', 'load-root', [SERVER.host, CONTROL.host], 'ecdsa');
    const clientCa = await pki.root('load-client-ca');
    await live.start('load', (stack, image) => {
      const server = testServer(stack, 'load', {
        hostname: SERVER.host,
        port: SERVER.smtp,
        processLimit: PROCESS_LIMIT,
        clientConnectionLimit: CLIENT_CONNECTION_LIMIT,
      });
      const control = testServer(stack, 'defaults', { hostname: CONTROL.host, port: CONTROL.smtp });
      for (const [s, name] of [[server, SERVER.name], [control, CONTROL.name]] as const) {
        new TlsServer(s, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath })] });
        // As in the example: the server asks every client for a certificate (these clients have none).
        new ClientCertPolicy(s, 'ClientCerts', { trustedCaFiles: [clientCa.certPath], permitAllClientCertificates: true });
        new SessionCache(s, 'Sessions');
        testContainer(stack, s, image, name);
      }
    });
  }, 150_000);


  test('the rendered limits allow the load', async () => {
    const values = await live.harness.execOk(SERVER.name, ['postconf', '-h', 'default_process_limit', 'smtpd_client_connection_count_limit']);
    expect(values.trim().split('\n').map(Number)).toEqual([PROCESS_LIMIT, CLIENT_CONNECTION_LIMIT]);
    expect(PROCESS_LIMIT).toBeGreaterThan(SESSIONS);
    expect(CLIENT_CONNECTION_LIMIT).toBeGreaterThan(SESSIONS);
  });

  test(`${SESSIONS} concurrent STARTTLS sessions each send one message: no failed handshake, no lost message`, async () => {
    const h = live.harness;
    const run = `load-${process.pid}-${Date.now()}`;
    const hardDeadline = Date.now() + HARD_LIMIT_MS;
    const started = Date.now();
    const { outcomes, allAtBarrier } = await concurrentSessions(SERVER.smtp, SESSIONS, (index) => testMessage(`${run}-${index}`));
    const sessionSeconds = (Date.now() - started) / 1000;

    const failedHandshakes = outcomes.filter((o) => !o.handshake);
    const failedSessions = outcomes.filter((o) => !o.delivered);
    const errors = [...new Set(failedSessions.map((o) => `${o.stage}: ${o.error}`))].slice(0, 5);

    // Delivery: every message exactly once in /var/mail/root, SESSIONS "status=sent" lines, empty queue.
    let mailbox = '';
    let sentLines = 0;
    let queue = '';
    const deliveryStarted = Date.now();
    for (;;) {
      mailbox = (await h.exec(SERVER.name, ['cat', '/var/mail/root'])).stdout;
      const logs = await h.logs(SERVER.name);
      sentLines = (logs.match(/to=<root@localhost>, relay=local, .*status=sent/g) ?? []).length;
      queue = (await h.execOk(SERVER.name, ['postqueue', '-j'])).trim();
      const subjects = mailbox.match(new RegExp(`^Subject: ${run}-\\d+$`, 'gm')) ?? [];
      if ((subjects.length >= SESSIONS && queue === '') || Date.now() > hardDeadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const deliverySeconds = (Date.now() - deliveryStarted) / 1000;
    const subjects = mailbox.match(new RegExp(`^Subject: ${run}-(\\d+)$`, 'gm')) ?? [];
    const indices = subjects.map((s) => Number(s.slice(s.lastIndexOf('-') + 1)));
    const unique = new Set(indices);
    const missing = Array.from({ length: SESSIONS }, (_, i) => i).filter((i) => !unique.has(i));
    // smtpd processes stay (idle, max_idle 100 s) after their session: how many the load made master start.
    const smtpdProcesses = Number(
      (await h.execOk(SERVER.name, ['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/comm 2>/dev/null; done | grep -c "^smtpd$" || true'])).trim(),
    );
    const logs = await h.logs(SERVER.name);
    const limitWarnings = logs.split('\n').filter((l) => /process limit|too many connections|stress|all server ports busy/i.test(l));

    console.log(
      `load: ${SESSIONS} sessions, ${outcomes.length - failedHandshakes.length} handshakes, ${outcomes.length - failedSessions.length} messages accepted in ${sessionSeconds.toFixed(1)} s; ` +
        `${allAtBarrier ? 'all' : 'NOT all'} held open at once, ${smtpdProcesses} smtpd processes; ${unique.size} distinct messages in /var/mail/root (${subjects.length} total), ${sentLines} status=sent lines, ` +
        `queue ${queue === '' ? 'empty' : 'NOT empty'} after ${deliverySeconds.toFixed(1)} s${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`,
    );
    expect(failedHandshakes).toHaveLength(0);
    expect(failedSessions).toHaveLength(0);
    expect(missing).toEqual([]);
    expect(subjects).toHaveLength(SESSIONS);
    expect(sentLines).toBe(SESSIONS);
    expect(queue).toBe('');
    expect(limitWarnings).toEqual([]);
    // The sessions really were concurrent: all held their TLS session open at the barrier, each with its own smtpd.
    expect(allAtBarrier).toBe(true);
    expect(smtpdProcesses).toBeGreaterThanOrEqual(SESSIONS);
  }, HARD_LIMIT_MS + 30_000);

  // Postfix exempts $mynetworks from smtpd_client_connection_count_limit, and with compatibility_level
  // 3.6 mynetworks is the host's own addresses (mynetworks_style = host), which with host networking
  // include 127.0.0.1. What stops this loopback load with the defaults is the process limit: beyond 100
  // sessions the connections wait in the listen queue without a banner.
  test(`control: with Postfix's default limits at most 100 of ${CONTROL.sessions} concurrent sessions are served at once`, async () => {
    const h = live.harness;
    expect((await h.execOk(CONTROL.name, ['postconf', '-h', 'default_process_limit', 'smtpd_client_connection_count_limit'])).trim().split('\n')).toEqual(['100', '50']);
    const exceptions = (await h.execOk(CONTROL.name, ['postconf', '-xh', 'smtpd_client_event_limit_exceptions'])).trim();
    const { outcomes, allAtBarrier, heldWhenReleased } = await concurrentSessions(CONTROL.smtp, CONTROL.sessions, undefined, 8_000);
    const failed = outcomes.filter((o) => !o.handshake);
    console.log(
      `load control (Postfix defaults): ${CONTROL.sessions} sessions, ${heldWhenReleased} held at once after 8 s, the rest waited for a free smtpd; ` +
        `${outcomes.length - failed.length} completed eventually, ${failed.length} failed (${[...new Set(failed.map((o) => o.error))].join(' | ')}); ` +
        `connection-count exceptions (mynetworks): ${exceptions}`,
    );
    expect(allAtBarrier).toBe(false);
    expect(heldWhenReleased).toBeLessThanOrEqual(100);
    expect(heldWhenReleased).toBeGreaterThanOrEqual(95);
    expect(exceptions).toContain('127.0.0.1');
  }, 90_000);
});
