/**
 * Client certificates against live servers: the certificate request, CAfile vs CApath trust, relaying by
 * fingerprint (permit_tls_clientcerts), by CA (permit_tls_all_clientcerts), check_ccert_access, the
 * verification depth and required certificates. Ports 22000-22999.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  ClientCertPolicy,
  ClientIdentity,
  SaslBackend,
  SecurityLevel,
  ServerCertificate,
  SubmissionMode,
  SubmissionPort,
  TlsServer,
} from '../../index';
import type { CertificateFiles } from '../../lib/pki/local-pki';
import { sClient, SmtpReply, SmtpSession, testMessage } from './clients';
import { describeWithDocker } from './docker-available';
import { DockerHarness } from './harness';
import { LOOPBACK, postfixWarnings, LiveStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const ASK = { name: 'pfit-ccert-ask', smtp: 22025, submission: 22587, host: 'ask.ccert.test' };
const ALL = { name: 'pfit-ccert-all', smtp: 22125, host: 'all.ccert.test' };
const DEPTH1 = { name: 'pfit-ccert-depth1', smtp: 22225, host: 'depth1.ccert.test' };
const REQUIRE = { name: 'pfit-ccert-require', smtp: 22325, host: 'require.ccert.test' };
/** The dedicated-relay-port layout: certificates asked for (and used) only on the relay port. */
const DEDICATED = { name: 'pfit-ccert-dedicated', smtp: 22425, relay: 22487, host: 'dedicated.ccert.test' };
const MUA_PORT = 22589;
const LOCAL = 'root@localhost';
const REMOTE = 'someone@relay.invalid';
const REJECT_TEXT = 'certificate withdrawn by the integration test';

interface Client {
  readonly files: CertificateFiles;
  /** Key, certificate and (for clients below an intermediate) the intermediate, for Node's tls. */
  readonly tls: ConnectionOptions;
}

function client(files: CertificateFiles): Client {
  return { files, tls: { key: readFileSync(files.keyPath), cert: readFileSync(files.chainPath) } };
}

/** STARTTLS (optionally with a client certificate), EHLO, then MAIL and RCPT to `recipient`. */
async function rcptOverTls(port: number, recipient: string, certificate?: Client): Promise<{ rcpt: SmtpReply; session: SmtpSession }> {
  const session = await SmtpSession.open(port);
  await session.ehlo();
  await session.startTls(certificate?.tls ?? {});
  await session.ehlo();
  const mail = await session.command('MAIL FROM:<sender@client.test>');
  if (mail.code !== 250) throw new Error(`MAIL refused: ${mail.code} ${mail.text}\n${session.dump()}`);
  const rcpt = await session.command(`RCPT TO:<${recipient}>`);
  await session.quit();
  return { rcpt, session };
}

/** STARTTLS (optionally with a certificate), then EHLO and MAIL; returns the first reply that is not 250. */
async function refusalAfterTls(port: number, certificate?: Client): Promise<SmtpReply | undefined> {
  const session = await SmtpSession.open(port);
  try {
    await session.ehlo();
    await session.startTls(certificate?.tls ?? {});
    for (const command of ['EHLO client.test', 'MAIL FROM:<sender@client.test>']) {
      const reply = await session.command(command);
      if (reply.code !== 250) return reply;
    }
    return undefined;
  } finally {
    session.destroy();
  }
}

describeWithDocker('client certificates (live Postfix)', () => {
  const tmp = new TempDir('ccert');
  const live = new LiveStack(tmp);
  const c: Record<string, Client> = {};
  let trustedCa: CertificateFiles;
  let capathCa: CertificateFiles;
  let dedicatedCa: CertificateFiles;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('ccert-server-root');
    const serverCert = await pki.server('ccert-server', 'ccert-server-root', [ASK.host, ALL.host, DEPTH1.host, REQUIRE.host, DEDICATED.host], 'ecdsa');
    trustedCa = await pki.root('ccert-cafile-ca');
    capathCa = await pki.root('ccert-capath-ca');
    dedicatedCa = await pki.root('ccert-dedicated-ca');
    await pki.root('ccert-unknown-ca');
    await pki.intermediate('ccert-dedicated-intermediate', 'ccert-dedicated-ca');
    // Two and three intermediates below the dedicated root, for the verify depth's limit.
    await pki.pki.ensureIntermediate('ccert-deep-1', 'ccert-dedicated-ca', { pathLength: 2 });
    await pki.pki.ensureIntermediate('ccert-deep-2', 'ccert-deep-1', { pathLength: 1 });
    await pki.intermediate('ccert-deep-3', 'ccert-deep-2');
    for (const [name, issuer] of [
      ['listed', 'ccert-cafile-ca'],
      ['unlisted', 'ccert-cafile-ca'],
      ['rejected', 'ccert-cafile-ca'],
      ['access-ok', 'ccert-cafile-ca'],
      ['capath', 'ccert-capath-ca'],
      ['stranger', 'ccert-unknown-ca'],
      ['dedicated-direct', 'ccert-dedicated-ca'],
      ['dedicated-via-intermediate', 'ccert-dedicated-intermediate'],
      ['dedicated-two-intermediates', 'ccert-deep-2'],
      ['dedicated-three-intermediates', 'ccert-deep-3'],
    ] as const) {
      c[name] = client(await pki.client(name, issuer));
    }
    const certificates = (): ServerCertificate[] => [ServerCertificate.fromFiles({ chainFile: serverCert.chainPath, keyFile: serverCert.keyPath })];

    await live.start('ccert', (stack, image) => {
      const ask = testServer(stack, 'ask', { hostname: ASK.host, port: ASK.smtp, sasl: SaslBackend.cyrusSasldb(tmp.file('credentials', `user pw-${Date.now()}\n`)) });
      new TlsServer(ask, 'Tls', { certificates: certificates(), securityLevel: SecurityLevel.MAY, logLevel: 1 });
      new ClientCertPolicy(ask, 'ClientCerts', {
        // Port 25 asks too; by default only the certificate-requiring submission port would.
        askForCertificates: true,
        trustedCaFiles: [trustedCa.certPath],
        capathCaFiles: [capathCa.certPath],
        relayClients: [ClientIdentity.fromCertificateFile(c.listed.files.certPath, 'listed.client.test')],
        accessRules: [
          { client: ClientIdentity.fromCertificateFile(c.rejected.files.certPath, 'rejected'), action: `REJECT ${REJECT_TEXT}` },
          { client: ClientIdentity.fromCertificateFile(c['access-ok'].files.certPath, 'access-ok'), action: 'OK' },
        ],
      });
      new SubmissionPort(ask, 'CertSubmission', {
        mode: SubmissionMode.STARTTLS,
        port: ASK.submission,
        listenAddress: LOOPBACK,
        saslAuthentication: false,
        requireClientCertificate: true,
      });
      new SubmissionPort(ask, 'MuaSubmission', { port: MUA_PORT, listenAddress: LOOPBACK });
      testContainer(stack, ask, image, ASK.name);

      const dedicated = testServer(stack, 'dedicated', { hostname: DEDICATED.host, port: DEDICATED.smtp });
      new TlsServer(dedicated, 'Tls', { certificates: certificates() });
      // No askForCertificates: the certificate-requiring port makes port 25 stop asking by default.
      new ClientCertPolicy(dedicated, 'ClientCerts', {
        trustedCaFiles: [trustedCa.certPath],
        relayClients: [ClientIdentity.fromCertificateFile(c.listed.files.certPath, 'listed.client.test')],
      });
      new SubmissionPort(dedicated, 'Relay', { port: DEDICATED.relay, listenAddress: LOOPBACK, saslAuthentication: false, requireClientCertificate: true });
      testContainer(stack, dedicated, image, DEDICATED.name);

      for (const [spec, id, depth] of [[ALL, 'all', 2], [DEPTH1, 'depth1', 1]] as const) {
        const server = testServer(stack, id, { hostname: spec.host, port: spec.smtp });
        // Level 2 logs why a client chain did not verify (level 1 logs only the summary).
        new TlsServer(server, 'Tls', { certificates: certificates(), logLevel: spec === DEPTH1 ? 2 : 1 });
        new ClientCertPolicy(server, 'ClientCerts', {
          trustedCaFiles: [dedicatedCa.certPath],
          permitAllClientCertificates: true,
          verifyDepth: depth,
        });
        testContainer(stack, server, image, spec.name);
      }

      const require = testServer(stack, 'require', { hostname: REQUIRE.host, port: REQUIRE.smtp, publicMx: false });
      new TlsServer(require, 'Tls', { certificates: certificates(), securityLevel: SecurityLevel.ENCRYPT, logLevel: 1 });
      new ClientCertPolicy(require, 'ClientCerts', { trustedCaFiles: [trustedCa.certPath], requireCertificates: true });
      testContainer(stack, require, image, REQUIRE.name);
    });
  }, 150_000);


  const h = (): DockerHarness => live.harness;

  test('the certificate request carries the CAfile CA names (not the CApath ones); a client without a certificate still sends mail on may', async () => {
    const result = await sClient(ASK.smtp);
    expect(result.handshake).toBe(true);
    const names = /Acceptable client certificate CA names\n((?:.+\n)*?)(?=Requested Signature|Client Certificate Types|---)/.exec(result.output)?.[1] ?? '';
    expect(names).toContain('CN = ccert-cafile-ca test CA');
    expect(names).not.toContain('ccert-capath-ca');

    const since = await h().logCursor(ASK.name);
    const session = await SmtpSession.open(ASK.smtp);
    try {
      await session.ehlo();
      await session.startTls();
      await session.ehlo();
      const replies = await session.sendMail('sender@client.test', [LOCAL], testMessage(`no-ccert-${Date.now()}`));
      expect(replies.map((r) => r.code)).toEqual([250, 250, 354, 250]);
    } finally {
      await session.quit();
    }
    // "Anonymous": the server saw no client certificate, and still took the mail.
    expect(await since(/Anonymous TLS connection established/)).toMatch(/Anonymous TLS connection established from unknown\[127\.0\.0\.1\]/);
  });

  test('the MUA submission port of a server whose port 25 asks sends no certificate request', async () => {
    const mua = await sClient(MUA_PORT);
    expect(mua.handshake).toBe(true);
    expect(mua.output).not.toContain('Acceptable client certificate CA names');
    expect((await sClient(ASK.smtp)).output).toContain('Acceptable client certificate CA names');
  });

  test('dedicated relay port: only it asks for certificates; the listed client relays there and not on port 25', async () => {
    const port25 = await sClient(DEDICATED.smtp);
    expect(port25.handshake).toBe(true);
    expect(port25.output).not.toContain('Acceptable client certificate CA names');
    const relayPort = await sClient(DEDICATED.relay);
    expect(relayPort.output).toMatch(/Acceptable client certificate CA names\n.*ccert-cafile-ca test CA/);
    expect((await rcptOverTls(DEDICATED.relay, REMOTE, c.listed)).rcpt.code).toBe(250);
    const onPort25 = await rcptOverTls(DEDICATED.smtp, REMOTE, c.listed);
    expect(onPort25.rcpt.code).toBe(554);
    expect(onPort25.rcpt.text).toContain('Relay access denied');
  });

  test('permit_tls_clientcerts: the listed fingerprint may relay, an unlisted certificate of the same CA gets "Relay access denied"', async () => {
    const listed = await rcptOverTls(ASK.smtp, REMOTE, c.listed);
    expect(listed.rcpt.code).toBe(250);
    const unlisted = await rcptOverTls(ASK.smtp, REMOTE, c.unlisted);
    expect(unlisted.rcpt.code).toBe(554);
    expect(unlisted.rcpt.text).toContain('Relay access denied');
    const none = await rcptOverTls(ASK.smtp, REMOTE);
    expect(none.rcpt.text).toContain('Relay access denied');
  });

  test('check_ccert_access: REJECT with a custom text reaches the client, OK relays', async () => {
    const rejected = await rcptOverTls(ASK.smtp, REMOTE, c.rejected);
    expect(rejected.rcpt.code).toBe(554);
    expect(rejected.rcpt.text).toContain(`Client certificate rejected: ${REJECT_TEXT}`);
    const ok = await rcptOverTls(ASK.smtp, REMOTE, c['access-ok']);
    expect(ok.rcpt.code).toBe(250);
  });

  test('CApath only: a certificate from a CA that is only in the hash-linked CApath is trusted, one from an unknown CA is not', async () => {
    const links = await h().execOk(ASK.name, ['ls', '/etc/postfix/tls/capath']);
    // The CA is uploaded as HASH.0.pem; the container's openssl rehash adds the HASH.0 link to it.
    expect(links.trim().split('\n').sort()).toEqual([expect.stringMatching(/^[0-9a-f]{8}\.0$/), expect.stringMatching(/^[0-9a-f]{8}\.0\.pem$/)]);

    const since = await h().logCursor(ASK.name);
    await rcptOverTls(ASK.smtp, LOCAL, c.capath);
    const trusted = await since(/disconnect from unknown\[127\.0\.0\.1\] ehlo=2 starttls=1/);
    expect(trusted).toMatch(/Trusted TLS connection established from unknown\[127\.0\.0\.1\]/);
    expect(trusted).not.toMatch(/Untrusted TLS connection/);

    const since2 = await h().logCursor(ASK.name);
    await rcptOverTls(ASK.smtp, LOCAL, c.stranger);
    const untrusted = await since2(/disconnect from unknown\[127\.0\.0\.1\] ehlo=2 starttls=1/);
    expect(untrusted).toMatch(/Untrusted TLS connection established from unknown\[127\.0\.0\.1\]/);
  });

  test('permit_tls_all_clientcerts: any certificate of the dedicated CA relays (also through its intermediate with depth 2), another CA\'s does not', async () => {
    expect((await rcptOverTls(ALL.smtp, REMOTE, c['dedicated-direct'])).rcpt.code).toBe(250);
    expect((await rcptOverTls(ALL.smtp, REMOTE, c['dedicated-via-intermediate'])).rcpt.code).toBe(250);
    const other = await rcptOverTls(ALL.smtp, REMOTE, c.listed);
    expect(other.rcpt.code).toBe(554);
    expect(other.rcpt.text).toContain('Relay access denied');
  });

  // Postfix hands OpenSSL smtpd_tls_ccert_verifydepth + 1 (tls_server.c), and OpenSSL's depth counts only
  // the intermediates between the client certificate and the root: depth 1 accepts up to two intermediates.
  test('verify depth 1: direct and two-intermediate chains relay, a three-intermediate chain is refused as too long', async () => {
    expect(await h().execOk(DEPTH1.name, ['postconf', '-h', 'smtpd_tls_ccert_verifydepth'])).toBe('1\n');
    expect((await rcptOverTls(DEPTH1.smtp, REMOTE, c['dedicated-direct'])).rcpt.code).toBe(250);
    expect((await rcptOverTls(DEPTH1.smtp, REMOTE, c['dedicated-two-intermediates'])).rcpt.code).toBe(250);
    const since = await h().logCursor(DEPTH1.name);
    const tooDeep = await rcptOverTls(DEPTH1.smtp, REMOTE, c['dedicated-three-intermediates']);
    expect(tooDeep.rcpt.code).toBe(554);
    expect(tooDeep.rcpt.text).toContain('Relay access denied');
    // Level 2 logs each depth's verdict: the third intermediate (depth 3) is where OpenSSL's limit of 2 stops it.
    expect(await since(/Untrusted TLS connection established/)).toMatch(/depth=3 verify=0 subject=\/CN=ccert-deep-1 [\s\S]*Untrusted TLS connection established/);
  });

  test('required client certificates under encrypt: no certificate or an untrusted one is refused, a trusted one may send', async () => {
    const plain = await SmtpSession.open(REQUIRE.smtp);
    await plain.ehlo();
    expect((await plain.command('MAIL FROM:<sender@client.test>')).code).toBe(530);
    await plain.quit();

    for (const [who, expected] of [[undefined, 'No client certificate presented'], [c.stranger, 'Client certificate not trusted']] as const) {
      const refusal = await refusalAfterTls(REQUIRE.smtp, who);
      expect(refusal?.code).toBe(421);
      expect(refusal?.text).toContain(expected);
    }
    const since = await h().logCursor(REQUIRE.name);
    const trusted = await SmtpSession.open(REQUIRE.smtp);
    await trusted.ehlo();
    await trusted.startTls(c.listed.tls);
    await trusted.ehlo();
    const replies = await trusted.sendMail('sender@client.test', [LOCAL], testMessage(`required-ccert-${Date.now()}`));
    expect(replies.map((r) => r.code)).toEqual([250, 250, 354, 250]);
    await trusted.quit();
    expect(await since(/Trusted TLS connection established/)).toMatch(/Trusted TLS connection established/);
  });

  test('SubmissionPort requireClientCertificate: without a certificate the session is aborted, a listed one may relay', async () => {
    const refusal = await refusalAfterTls(ASK.submission);
    expect(refusal?.code).toBe(421);
    expect(refusal?.text).toContain('No client certificate presented');

    expect((await rcptOverTls(ASK.submission, REMOTE, c.listed)).rcpt.code).toBe(250);
    const unlisted = await rcptOverTls(ASK.submission, REMOTE, c.unlisted);
    expect(unlisted.rcpt.code).toBeGreaterThanOrEqual(500);
  });
  test('Postfix and the entrypoint logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
