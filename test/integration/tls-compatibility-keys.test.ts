/**
 * The client-compatibility matrix continued: the MODERN profile on a submission service (only TLS 1.3 offers
 * complete), and clients that can verify only RSA or only ECDSA signatures against a server with both an
 * ECDSA and an RSA certificate and against one with RSA only; the DANE TLSA records MailDnsRecords publishes
 * for the dual server verify whichever certificate it presents. Ports 34200-34399.
 */
import { MailDnsRecords, SaslBackend, ServerCertificate, SubmissionPort, TlsProfile, TlsServer } from '../../index';
import { sClient } from './clients';
import { describeWithDocker } from './docker-available';
import { LiveStack, LOOPBACK, postfixWarnings, TempDir, testContainer, TestPki, testServer } from './stacks';

const DUAL = { name: 'pfit-inl-compat-dual', smtp: 34225, submission: 34287, host: 'dual.compat-keys.test' };
const RSA_ONLY = { name: 'pfit-inl-compat-rsa', smtp: 34325, host: 'rsa.compat-keys.test' };

/** Protocol offers with RSA and ECDSA suites alike; MODERN must accept the TLS 1.3 ones only. */
const PROTOCOL_OFFERS: readonly (readonly [string, readonly string[], boolean])[] = [
  ['TLS 1.0', ['-tls1', '-cipher', 'ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'], false],
  ['TLS 1.1', ['-tls1_1', '-cipher', 'ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'], false],
  ['TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'], false],
  ['TLS 1.2, ECDHE-RSA-CHACHA20-POLY1305', ['-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305'], false],
  ['TLS 1.2, client default list', ['-tls1_2'], false],
  ['TLS 1.3, TLS_AES_256_GCM_SHA384', ['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384'], true],
  ['TLS 1.3, TLS_CHACHA20_POLY1305_SHA256', ['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'], true],
  ['client default (TLS 1.2 and 1.3)', [], true],
];

/** Clients that can authenticate only one key type: suites (TLS 1.2) and signature algorithms (both versions). */
const KEY_CLIENTS: readonly { name: string; key: 'rsa' | 'ec'; args: readonly string[] }[] = [
  { name: 'TLS 1.2, RSA only', key: 'rsa', args: ['-tls1_2', '-cipher', 'aRSA', '-sigalgs', 'rsa_pss_rsae_sha256:RSA+SHA256'] },
  { name: 'TLS 1.3, RSA only', key: 'rsa', args: ['-tls1_3', '-sigalgs', 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384'] },
  { name: 'TLS 1.2, ECDSA only', key: 'ec', args: ['-tls1_2', '-cipher', 'aECDSA', '-sigalgs', 'ECDSA+SHA256:ECDSA+SHA384'] },
  { name: 'TLS 1.3, ECDSA only', key: 'ec', args: ['-tls1_3', '-sigalgs', 'ECDSA+SHA256:ECDSA+SHA384'] },
];

describeWithDocker('client compatibility: MODERN submission, RSA-only and ECDSA-only clients (live)', () => {
  const tmp = new TempDir('compat-keys');
  const live = new LiveStack(tmp);
  let tlsa: string[] = [];

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('keys-root');
    const hosts = [DUAL.host, RSA_ONLY.host];
    const ecdsa = await pki.server('keys-ecdsa', 'keys-root', hosts, 'ecdsa');
    const rsa = await pki.server('keys-rsa', 'keys-root', hosts, 'rsa');
    const credentials = tmp.file('credentials', `user pw-${Date.now()}\n`);
    const certificate = (files: { chainPath: string; keyPath: string }): ServerCertificate => ServerCertificate.fromFiles({ chainFile: files.chainPath, keyFile: files.keyPath });
    await live.start('compat-keys', (stack, image) => {
      const dual = testServer(stack, 'dual', { hostname: DUAL.host, port: DUAL.smtp, sasl: SaslBackend.cyrusSasldb(credentials) });
      new TlsServer(dual, 'Tls', { certificates: [certificate(ecdsa), certificate(rsa)], profile: TlsProfile.MODERN });
      new SubmissionPort(dual, 'Submission', { port: DUAL.submission, listenAddress: LOOPBACK });
      testContainer(stack, dual, image, DUAL.name);
      const dns = new MailDnsRecords(stack, 'Dns', { domain: 'compat-keys.test', servers: [dual] });
      tlsa = dns.records.filter((r) => r.recordType === 'TLSA').map((r) => r.value);
      const rsaOnly = testServer(stack, 'rsa', { hostname: RSA_ONLY.host, port: RSA_ONLY.smtp });
      new TlsServer(rsaOnly, 'Tls', { certificates: [certificate(rsa)] });
      testContainer(stack, rsaOnly, image, RSA_ONLY.name);
    });
  }, 240_000);

  test('submission under MODERN: exactly the TLS 1.3 offers complete, each of them also completing on port 25 of the same server', async () => {
    const rows = await Promise.all(PROTOCOL_OFFERS.map(async ([offer, args, intended]) => {
      const [submission, smtp] = await Promise.all([sClient(DUAL.submission, { args }), sClient(DUAL.smtp, { args })]);
      return { offer, accepted: submission.handshake, protocol: submission.protocol, intended, port25: smtp.handshake };
    }));
    console.log(`MODERN submission (submission / port 25):\n${rows.map((r) => `  ${r.offer}: ${r.accepted ? 'ok' : 'refused'} / ${r.port25 ? 'ok' : 'refused'}`).join('\n')}`);
    // Port 25 keeps Postfix's defaults: every offer is real.
    expect(rows.filter((r) => !r.port25).map((r) => r.offer)).toEqual([]);
    expect(rows.filter((r) => r.accepted !== r.intended).map((r) => `${r.offer}: ${r.accepted ? 'accepted' : 'refused'}`)).toEqual([]);
    expect(rows.filter((r) => r.accepted).map((r) => r.protocol)).toEqual(rows.filter((r) => r.intended).map(() => 'TLSv1.3'));
  });

  test.each([
    ['ECDSA + RSA, port 25', DUAL.smtp, true, KEY_CLIENTS],
    ['ECDSA + RSA, MODERN submission (TLS 1.3 clients)', DUAL.submission, true, KEY_CLIENTS.filter((c) => c.name.startsWith('TLS 1.3'))],
    ['RSA only, port 25', RSA_ONLY.smtp, false, KEY_CLIENTS],
  ] as const)('%s: each client gets the certificate it can verify, or no handshake when the server has none', async (_name, port, hasEcdsa, clients) => {
    const rows = await Promise.all(clients.map(async (client) => {
      const r = await sClient(port, { args: client.args });
      return { client: client.name, outcome: r.handshake ? r.chain[0]?.publicKey.asymmetricKeyType : 'refused' };
    }));
    expect(rows).toEqual(clients.map((c) => ({ client: c.name, outcome: c.key === 'ec' && !hasEcdsa ? 'refused' : c.key })));
  });

  test('Postfix logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });

  /** s_client as a DANE client (RFC 7672): the TLSA records are the only trust, the name is the MX host. */
  const daneArgs = (records: readonly string[]) => ['-dane_tlsa_domain', DUAL.host, ...records.flatMap((r) => ['-dane_tlsa_rrdata', r]), '-verify_return_error'];

  test('DANE: the published TLSA set (one 3 1 1 record per key) verifies what every client is served', async () => {
    expect(tlsa).toHaveLength(2);
    const rows = await Promise.all(KEY_CLIENTS.map(async (client) => {
      const r = await sClient(DUAL.smtp, { args: [...client.args, ...daneArgs(tlsa)] });
      return { client: client.name, verified: r.handshake && /Verification: OK/.test(r.output) && /DANE TLSA 3 1 1 \S+ matched EE certificate at depth 0/.test(r.output) };
    }));
    expect(rows).toEqual(KEY_CLIENTS.map((c) => ({ client: c.name, verified: true })));
  });

  test('DANE: a TLSA set missing the RSA key fails an RSA-only client, so every key must be published', async () => {
    const ecdsaRecord = tlsa.find((value) => value !== undefined)!;
    const rsaClient = KEY_CLIENTS.find((c) => c.name === 'TLS 1.2, RSA only')!;
    const outcomes = await Promise.all(tlsa.map(async (record) => {
      const r = await sClient(DUAL.smtp, { args: [...rsaClient.args, ...daneArgs([record])] });
      return r.handshake && /Verification: OK/.test(r.output);
    }));
    // Exactly one of the two records is the RSA key's: alone it verifies, the other alone does not.
    expect(ecdsaRecord).toBeDefined();
    expect(outcomes.sort()).toEqual([false, true]);
  });
});
