/**
 * TlsProfile.INTERNET_NL live, criterion by criterion as the internet.nl mail test probes port 25: every
 * offer the profile must refuse is shown to complete against a control server on Postfix's defaults with the
 * same certificates, so a refusal is the profile's doing. Ports 34000-34099.
 */
import { SaslBackend, ServerCertificate, SubmissionPort, TlsProfile, TlsServer } from '../../index';
import { HOST, sClient, SClientResult } from './clients';
import { run } from './harness';
import { describeWithDocker } from './docker-available';
import { LiveStack, LOOPBACK, postfixWarnings, TempDir, testContainer, TestPki, testServer } from './stacks';

const INL = { name: 'pfit-inl-mx', smtp: 34025, submission: 34587, host: 'mx.inl.test' };
const CONTROL = { name: 'pfit-inl-control', smtp: 34125, host: 'control.inl.test' };

const GOOD_TLS12 = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384';

/** Offers internet.nl's criteria forbid. OpenSSL 3 clients need security level 0 for TLS 1.0/1.1 and SHA-1. */
const REFUSED: readonly (readonly [string, readonly string[]])[] = [
  ['TLS 1.0', ['-tls1', '-cipher', 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0']],
  ['TLS 1.1', ['-tls1_1', '-cipher', 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0']],
  ['TLS 1.2 CBC with SHA-1 MAC (ECDHE-RSA-AES128-SHA)', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA']],
  ['TLS 1.2 CBC (ECDHE-ECDSA-AES256-SHA384)', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-SHA384']],
  ['TLS 1.2 RSA key exchange (AES256-GCM-SHA384)', ['-tls1_2', '-cipher', 'AES256-GCM-SHA384']],
  ['TLS 1.2 DHE (DHE-RSA-AES256-GCM-SHA384)', ['-tls1_2', '-cipher', 'DHE-RSA-AES256-GCM-SHA384']],
  // With good suites only, so the signature algorithm is the one thing to refuse (TLS 1.3 defines neither).
  ['TLS 1.2 SHA-1 signatures only', ['-tls1_2', '-sigalgs', 'RSA+SHA1:ECDSA+SHA1', '-cipher', `${GOOD_TLS12}:@SECLEVEL=0`]],
  ['TLS 1.2 SHA-224 signatures only', ['-tls1_2', '-sigalgs', 'RSA+SHA224:ECDSA+SHA224', '-cipher', GOOD_TLS12]],
];

/** The NCSC-NL "good" TLS 1.2 suites, and TLS 1.3. */
const ACCEPTED: readonly (readonly [string, readonly string[]])[] = [
  ['TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384']],
  ['TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-CHACHA20-POLY1305']],
  ['TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']],
  ['TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384']],
  ['TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305', ['-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305']],
  ['TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']],
  ['TLS 1.3', ['-tls1_3']],
];

/** The value of an s_client report line such as "    Extended master secret: yes". */
const line = (r: SClientResult, name: string): string | undefined => new RegExp(`^\\s*${name}: (.+)$`, 'm').exec(r.output)?.[1].trim();

describeWithDocker('TlsProfile.INTERNET_NL: the internet.nl mail criteria, probed live', () => {
  const tmp = new TempDir('inl');
  const live = new LiveStack(tmp);

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('inl-root');
    const hosts = [INL.host, CONTROL.host];
    const ecdsa = await pki.server('inl-ecdsa', 'inl-root', hosts, 'ecdsa');
    const rsa = await pki.server('inl-rsa', 'inl-root', hosts, 'rsa', 3072);
    const credentials = tmp.file('credentials', `user pw-${Date.now()}\n`);
    const certificates = (): ServerCertificate[] => [
      ServerCertificate.fromFiles({ chainFile: ecdsa.chainPath, keyFile: ecdsa.keyPath }),
      ServerCertificate.fromFiles({ chainFile: rsa.chainPath, keyFile: rsa.keyPath }),
    ];
    await live.start('inl', (stack, image) => {
      const mx = testServer(stack, 'mx', { hostname: INL.host, port: INL.smtp, sasl: SaslBackend.cyrusSasldb(credentials) });
      new TlsServer(mx, 'Tls', { certificates: certificates(), profile: TlsProfile.INTERNET_NL, opportunisticProfile: TlsProfile.INTERNET_NL });
      new SubmissionPort(mx, 'Submission', { port: INL.submission, listenAddress: LOOPBACK });
      testContainer(stack, mx, image, INL.name);
      const control = testServer(stack, 'control', { hostname: CONTROL.host, port: CONTROL.smtp });
      new TlsServer(control, 'Tls', { certificates: certificates() });
      testContainer(stack, control, image, CONTROL.name);
    });
  }, 240_000);

  test.each([
    ['port 25 (opportunisticProfile)', INL.smtp],
    ['submission (profile)', INL.submission],
  ] as const)('%s: refuses what internet.nl forbids, each offer completing against Postfix defaults', async (_name, port) => {
    const rows = await Promise.all(REFUSED.map(async ([offer, args]) => {
      const [profile, control] = await Promise.all([sClient(port, { args }), sClient(CONTROL.smtp, { args })]);
      return { offer, profile: profile.handshake, control: control.handshake };
    }));
    console.log(`internet-nl refusals on ${port} (profile / Postfix defaults):\n${rows.map((r) => `  ${r.offer}: ${r.profile ? 'ok' : 'refused'} / ${r.control ? 'ok' : 'refused'}`).join('\n')}`);
    expect(rows.filter((r) => !r.control).map((r) => r.offer)).toEqual([]);
    expect(rows.filter((r) => r.profile).map((r) => r.offer)).toEqual([]);
  });

  test.each([
    ['port 25', INL.smtp],
    ['submission', INL.submission],
  ] as const)('%s: accepts the good TLS 1.2 suites and TLS 1.3', async (_name, port) => {
    const rows = await Promise.all(ACCEPTED.map(async ([offer, args]) => ({ offer, result: await sClient(port, { args }) })));
    expect(rows.filter((r) => !r.result.handshake).map((r) => r.offer)).toEqual([]);
    const tls12 = rows.filter((r) => r.offer.startsWith('TLS 1.2'));
    expect(tls12.map((r) => `${r.result.protocol} ${r.result.cipher}`)).toEqual(tls12.map((r) => `TLSv1.2 ${r.offer.slice('TLS 1.2 '.length)}`));
    expect(rows.find((r) => r.offer === 'TLS 1.3')?.result.protocol).toBe('TLSv1.3');
  });

  test('TLS 1.2: extended master secret, no compression, secure renegotiation, SHA-2 signature', async () => {
    for (const args of [['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384'], ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384']]) {
      const r = await sClient(INL.smtp, { args });
      expect(r.handshake).toBe(true);
      expect(line(r, 'Extended master secret')).toBe('yes');
      expect(line(r, 'Compression')).toBe('NONE');
      expect(r.output).toContain('Secure Renegotiation IS supported');
      expect(line(r, 'Peer signing digest')).toMatch(/^SHA(256|384|512)$/);
      expect(line(r, 'Peer signature type')).toBe(args[2].startsWith('ECDHE-ECDSA') ? 'ECDSA' : 'RSA-PSS');
    }
  });

  test('TLS 1.3: SHA-2 signature, no compression', async () => {
    const r = await sClient(INL.smtp, { args: ['-tls1_3'] });
    expect(r.handshake).toBe(true);
    expect(line(r, 'Peer signing digest')).toMatch(/^SHA(256|384|512)$/);
    expect(line(r, 'Compression')).toBe('NONE');
  });

  test('client-initiated renegotiation is refused (Postfix sets SSL_OP_NO_RENEGOTIATION)', async () => {
    // s_client's "R" command renegotiates; -ign_eof (which sClient sets) would disable it.
    const r = await run('openssl', ['s_client', '-connect', `${HOST}:${INL.smtp}`, '-starttls', 'smtp', '-tls1_2'], { input: 'R\n', timeoutMs: 20_000 });
    const output = r.stdout + r.stderr;
    expect(output).toContain('Secure Renegotiation IS supported');
    expect(output).toContain('RENEGOTIATING');
    expect(output).toMatch(/SSL routines:ssl3_read_bytes:no renegotiation/);
    expect(r.code).not.toBe(0);
  });

  test('server certificates: ECDSA P-256 and RSA 3072', async () => {
    const ec = await sClient(INL.smtp, { args: ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'] });
    const rsa = await sClient(INL.smtp, { args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'] });
    expect(ec.chain[0].publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ec.output).toContain('Server public key is 256 bit');
    expect(rsa.chain[0].publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(rsa.output).toContain('Server public key is 3072 bit');
  });

  test('Postfix logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
