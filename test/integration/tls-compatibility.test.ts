/**
 * Which client offers complete a TLS handshake, live: the library's defaults against Debian's default
 * Postfix TLS setup (the benchmark's baseline, rendered without the library). Port 25 is opportunistic: a
 * sender whose handshake fails retries in plain text, so the library must accept every offer Postfix's
 * defaults accept. Submission (587 STARTTLS, 465 implicit TLS) is mandatory TLS under the INTERMEDIATE
 * profile: TLS 1.2+ with ECDHE and AEAD only. Ports 27000-27999 (the baseline on the bench's 31925).
 */
import { SaslBackend, ServerCertificate, SubmissionMode, SubmissionPort, TlsServer } from '../../index';
import { BASELINE, benchCertificates, synthBaselineStack } from '../../bench/tls-apps';
import { sClient } from './clients';
import { describeWithDocker } from './docker-available';
import { DockerHarness } from './harness';
import { LOOPBACK, LiveStack, postfixWarnings, TempDir, testContainer, testServer } from './stacks';

const MX = { name: 'pfit-compat-mx', smtp: 27025, submission: 27587, submissions: 27465, host: 'mx.compat.test' };

/** A client offer: s_client arguments. RSA authentication throughout, as the baseline has an RSA certificate only. */
interface Offer {
  readonly name: string;
  readonly args: readonly string[];
  /** Whether the INTERMEDIATE profile (mandatory TLS) accepts it. */
  readonly mandatoryAccepts: boolean;
}

// OpenSSL 3's default security level 1 refuses SHA-1 signatures, which TLS 1.0 and 1.1 need: level 0 for those.
const OFFERS: readonly Offer[] = [
  { name: 'TLS 1.0, ECDHE-RSA-AES128-SHA', args: ['-tls1', '-cipher', 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0'], mandatoryAccepts: false },
  { name: 'TLS 1.1, ECDHE-RSA-AES128-SHA', args: ['-tls1_1', '-cipher', 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0'], mandatoryAccepts: false },
  { name: 'TLS 1.2, ECDHE-RSA-AES128-SHA (CBC)', args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA'], mandatoryAccepts: false },
  { name: 'TLS 1.2, ECDHE-RSA-AES128-SHA256 (CBC)', args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA256'], mandatoryAccepts: false },
  { name: 'TLS 1.2, AES128-GCM-SHA256 (kRSA)', args: ['-tls1_2', '-cipher', 'AES128-GCM-SHA256'], mandatoryAccepts: false },
  { name: 'TLS 1.2, DHE-RSA-AES128-GCM-SHA256', args: ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256'], mandatoryAccepts: false },
  { name: 'TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256', args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'], mandatoryAccepts: true },
  { name: 'TLS 1.2, ECDHE-RSA-CHACHA20-POLY1305', args: ['-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305'], mandatoryAccepts: true },
  { name: 'TLS 1.2, client default list', args: ['-tls1_2'], mandatoryAccepts: true },
  { name: 'TLS 1.3', args: ['-tls1_3'], mandatoryAccepts: true },
];

describeWithDocker('client compatibility: port 25 accepts what Postfix defaults accept, submission what its profile allows (live)', () => {
  const tmp = new TempDir('compat');
  const live = new LiveStack(tmp);
  let baseline: DockerHarness | undefined;

  beforeAll(async () => {
    const certs = await benchCertificates(tmp.path, [MX.host, BASELINE.hostname]);
    const credentials = tmp.file('credentials', `user pw-${Date.now()}\n`);
    baseline = DockerHarness.fromFile(synthBaselineStack(`${tmp.path}/baseline`, certs));
    await Promise.all([
      baseline.up(),
      live.start('compat', (stack, image) => {
        const mx = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, sasl: SaslBackend.cyrusSasldb(credentials) });
        // Library defaults: no profile, no opportunistic settings.
        new TlsServer(mx, 'Tls', {
          certificates: [
            ServerCertificate.fromFiles({ chainFile: certs.ecdsa.chainPath, keyFile: certs.ecdsa.keyPath }),
            ServerCertificate.fromFiles({ chainFile: certs.rsa.chainPath, keyFile: certs.rsa.keyPath }),
          ],
        });
        new SubmissionPort(mx, 'Submission', { port: MX.submission, listenAddress: LOOPBACK });
        new SubmissionPort(mx, 'Submissions', { mode: SubmissionMode.WRAPPER, port: MX.submissions, listenAddress: LOOPBACK });
        testContainer(stack, mx, image, MX.name);
      }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await baseline?.destroy();
  }, 60_000);

  test("port 25: every offer completes exactly where it completes with Debian's default Postfix TLS", async () => {
    const rows = await Promise.all(
      OFFERS.map(async (offer) => {
        const [library, defaults] = await Promise.all([sClient(MX.smtp, { args: offer.args }), sClient(BASELINE.port, { args: offer.args })]);
        return { offer: offer.name, library: library.handshake, defaults: defaults.handshake };
      }),
    );
    console.log(`port 25 compatibility (library / Postfix defaults):\n${rows.map((r) => `  ${r.offer}: ${r.library ? 'ok' : 'fails'} / ${r.defaults ? 'ok' : 'fails'}`).join('\n')}`);
    // Postfix's defaults accept every one of these offers (the baseline proves the offers are real).
    expect(rows.filter((r) => !r.defaults).map((r) => r.offer)).toEqual([]);
    expect(rows.filter((r) => r.library !== r.defaults).map((r) => r.offer)).toEqual([]);
  });

  test.each([
    ['587 (STARTTLS)', MX.submission, false],
    ['465 (implicit TLS)', MX.submissions, true],
  ] as const)('submission %s: the INTERMEDIATE profile accepts exactly TLS 1.2 ECDHE with AEAD and TLS 1.3', async (_name, port, implicitTls) => {
    const rows = await Promise.all(OFFERS.map(async (offer) => ({ offer: offer.name, accepted: (await sClient(port, { implicitTls, args: offer.args })).handshake, intended: offer.mandatoryAccepts })));
    expect(rows.filter((r) => r.accepted !== r.intended).map((r) => `${r.offer}: ${r.accepted ? 'accepted' : 'refused'}`)).toEqual([]);
  });

  test('Postfix logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
