/**
 * Relay safety matrix against live containers: who may relay (RCPT to a remote domain answered 250) and
 * who must never (554 "Relay access denied", or no way to get that far). Ports 32000-32999 on 127.0.0.1.
 *
 * - "fp" (32025, MX with opportunistic TLS): ClientCertPolicy relayClients, i.e. permit_tls_clientcerts
 *   with a relay_clientcerts table of fingerprints, trusting one client CA (CAfile);
 * - "fp-required" (32587 on the same server): a SubmissionPort that requires a client certificate, so
 *   only certificates that VERIFY get past the handshake, then permit_tls_clientcerts;
 * - "all" (32125): permitAllClientCertificates with a dedicated CA (permit_tls_all_clientcerts).
 *
 * Postfix's permit_tls_clientcerts matches the fingerprint of any certificate the client presents,
 * verified or not (smtpd_check.c only tests TLS_CERT_IS_PRESENT before the table lookup). The matrix
 * therefore lists, by fingerprint, an EXPIRED certificate and one from an UNTRUSTED CA, and asserts what
 * Postfix really does with them: on the opportunistic MX port they relay. The library refuses to list an
 * expired (or not yet valid) certificate given as a certificate (asserted below), but it cannot see the
 * validity behind a bare fingerprint, nor stop a listed certificate from expiring after deployment.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { App, TerraformStack } from 'cdktf';
import { ClientCertPolicy, ClientIdentity, PostfixServer, SecurityLevel, ServerCertificate, SubmissionMode, SubmissionPort, TlsServer } from '../../index';
import { certificateFingerprint } from '../../lib/pki/fingerprint';
import type { CertificateFiles } from '../../lib/pki/local-pki';
import { RelayOutcome as Outcome, tryRelay } from '../integration/clients';
import { describeWithDocker } from '../integration/docker-available';
import { LOOPBACK, LiveStack, TempDir, testContainer, TestPki, testServer } from '../integration/stacks';

const FP = { name: 'pfhard-relay-fp', smtp: 32025, submission: 32587, host: 'fp.relay.test' };
const ALL = { name: 'pfhard-relay-all', smtp: 32125, host: 'all.relay.test' };
const REMOTE = 'someone@relay.invalid';
const DAY = 86_400_000;

type Port = 'fp' | 'fp-required' | 'all';
const PORTS: Record<Port, number> = { fp: FP.smtp, 'fp-required': FP.submission, all: ALL.smtp };

interface Client {
  readonly files: CertificateFiles;
  readonly tls: ConnectionOptions;
}

interface Case {
  readonly port: Port;
  readonly who: string;
  readonly tls: boolean;
  readonly client?: string;
  /** What Postfix must (or, for the findings, does) answer. */
  readonly expectRelay: boolean;
  /**
   * Set when the expected outcome records what Postfix really does although it is not what a relay
   * policy wants (a finding to report), rather than a safety requirement the library meets.
   */
  readonly finding?: string;
}

const CASES: readonly Case[] = [
  // permit_tls_clientcerts on the opportunistic MX port
  { port: 'fp', who: 'no TLS at all', tls: false, expectRelay: false },
  { port: 'fp', who: 'TLS, no client certificate', tls: true, expectRelay: false },
  { port: 'fp', who: 'unlisted certificate of the trusted CA', tls: true, client: 'unlisted', expectRelay: false },
  { port: 'fp', who: 'certificate of an untrusted CA (not listed)', tls: true, client: 'stranger', expectRelay: false },
  { port: 'fp', who: 'expired certificate of the trusted CA (not listed)', tls: true, client: 'expiredUnlisted', expectRelay: false },
  { port: 'fp', who: 'listed certificate', tls: true, client: 'listed', expectRelay: true },
  {
    port: 'fp', who: 'EXPIRED certificate, listed by fingerprint', tls: true, client: 'expiredListed', expectRelay: true,
    finding: 'permit_tls_clientcerts does not check validity: an expired listed certificate relays (logged as "Untrusted")',
  },
  {
    port: 'fp', who: 'certificate of an untrusted CA, listed by fingerprint', tls: true, client: 'strangerListed', expectRelay: true,
    finding: 'permit_tls_clientcerts does not check the issuer: a listed certificate of an unknown CA relays',
  },
  // the same table on a port that requires (and therefore verifies) client certificates
  { port: 'fp-required', who: 'no TLS at all', tls: false, expectRelay: false },
  { port: 'fp-required', who: 'TLS, no client certificate', tls: true, expectRelay: false },
  { port: 'fp-required', who: 'unlisted certificate of the trusted CA', tls: true, client: 'unlisted', expectRelay: false },
  { port: 'fp-required', who: 'certificate of an untrusted CA (not listed)', tls: true, client: 'stranger', expectRelay: false },
  { port: 'fp-required', who: 'expired certificate of the trusted CA (not listed)', tls: true, client: 'expiredUnlisted', expectRelay: false },
  { port: 'fp-required', who: 'EXPIRED certificate, listed by fingerprint', tls: true, client: 'expiredListed', expectRelay: false },
  { port: 'fp-required', who: 'certificate of an untrusted CA, listed by fingerprint', tls: true, client: 'strangerListed', expectRelay: false },
  { port: 'fp-required', who: 'listed certificate', tls: true, client: 'listed', expectRelay: true },
  // permit_tls_all_clientcerts with a dedicated CA
  { port: 'all', who: 'no TLS at all', tls: false, expectRelay: false },
  { port: 'all', who: 'TLS, no client certificate', tls: true, expectRelay: false },
  { port: 'all', who: 'certificate of another (not the dedicated) CA', tls: true, client: 'listed', expectRelay: false },
  { port: 'all', who: 'certificate of an untrusted CA', tls: true, client: 'stranger', expectRelay: false },
  { port: 'all', who: 'expired certificate of the dedicated CA', tls: true, client: 'dedicatedExpired', expectRelay: false },
  { port: 'all', who: 'certificate of the dedicated CA', tls: true, client: 'dedicated', expectRelay: true },
  { port: 'all', who: 'another certificate of the dedicated CA', tls: true, client: 'dedicated2', expectRelay: true },
];

describe('listing client certificates for relay (synth-time checks)', () => {
  const tmp = new TempDir('relay-synth');
  let pki: TestPki;
  let expired: CertificateFiles;
  let notYetValid: CertificateFiles;

  beforeAll(async () => {
    pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('synth-client-ca');
    const now = Date.now();
    expired = await pki.pki.ensureClientCert('synth-expired', { issuer: 'synth-client-ca', commonName: 'expired.client.test', notBefore: new Date(now - 60 * DAY), notAfter: new Date(now - DAY) });
    notYetValid = await pki.pki.ensureClientCert('synth-future', { issuer: 'synth-client-ca', commonName: 'future.client.test', notBefore: new Date(now + 10 * DAY), notAfter: new Date(now + 100 * DAY) });
  });
  afterAll(() => tmp.cleanup());

  const server = (): PostfixServer => new PostfixServer(new TerraformStack(new App({ outdir: `${tmp.path}/out` }), 'synth'), 'mx', { hostname: 'mx.relay.test' });

  test('an expired certificate in relayClients is refused when the policy is created', () => {
    expect(() => new ClientCertPolicy(server(), 'ClientCerts', { relayClients: [ClientIdentity.fromCertificateFile(expired.certPath, 'expired')] })).toThrow(
      /pki-cert-expired.*expired on/s,
    );
  });

  test('a certificate that is not valid yet is refused in relayClients and in accessRules', () => {
    expect(() => new ClientCertPolicy(server(), 'ClientCerts', { relayClients: [ClientIdentity.fromCertificateFile(notYetValid.certPath, 'future')] })).toThrow(/not valid before/);
    expect(() =>
      new ClientCertPolicy(server(), 'ClientCerts', { accessRules: [{ client: ClientIdentity.fromCertificateFile(expired.certPath, 'expired'), action: 'OK' }] }),
    ).toThrow(/pki-cert-expired/);
  });
});

describeWithDocker('relay safety matrix (live Postfix)', () => {
  const tmp = new TempDir('relay');
  const live = new LiveStack(tmp);
  const clients: Record<string, Client> = {};

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('relay-server-root');
    const serverCert = await pki.server('relay-server', 'relay-server-root', [FP.host, ALL.host], 'ecdsa');
    const clientCa = await pki.root('relay-client-ca');
    const dedicatedCa = await pki.root('relay-dedicated-ca');
    await pki.root('relay-stranger-ca');
    const now = Date.now();
    const expiredDates = { notBefore: new Date(now - 60 * DAY), notAfter: new Date(now - DAY) };
    const make = async (name: string, issuer: string, dates = {}): Promise<void> => {
      const files = await pki.pki.ensureClientCert(name, { issuer, commonName: `${name}.client.test`, ...dates });
      clients[name] = { files, tls: { key: readFileSync(files.keyPath), cert: readFileSync(files.chainPath) } };
    };
    await make('listed', 'relay-client-ca');
    await make('unlisted', 'relay-client-ca');
    await make('expiredUnlisted', 'relay-client-ca', expiredDates);
    await make('expiredListed', 'relay-client-ca', expiredDates);
    await make('stranger', 'relay-stranger-ca');
    await make('strangerListed', 'relay-stranger-ca');
    await make('dedicated', 'relay-dedicated-ca');
    await make('dedicated2', 'relay-dedicated-ca');
    await make('dedicatedExpired', 'relay-dedicated-ca', expiredDates);
    const certificates = [ServerCertificate.fromFiles({ chainFile: serverCert.chainPath, keyFile: serverCert.keyPath })];
    // The library refuses an expired certificate file in relayClients; a fingerprint it cannot check.
    const byFingerprint = (name: string): ClientIdentity => ClientIdentity.fromFingerprint(certificateFingerprint(clients[name].files.certPem, 'sha256'), `${name}.client.test`);

    await live.start('relay', (stack, image) => {
      const fp = testServer(stack, 'fp', { hostname: FP.host, port: FP.smtp });
      new TlsServer(fp, 'Tls', { certificates, securityLevel: SecurityLevel.MAY });
      new ClientCertPolicy(fp, 'ClientCerts', {
        trustedCaFiles: [clientCa.certPath],
        // Port 25 relays by fingerprint too; without this only the certificate-requiring port would ask.
        askForCertificates: true,
        relayClients: [ClientIdentity.fromCertificateFile(clients.listed.files.certPath, 'listed.client.test'), byFingerprint('expiredListed'), byFingerprint('strangerListed')],
      });
      new SubmissionPort(fp, 'Required', { mode: SubmissionMode.STARTTLS, port: FP.submission, listenAddress: LOOPBACK, saslAuthentication: false, requireClientCertificate: true });
      testContainer(stack, fp, image, FP.name);

      const all = testServer(stack, 'all', { hostname: ALL.host, port: ALL.smtp });
      new TlsServer(all, 'Tls', { certificates, securityLevel: SecurityLevel.MAY });
      new ClientCertPolicy(all, 'ClientCerts', { trustedCaFiles: [dedicatedCa.certPath], permitAllClientCertificates: true });
      testContainer(stack, all, image, ALL.name);
    });
  }, 150_000);


  test('rendered policy: permit_tls_clientcerts with three fingerprints on fp, permit_tls_all_clientcerts on all', async () => {
    const h = live.harness;
    expect(await h.execOk(FP.name, ['postconf', '-h', 'smtpd_relay_restrictions'])).toBe('permit_tls_clientcerts, reject_unauth_destination\n');
    expect((await h.execOk(FP.name, ['postmap', '-s', (await h.execOk(FP.name, ['postconf', '-h', 'relay_clientcerts'])).trim()])).trim().split('\n')).toHaveLength(3);
    expect(await h.execOk(ALL.name, ['postconf', '-h', 'smtpd_relay_restrictions'])).toBe('permit_tls_all_clientcerts, reject_unauth_destination\n');
    expect(await h.execOk(ALL.name, ['postconf', '-h', 'tls_append_default_CA'])).toBe('no\n');
  });

  test('every case of the matrix: counted attempts and refusals', async () => {
    const rows: { c: Case; outcome: Outcome; trust: string }[] = [];
    for (const c of CASES) {
      const container = c.port === 'all' ? ALL.name : FP.name;
      const since = await live.harness.logCursor(container);
      const outcome = await tryRelay({ port: PORTS[c.port], recipient: REMOTE, startTls: c.tls, tlsOptions: c.client ? clients[c.client].tls : undefined });
      // The TLS summary line says whether Postfix saw the certificate as Trusted, Untrusted or Anonymous (postlogd
      // writes it asynchronously: wait for it, a few seconds at most).
      const summary = /(Anonymous|Trusted|Untrusted) TLS connection established/;
      const trust = c.tls ? (summary.exec(await since(summary, 5_000))?.[1] ?? 'no TLS line') : '-';
      rows.push({ c, outcome, trust });
    }
    const attempts = rows.length;
    const refusals = rows.filter((r) => !r.outcome.relayed).length;
    const mustRefuse = CASES.filter((c) => !c.expectRelay).length;
    const table = rows.map(
      ({ c, outcome, trust }) =>
        `${c.port.padEnd(11)} ${c.who.padEnd(55)} ${trust.padEnd(10)} ${outcome.relayed ? 'RELAYED ' : 'refused '} ${outcome.step}:${outcome.code} ${outcome.text.split('\n')[0].slice(0, 60)}${c.finding ? `  <- finding: ${c.finding}` : ''}`,
    );
    console.log(`relay matrix: ${attempts} attempts, ${refusals} refusals, ${attempts - refusals} relayed\n${table.join('\n')}`);

    // Exact outcome of every case (the message names the case that differs).
    expect(rows.map(({ c, outcome }) => `${c.port} | ${c.who} | ${outcome.relayed ? 'relayed' : 'refused'}`)).toEqual(
      CASES.map((c) => `${c.port} | ${c.who} | ${c.expectRelay ? 'relayed' : 'refused'}`),
    );
    expect(attempts).toBe(23);
    expect(refusals).toBe(mustRefuse);
    expect(refusals).toBe(17);
    // Refusals of a RCPT are permanent access denials (reject_unauth_destination: "Relay access denied";
    // the submission port's final `reject`: "Access denied"), never a temporary or unrelated error.
    for (const { c, outcome } of rows.filter((r) => !r.outcome.relayed && r.outcome.step === 'rcpt')) {
      expect([c.port, c.who, outcome.code]).toEqual([c.port, c.who, 554]);
      expect(outcome.text).toMatch(c.port === 'fp-required' ? /Recipient address rejected: Access denied/ : /Relay access denied/);
    }
    // The findings: Postfix saw the expired and the unknown-CA certificates as Untrusted and still let them relay.
    for (const r of rows.filter((x) => x.c.finding)) expect([r.c.who, r.trust, r.outcome.code]).toEqual([r.c.who, 'Untrusted', 250]);
    // Where a certificate is required, verification happens first: the same two certificates never reach RCPT.
    for (const r of rows.filter((x) => x.c.port === 'fp-required' && x.c.client && x.c.client !== 'listed' && x.c.client !== 'unlisted')) {
      expect([r.c.who, r.outcome.step]).not.toEqual([r.c.who, 'rcpt']);
    }
  }, 120_000);
});
