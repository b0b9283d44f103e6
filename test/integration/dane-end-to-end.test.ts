/**
 * DANE end to end, live on loopback (issue 12 part 5). Everything runs with host networking on loopback
 * addresses only:
 *
 * - Knot DNS (127.0.0.52:37052) serves `dane-e2e.test.`, signed by Knot itself (automatic DNSSEC signing,
 *   ECDSA P-256): SOA, NS, MX, A records written here, plus the records `MailDnsRecords` generated for our
 *   server (its `zoneFile` output, TLSA 3 1 1), never computed by the test.
 * - Unbound (127.0.0.51:53) validates: the zone's DS (from Knot's `keymgr ... ds`) is its only trust anchor,
 *   a stub zone points at Knot, and every other name is refused (`local-zone: "." refuse`); it sends only from
 *   127.0.0.51 (`outgoing-interface`), so nothing can leave the host.
 * - Our server: the library's PostfixServer + TlsServer (LocalPki certificate), synthesized and started from
 *   its cdk.tf.json by the harness, on 127.0.0.55:25 (DANE for SMTP looks up `_25._tcp.MX`).
 * - A second Postfix (the postfix-tls-cdktf image, its own main.cf/master.cf) sends with
 *   `smtp_tls_security_level = dane` and `smtp_dns_support_level = dnssec`, from 127.0.0.56, with
 *   /etc/resolv.conf pointing at Unbound; no smtpd, no chroot, and only `dane-e2e.test` routed to smtp(8).
 *
 * Proven: the right TLSA gives "Verified TLS connection established" and delivery; a TLSA for another key
 * defers the message and nothing reaches our server; a LocalPki key rollover (stage, publish, switch, retire),
 * each step deployed in the README's order, delivers every message, none deferred; and a switch deployed
 * before its TLSA record is live (publishedTlsa declared too early) defers mail, which is why the order matters.
 * Addresses 127.0.0.51-56 (not .53/.54, which systemd-resolved may hold), ports 37000-37999.
 */
import { TerraformStack } from 'cdktf';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CertificateFiles, KeyRollover, LocalPki, MailDnsRecords, PostfixImage, PostfixServer, ServerCertificate, TlsServer } from '../../index';
import { CONFIG_VOLUME_PATH } from '../../constructs/docker/postfix-container';
import { eventually, sClient } from './clients';
import { checkTestToolsImage, DEFAULT_TEST_IMAGE, describeWithDocker, TEST_TOOLS_IMAGE } from './docker-available';
import { HARNESS_LABEL, redact, run } from './harness';
import { LiveStack, NO_OUTBOUND_DELIVERY, postfixWarnings, synthStack, TempDir, TEST_POSTFIX_VERSION, testContainer } from './stacks';

const ZONE = 'dane-e2e.test';
const MX = `mx.${ZONE}`;
const RECIPIENT = `root@${ZONE}`;
const SENDER_HOST = 'sender.dane-e2e-sender.test';
const FROM = `alice@${SENDER_HOST}`;
const ADDRESS = { resolver: '127.0.0.51', authoritative: '127.0.0.52', mx: '127.0.0.55', sender: '127.0.0.56' } as const;
const AUTHORITATIVE_PORT = 37052;
/** TTL of every record (and the negative TTL): short, so "wait for the TTL" takes seconds. */
const TTL = 5;
const NAMES = { server: 'pfit-dane-mx', knot: 'pfit-dane-knot', unbound: 'pfit-dane-unbound', sender: 'pfit-dane-sender' } as const;
/** The sending Postfix: the image of the release the live tests target. */
const POSTFIX_IMAGE = DEFAULT_TEST_IMAGE.name;
const TLSA_OWNER = `_25._tcp.${MX}.`;
const PEER = `${MX}[${ADDRESS.mx}]:25`;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The records of the zone that are not MailDnsRecords': SOA, NS and the MX host with its address. */
const ZONE_HEAD = [
  `${ZONE}. ${TTL} IN SOA ns.${ZONE}. hostmaster.${ZONE}. 1 60 60 600 ${TTL}`,
  `${ZONE}. ${TTL} IN NS ns.${ZONE}.`,
  `ns.${ZONE}. ${TTL} IN A ${ADDRESS.authoritative}`,
  `${ZONE}. ${TTL} IN MX 10 ${MX}.`,
  `${MX}. ${TTL} IN A ${ADDRESS.mx}`,
].join('\n');

const KNOT_CONF = `server:
    listen: ${ADDRESS.authoritative}@${AUTHORITATIVE_PORT}
    rundir: /dns/run
database:
    storage: /dns/db
log:
  - target: stdout
    any: info
policy:
  - id: e2e
    algorithm: ecdsap256sha256
zone:
  - domain: ${ZONE}.
    file: /dns/${ZONE}.zone
    dnssec-signing: on
    dnssec-policy: e2e
    # Never write the signed zone back: the test owns the file; a reload re-signs what changed.
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
`;

function unboundConf(trustAnchor: string): string {
  return `server:
    interface: ${ADDRESS.resolver}
    port: 53
    outgoing-interface: ${ADDRESS.resolver}
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    chroot: ""
    username: ""
    directory: "/dns"
    pidfile: ""
    do-daemonize: no
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    log-servfail: yes
    module-config: "validator iterator"
    trust-anchor: "${trustAnchor}"
    local-zone: "." refuse
    local-zone: "${ZONE}." transparent
stub-zone:
    name: "${ZONE}."
    stub-addr: ${ADDRESS.authoritative}@${AUTHORITATIVE_PORT}
`;
}

/** The sending MTA: DANE for everything, only the test zone reachable, no smtpd, no chroot. */
const SENDER_MAIN_CF = `compatibility_level = 3.6
myhostname = ${SENDER_HOST}
myorigin = $myhostname
mydestination =
alias_maps =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_bind_address = ${ADDRESS.sender}
maillog_file = /dev/stdout
smtp_tls_security_level = dane
smtp_dns_support_level = dnssec
smtp_tls_loglevel = 1
smtp_connection_cache_on_demand = no
dnssec_probe = ns:${ZONE}
transport_maps = inline:{ ${ZONE}=smtp: }
default_transport = error:only ${ZONE} is reachable from this test sender
relay_transport = error:only ${ZONE} is reachable from this test sender
local_transport = error:no local delivery on this test sender
`;

const SENDER_MASTER_CF = [
  'pickup    unix  n       -       n       60      1       pickup',
  'cleanup   unix  n       -       n       -       0       cleanup',
  'qmgr      unix  n       -       n       300     1       qmgr',
  'tlsmgr    unix  -       -       n       1000?   1       tlsmgr',
  'rewrite   unix  -       -       n       -       -       trivial-rewrite',
  'bounce    unix  -       -       n       -       0       bounce',
  'defer     unix  -       -       n       -       0       bounce',
  'trace     unix  -       -       n       -       0       bounce',
  'verify    unix  -       -       n       -       1       verify',
  'flush     unix  n       -       n       1000?   0       flush',
  'proxymap  unix  -       -       n       -       -       proxymap',
  'smtp      unix  -       -       n       -       -       smtp',
  'relay     unix  -       -       n       -       -       smtp',
  'showq     unix  n       -       n       -       -       showq',
  'error     unix  -       -       n       -       -       error',
  'retry     unix  -       -       n       -       -       error',
  'discard   unix  -       -       n       -       -       discard',
  'anvil     unix  -       -       n       -       1       anvil',
  'scache    unix  -       -       n       -       1       scache',
  'postlog   unix-dgram n  -       n       -       1       postlogd',
  '',
].join('\n');

/** `docker ARGS`, throwing with stderr on failure. */
async function docker(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const result = await run('docker', args, { timeoutMs });
  if (result.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} failed: ${redact(result.stderr.trim() || result.stdout.trim())}`);
  return result.stdout;
}

async function containerLogs(name: string): Promise<string> {
  const result = await run('docker', ['logs', name], { timeoutMs: 30_000 });
  return redact(result.stdout + result.stderr);
}

/** Waits until a container logs `pattern`; fails early (with its log) when it stopped. */
async function waitForLog(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return eventually(`${name} to log ${pattern}`, async () => {
    const logs = await containerLogs(name);
    if (pattern.test(logs)) return logs;
    const state = (await docker(['inspect', '-f', '{{.State.Status}}', name])).trim();
    if (state !== 'running') throw new Error(`${name} is ${state} before logging ${pattern}:\n${logs.split('\n').slice(-30).join('\n')}`);
    return undefined;
  }, timeoutMs, 300);
}

/** Whether something accepts TCP connections on address:port. */
function listening(address: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: address, port, timeout: 2_000 });
    socket.once('connect', () => { socket.destroy(); resolvePromise(true); });
    socket.once('timeout', () => { socket.destroy(); resolvePromise(false); });
    socket.once('error', () => resolvePromise(false));
  });
}

/** One answer of `kdig`: the response code, the header flags and the RDATA of the answer records of `type`. */
interface DigAnswer {
  readonly status: string;
  readonly flags: string[];
  readonly records: string[];
}

async function dig(server: string, port: number, type: string, name: string): Promise<DigAnswer> {
  const out = await docker(['exec', NAMES.unbound, 'kdig', `@${server}`, '-p', String(port), '+dnssec', '+retry=0', '+timeout=2', type, name]);
  const status = /status: (\w+)/.exec(out)?.[1] ?? 'none';
  const flags = (/;; Flags: ([^;]*);/.exec(out)?.[1] ?? '').trim().split(/\s+/);
  const records = out
    .split('\n')
    .map((l) => new RegExp(`^${esc(name)}\\s+\\d+\\s+IN\\s+${type}\\s+(.+)$`).exec(l.trim())?.[1])
    .filter((r): r is string => r !== undefined)
    .map((r) => r.trim().toLowerCase().replace(/\s+/g, ' '));
  return { status, flags, records: records.sort() };
}

/** What the sender logged about one message. */
interface Delivery {
  readonly queueId: string;
  readonly status: string;
  readonly reason: string;
  /** The sender's log since the message was queued. */
  readonly log: string;
  /** From sendmail to the delivery line. */
  readonly ms: number;
}

describeWithDocker('DANE end to end: signed zone, validating resolver, a DANE sender and our server (live)', () => {
  const tmp = new TempDir('dane-e2e');
  const own: string[] = [];
  afterAll(async () => {
    await Promise.all(own.map((name) => run('docker', ['rm', '-f', '-v', name])));
  }, 60_000);
  const live = new LiveStack(tmp);
  const pki = new LocalPki({ directory: join(tmp.path, 'pki') });
  const knotDir = join(tmp.path, 'knot');
  const unboundDir = join(tmp.path, 'unbound');
  const senderDir = join(tmp.path, 'sender');
  /** The TLSA values of the zone variant in force at the start (the first key). */
  let initialTlsa: string[] = [];
  let initialZone = '';
  let otherZone = '';
  let step = 0;
  const timings: string[] = [];

  const serverCertificate = (name: string, keyRollover?: KeyRollover): Promise<CertificateFiles> =>
    pki.ensureServerCert(name, { issuer: 'dane-e2e-root', hostnames: [MX], keyRollover });

  /** A stack builder: our server for `files` and MailDnsRecords over it; `result` gets the records when it runs (at synth). */
  function stackFor(files: CertificateFiles, publishedTlsa?: string[]) {
    const result = { zoneFile: '', tlsa: [] as string[] };
    const build = (stack: TerraformStack, image: PostfixImage): void => {
      // smtpd_peername_lookup = no: the sender's address has no PTR on this host, and the lookup would leave it
      // (the container's resolver is the host's).
      const mx = new PostfixServer(stack, 'mx', {
        hostname: MX,
        postfixVersion: TEST_POSTFIX_VERSION,
        listenAddress: ADDRESS.mx,
        smtpPort: 25,
        localDomains: [ZONE],
        additionalParameters: { ...NO_OUTBOUND_DELIVERY, smtpd_peername_lookup: 'no' },
      });
      new TlsServer(mx, 'Tls', {
        certificates: [ServerCertificate.fromFiles({ chainFile: files.chainPath, keyFile: files.keyPath, nextPublicKeyFile: files.nextPublicKeyPath, previousPublicKeyFile: files.previousPublicKeyPath })],
      });
      testContainer(stack, mx, image, NAMES.server);
      const dns = new MailDnsRecords(stack, 'Dns', { domain: ZONE, servers: [mx], ttlSeconds: TTL, publishedTlsa });
      result.zoneFile = dns.zoneFile;
      result.tlsa = dns.records.filter((r) => r.recordType === 'TLSA').map((r) => r.value).sort();
    };
    return { build, result };
  }

  /** Synthesizes the next step and applies it to the running stack (the container is replaced). */
  async function deployServer(files: CertificateFiles, publishedTlsa?: string[]): Promise<{ zoneFile: string; tlsa: string[] }> {
    const { build, result } = stackFor(files, publishedTlsa);
    const started = Date.now();
    const { cdkTfJsonPath } = synthStack(join(tmp.path, `out-${++step}`), 'dane', build);
    await live.harness.replace(readFileSync(cdkTfJsonPath, 'utf8'));
    timings.push(`server replaced (step ${step}): ${Date.now() - started} ms`);
    return result;
  }

  /** Writes the zone (head + MailDnsRecords' zone file), reloads Knot, and waits until the resolver validates the new TLSA set. */
  async function publish(zoneFile: string, tlsa: readonly string[]): Promise<void> {
    const started = Date.now();
    tmp.file(`knot/${ZONE}.zone`, `${ZONE_HEAD}\n${zoneFile}`, 0o644);
    await docker(['exec', NAMES.knot, 'knotc', '-c', '/dns/knot.conf', '-b', 'zone-reload', `${ZONE}.`]);
    const expected = [...tlsa].sort();
    await eventually('the authoritative server to serve the new TLSA set', async () => {
      const answer = await dig(ADDRESS.authoritative, AUTHORITATIVE_PORT, 'TLSA', TLSA_OWNER);
      return JSON.stringify(answer.records) === JSON.stringify(expected) ? answer : undefined;
    }, 20_000, 200);
    // README step 2: wait until DNS (here: the senders' resolver, whose cache holds the old set for its TTL) has it.
    await eventually('the validating resolver to answer the new TLSA set', async () => {
      const answer = await dig(ADDRESS.resolver, 53, 'TLSA', TLSA_OWNER);
      return answer.status === 'NOERROR' && answer.flags.includes('ad') && JSON.stringify(answer.records) === JSON.stringify(expected) ? answer : undefined;
    }, (TTL + 10) * 1000, 250);
    // Senders cache too: Postfix's smtp(8) keeps a TLSA set until TTL + 1 s after it fetched it from the resolver
    // (whose copy may have been fresh), so a sender may hold the old set for up to TTL more: wait that long.
    await new Promise((r) => setTimeout(r, (TTL + 1) * 1000));
    timings.push(`zone published and validated by the resolver: ${Date.now() - started} ms`);
  }

  beforeAll(async () => {
    // DANE for SMTP looks up _25._tcp.MX: our server needs port 25 of the MX's address, which must be free.
    expect(await listening(ADDRESS.mx, 25)).toBe(false);
    await Promise.all(Object.values(NAMES).map((name) => run('docker', ['rm', '-f', '-v', name])));
    checkTestToolsImage();

    await pki.ensureRootCa('dane-e2e-root');
    const first = await serverCertificate('dane-e2e-mx');
    const other = await serverCertificate('dane-e2e-other');
    // A zone variant whose TLSA is for another key: MailDnsRecords over a server presenting that key (never started).
    const otherStack = stackFor(other);
    synthStack(join(tmp.path, 'out-other'), 'dane-other', otherStack.build);
    otherZone = otherStack.result.zoneFile;
    const initial = stackFor(first);

    mkdirSync(join(knotDir, 'db'), { recursive: true });
    mkdirSync(join(knotDir, 'run'), { recursive: true });
    mkdirSync(unboundDir, { recursive: true });
    mkdirSync(senderDir, { recursive: true });
    // live.start synthesizes before its first await, so MailDnsRecords' zone file is known right after the call.
    const serverStarted = Date.now();
    const serverUp = live.start('dane', initial.build).then(() => void timings.push(`our server started: ${Date.now() - serverStarted} ms`));
    const dnsUp = (async () => {
      tmp.file('knot/knot.conf', KNOT_CONF, 0o644);
      initialZone = initial.result.zoneFile;
      initialTlsa = initial.result.tlsa;
      tmp.file(`knot/${ZONE}.zone`, `${ZONE_HEAD}\n${initialZone}`, 0o644);
      own.push(NAMES.knot);
      await docker(['run', '-d', '--name', NAMES.knot, '--network', 'host', '--label', `${HARNESS_LABEL}=${process.pid}`, '-v', `${knotDir}:/dns`, TEST_TOOLS_IMAGE, 'knotd', '-c', '/dns/knot.conf']);
      await waitForLog(NAMES.knot, /\[dane-e2e\.test\.\] DNSSEC, successfully signed/);
      await waitForLog(NAMES.knot, /control, binding to/);
      const ds = (await docker(['exec', NAMES.knot, 'keymgr', '-c', '/dns/knot.conf', `${ZONE}.`, 'ds'])).split('\n').find((l) => / DS \d+ 13 2 [0-9a-f]{64}$/.test(l.trim()));
      if (!ds) throw new Error('keymgr printed no SHA-256 DS record for the zone');
      tmp.file('unbound/unbound.conf', unboundConf(ds.trim()), 0o644);
      own.push(NAMES.unbound);
      await docker(['run', '-d', '--name', NAMES.unbound, '--network', 'host', '--label', `${HARNESS_LABEL}=${process.pid}`, '-v', `${unboundDir}:/dns:ro`, TEST_TOOLS_IMAGE, 'unbound', '-d', '-c', '/dns/unbound.conf']);
      await waitForLog(NAMES.unbound, /start of service/);
    })();
    const senderUp = (async () => {
      // The sender's own main.cf and master.cf, as one configuration generation of the image's contract (docker/README.md).
      mkdirSync(join(senderDir, 'config', 'generations', 'sender'), { recursive: true });
      tmp.file('sender/config/generations/sender/main.cf', SENDER_MAIN_CF, 0o644);
      tmp.file('sender/config/generations/sender/master.cf', SENDER_MASTER_CF, 0o644);
      tmp.file('sender/config/latest', 'sender\n', 0o644);
      tmp.file('sender/resolv.conf', `nameserver ${ADDRESS.resolver}\noptions trust-ad edns0\n`, 0o644);
      own.push(NAMES.sender);
      await docker([
        'run', '-d', '--name', NAMES.sender, '--network', 'host', '--label', `${HARNESS_LABEL}=${process.pid}`,
        '-v', `${senderDir}/config:${CONFIG_VOLUME_PATH}`, '-v', `${senderDir}/resolv.conf:/etc/resolv.conf:ro`, POSTFIX_IMAGE,
      ]);
      await waitForLog(NAMES.sender, /postfix\/master\[\d+\]: daemon started/);
    })();
    // allSettled: when one part fails, the others have finished (and are registered for cleanup) before afterAll runs.
    const failed = (await Promise.allSettled([serverUp, dnsUp, senderUp])).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, 180_000);

  /** Queues a message on the sender and waits for its delivery line (sent, deferred or bounced). */
  async function send(subject: string): Promise<Delivery> {
    const since = (await containerLogs(NAMES.sender)).length;
    const messageId = `${subject}@${SENDER_HOST}`;
    const started = Date.now();
    const message = [`From: <${FROM}>`, `To: <${RECIPIENT}>`, `Subject: ${subject}`, `Message-ID: <${messageId}>`, '', `Body of ${subject}.`, ''].join('\n');
    const queued = await run('docker', ['exec', '-i', NAMES.sender, 'sendmail', '-f', FROM, RECIPIENT], { input: message });
    if (queued.code !== 0) throw new Error(`sendmail failed: ${queued.stderr}`);
    return eventually(`the sender to log the delivery of ${subject}`, async () => {
      const log = (await containerLogs(NAMES.sender)).slice(since);
      const queueId = new RegExp(`: ([0-9A-F]+): message-id=<${esc(messageId)}>`).exec(log)?.[1];
      if (!queueId) return undefined;
      const line = new RegExp(`${queueId}: to=<${esc(RECIPIENT)}>.*status=(sent|deferred|bounced) \\((.*)\\)`).exec(log);
      return line ? { queueId, status: line[1], reason: line[2], log, ms: Date.now() - started } : undefined;
    }, 60_000, 200);
  }

  /** Our server's log lines for the message it queued as `queueId`, once it delivered it to the mailbox. */
  async function receivedAs(queueId: string): Promise<string> {
    return eventually(`our server to deliver ${queueId}`, async () => {
      const lines = (await live.harness.logs(NAMES.server)).split('\n').filter((l) => l.includes(`${queueId}:`));
      return lines.some((l) => /status=sent \(delivered to mailbox\)/.test(l)) ? lines.join('\n') : undefined;
    }, 30_000, 200);
  }

  /** A DANE-only s_client check of our server against one TLSA record. */
  async function daneVerifies(record: string): Promise<boolean> {
    const r = await sClient(25, { host: ADDRESS.mx, args: ['-dane_tlsa_domain', MX, '-dane_tlsa_rrdata', record, '-verify_return_error'] });
    return r.handshake && /Verification: OK/.test(r.output);
  }

  /** Sends one message and checks it was delivered over a DANE-verified session to our server's mailbox. */
  async function expectDelivered(subject: string): Promise<Delivery> {
    const delivery = await send(subject);
    expect([delivery.status, delivery.reason]).toEqual(['sent', expect.stringMatching(/^250 2\.0\.0 Ok: queued as [0-9A-F]+$/)]);
    expect(delivery.log).toMatch(new RegExp(`Verified TLS connection established to ${esc(PEER)}: TLSv1\\.3`));
    expect(delivery.log).not.toMatch(/status=deferred|Untrusted TLS|Anonymous TLS|certificate verification failed/);
    const remoteId = /queued as ([0-9A-F]+)$/.exec(delivery.reason)![1];
    const received = await receivedAs(remoteId);
    expect(received).toMatch(new RegExp(`${remoteId}: client=\\S+\\[${esc(ADDRESS.sender)}\\]`));
    expect(received).toContain(`${remoteId}: message-id=<${subject}@${SENDER_HOST}>`);
    expect(await live.harness.execOk(NAMES.server, ['cat', '/var/mail/root'])).toContain(`Subject: ${subject}`);
    timings.push(`${subject}: delivered in ${delivery.ms} ms`);
    if (timings.filter((t) => t.includes(': delivered in ')).length === 1) {
      timings.push(`  sender: ${delivery.log.split('\n').filter((l) => /Verified TLS|status=sent/.test(l)).join('\n  sender: ')}`);
      timings.push(`  our server: ${received.split('\n').join('\n  our server: ')}`);
    }
    return delivery;
  }

  test('the resolver validates the signed test zone and refuses every other name', async () => {
    for (const [type, name, rdata] of [['MX', `${ZONE}.`, [`10 ${MX}.`]], ['A', `${MX}.`, [ADDRESS.mx]], ['TLSA', TLSA_OWNER, initialTlsa]] as const) {
      const answer = await dig(ADDRESS.resolver, 53, type, name);
      expect([type, answer.status, answer.flags.includes('ad'), answer.records]).toEqual([type, 'NOERROR', true, [...rdata]]);
    }
    // The TLSA set is MailDnsRecords' one record for the server's key, served by the authoritative server with its signature.
    expect(initialTlsa).toEqual([expect.stringMatching(/^3 1 1 [0-9a-f]{64}$/)]);
    const signed = await docker(['exec', NAMES.unbound, 'kdig', `@${ADDRESS.authoritative}`, '-p', String(AUTHORITATIVE_PORT), '+dnssec', 'TLSA', TLSA_OWNER]);
    expect(signed).toMatch(new RegExp(`${esc(TLSA_OWNER)}\\s+${TTL}\\s+IN\\s+RRSIG\\s+TLSA 13 `));
    for (const [type, name] of [['A', 'example.com.'], ['NS', '.'], ['TLSA', '_25._tcp.mx.example.net.']] as const) {
      expect([name, (await dig(ADDRESS.resolver, 53, type, name)).status]).toEqual([name, 'REFUSED']);
    }
  });

  test('the right TLSA: "Verified TLS connection established" and the message is in our server\'s mailbox', async () => {
    await expectDelivered(`dane-e2e-right-${Date.now()}`);
  }, 90_000);

  test('a TLSA for another key: deferred after the DANE check fails, and nothing reaches our server', async () => {
    const otherTlsa = otherZone.split('\n').filter((l) => / IN TLSA /.test(l)).map((l) => l.split(' IN TLSA ')[1]);
    expect(otherTlsa).toHaveLength(1);
    expect(otherTlsa).not.toEqual(initialTlsa);
    await publish(otherZone, otherTlsa);
    const serverSince = await live.harness.logCursor(NAMES.server);
    const subject = `dane-e2e-wrong-${Date.now()}`;
    const delivery = await send(subject);
    try {
      expect([delivery.status, delivery.reason]).toEqual(['deferred', 'Server certificate not verified']);
      expect(delivery.log).toMatch(new RegExp(`server certificate verification failed for ${esc(PEER)}: num=65:no matching DANE TLSA records`));
      expect(delivery.log).toMatch(new RegExp(`Untrusted TLS connection established to ${esc(PEER)}`));
      timings.push(`${subject}: deferred in ${delivery.ms} ms`);
      expect(delivery.log).not.toMatch(/Verified TLS connection|status=sent/);
      // Still queued on the sender; our server saw a TLS handshake but no MAIL FROM, so no queue id.
      expect(await docker(['exec', NAMES.sender, 'postqueue', '-p'])).toContain(delivery.queueId);
      const serverLog = await serverSince(new RegExp(`disconnect from \\S+\\[${esc(ADDRESS.sender)}\\]`), 15_000);
      expect(serverLog).toMatch(new RegExp(`connect from \\S+\\[${esc(ADDRESS.sender)}\\]`));
      expect(serverLog).not.toMatch(/: client=|mail=\d/);
      expect(await live.harness.execOk(NAMES.server, ['cat', '/var/mail/root']).catch(() => '')).not.toContain(subject);
    } finally {
      await docker(['exec', NAMES.sender, 'postsuper', '-d', 'ALL']);
      await publish(initialZone, initialTlsa);
    }
  }, 120_000);

  test('a staged key rollover (stage, publish, switch, retire) in the README\'s order: every message delivered, none deferred', async () => {
    const deliveries: Delivery[] = [];
    const [oldRecord] = initialTlsa;
    const chainBefore = readFileSync((await serverCertificate('dane-e2e-mx')).chainPath, 'utf8');

    // 1. Stage: a next key; MailDnsRecords publishes both; the server still presents the old key.
    const staged = await serverCertificate('dane-e2e-mx', KeyRollover.STAGED);
    expect(staged.nextPublicKeyPath).toBeDefined();
    expect(readFileSync(staged.chainPath, 'utf8')).toBe(chainBefore);
    const stagedRecords = await deployServer(staged);
    expect(stagedRecords.tlsa).toHaveLength(2);
    expect(stagedRecords.tlsa).toContain(oldRecord);
    const newRecord = stagedRecords.tlsa.find((r) => r !== oldRecord)!;
    // 2. Publish: the records go to DNS; wait until the resolver has them (the old set's TTL has passed).
    await publish(stagedRecords.zoneFile, stagedRecords.tlsa);
    expect([await daneVerifies(oldRecord), await daneVerifies(newRecord)]).toEqual([true, false]);
    deliveries.push(await expectDelivered(`dane-e2e-staged-${Date.now()}`));
    // What a user sees live in DNS is what goes into publishedTlsa.
    const live1 = await dig(ADDRESS.resolver, 53, 'TLSA', TLSA_OWNER);
    expect(live1.records).toEqual(stagedRecords.tlsa);

    // 3. Switch: refused at synth without the new record declared published; with it, zone first (unchanged
    // records), then the server, which now presents the new key.
    const switched = await serverCertificate('dane-e2e-mx', KeyRollover.SWITCHED);
    expect(switched.previousPublicKeyPath).toBeDefined();
    expect(() => synthStack(join(tmp.path, 'out-refused'), 'dane', stackFor(switched).build)).toThrow(/dane-switch-unpublished/);
    const switchedStack = stackFor(switched, live1.records);
    synthStack(join(tmp.path, 'out-switch-zone'), 'dane', switchedStack.build);
    expect(switchedStack.result.tlsa).toEqual(stagedRecords.tlsa);
    await publish(switchedStack.result.zoneFile, switchedStack.result.tlsa);
    await deployServer(switched, live1.records);
    expect([await daneVerifies(oldRecord), await daneVerifies(newRecord)]).toEqual([false, true]);
    deliveries.push(await expectDelivered(`dane-e2e-switched-${Date.now()}`));

    // 4. Retire: no rollover; the previous key is deleted; server first, then the zone drops the old record.
    const retired = await serverCertificate('dane-e2e-mx');
    expect([retired.nextPublicKeyPath, retired.previousPublicKeyPath]).toEqual([undefined, undefined]);
    const retiredRecords = await deployServer(retired);
    expect(retiredRecords.tlsa).toEqual([newRecord]);
    await publish(retiredRecords.zoneFile, retiredRecords.tlsa);
    deliveries.push(await expectDelivered(`dane-e2e-retired-${Date.now()}`));

    expect(deliveries.map((d) => d.status)).toEqual(['sent', 'sent', 'sent']);
    const senderLog = await containerLogs(NAMES.sender);
    for (const d of deliveries) expect(senderLog).not.toMatch(new RegExp(`${d.queueId}: .*status=deferred`));
  }, 180_000);

  test('the order matters: a server switched to a key whose TLSA is not live yet (publishedTlsa declared too early) gets mail deferred', async () => {
    const liveTlsa = (await dig(ADDRESS.resolver, 53, 'TLSA', TLSA_OWNER)).records;
    expect(liveTlsa).toHaveLength(1);
    // Stage a next key but do not publish it; then switch, declaring its record published although DNS lacks it.
    const staged = stackFor(await serverCertificate('dane-e2e-mx', KeyRollover.STAGED));
    synthStack(join(tmp.path, 'out-early-stage'), 'dane', staged.build);
    const unpublished = staged.result.tlsa.filter((r) => !liveTlsa.includes(r));
    expect(unpublished).toHaveLength(1);
    await deployServer(await serverCertificate('dane-e2e-mx', KeyRollover.SWITCHED), unpublished);
    expect([await daneVerifies(liveTlsa[0]), await daneVerifies(unpublished[0])]).toEqual([false, true]);
    const serverSince = await live.harness.logCursor(NAMES.server);
    const delivery = await send(`dane-e2e-early-switch-${Date.now()}`);
    try {
      expect([delivery.status, delivery.reason]).toEqual(['deferred', 'Server certificate not verified']);
      expect(delivery.log).toMatch(new RegExp(`server certificate verification failed for ${esc(PEER)}: num=65:no matching DANE TLSA records`));
      expect(await serverSince(new RegExp(`disconnect from \\S+\\[${esc(ADDRESS.sender)}\\]`), 15_000)).not.toMatch(/: client=|mail=\d/);
      timings.push(`early switch: deferred in ${delivery.ms} ms`);
    } finally {
      await docker(['exec', NAMES.sender, 'postsuper', '-d', 'ALL']);
    }
  }, 120_000);

  test('no warnings from our server\'s rendered configuration or from the sender', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
    // The sender's DNSSEC probe (dnssec_probe) and every lookup worked: nothing it logged is a warning.
    const sender = await containerLogs(NAMES.sender);
    expect(sender).toMatch(/postfix\/master\[\d+\]: daemon started/);
    expect(sender.split('\n').filter((l) => /warning|fatal|panic|DNSSEC validation may be unavailable/i.test(l))).toEqual([]);
    console.log(`DANE end to end, measured:\n${timings.join('\n')}`);
  });
});
