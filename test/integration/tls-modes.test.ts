/**
 * Certificate-less operation, anonymous ciphers when client certificates are asked for, custom DH
 * parameters, the STARTTLS handshake timeout and a TLS 1.3 protocol floor, against live servers.
 * Ports 23000-23999.
 */
import { mkdirSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { ClientCertPolicy, DhParameters, PostfixVersion, SecurityLevel, ServerCertificate, TlsProfile, TlsServer } from '../../index';
import { ensureCustomDhParams } from '../../lib/pki/dh';
import { HOST, sClient, SClientResult } from './clients';
import { describeWithDocker } from './docker-available';
import { run } from './harness';
import { postfixWarnings, LiveStack, TempDir, TEST_POSTFIX_VERSION, testContainer, TestPki, testServer } from './stacks';

/** Custom DH files are Postfix 3.7's; 3.10 deprecates them and the DHE server gets the RFC 7919 group ffdhe3072. */
const CUSTOM_DH = TEST_POSTFIX_VERSION === PostfixVersion.V3_7;

const CERTLESS = { name: 'pfit-modes-certless', smtp: 23025, host: 'certless.modes.test' };
const DHE = { name: 'pfit-modes-dhe', smtp: 23125, host: 'dhe.modes.test' };
const ASKING = { name: 'pfit-modes-asking', smtp: 23225, host: 'asking.modes.test' };
const MODERN = { name: 'pfit-modes-modern', smtp: 23325, host: 'modern.modes.test' };
const STARTTLS_TIMEOUT_SECONDS = 3;
/** Custom DH parameters are made once (a 2048-bit safe prime takes seconds to minutes) and kept here. */
const DH_CACHE = resolve(__dirname, '..', '..', '.cache', 'integration', 'dh-custom-2048.pem');

/** An anonymous-cipher client: TLS 1.2 (TLS 1.3 has no anonymous suites), aNULL only, security level 0. */
const ANONYMOUS_CLIENT = ['-tls1_2', '-cipher', 'aNULL:@SECLEVEL=0'];
const DHE_CLIENT = ['-tls1_2', '-cipher', 'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256', '-msg'];

/** The prime p of a DH PARAMETERS file, as lowercase hex without leading zero bytes (openssl as the oracle). */
async function primeOfFile(path: string): Promise<string> {
  const result = await run('openssl', ['pkeyparam', '-in', path, '-noout', '-text']);
  if (result.code !== 0) throw new Error(`openssl pkeyparam failed: ${result.stderr}`);
  const block = /\bP:\s*\n([\s0-9a-f:]+?)\n\s*G:/.exec(result.stdout)?.[1];
  if (!block) throw new Error(`no prime in openssl output:\n${result.stdout}`);
  return block.replace(/[\s:]/g, '').replace(/^(00)+/, '');
}

/** dh_p of the ServerKeyExchange an `-msg` s_client run printed (TLS 1.2 DHE: 2-byte length, then p). */
function primeOfHandshake(result: SClientResult): string {
  const match = /ServerKeyExchange\n((?:\s+(?:[0-9a-f]{2} ?)+\n)+)/.exec(result.output);
  if (!match) throw new Error(`no ServerKeyExchange in s_client -msg output:\n${result.output.slice(0, 4000)}`);
  const bytes = Buffer.from(match[1].replace(/\s/g, ''), 'hex');
  if (bytes[0] !== 0x0c) throw new Error('not a ServerKeyExchange message');
  const length = bytes.readUInt16BE(4);
  return bytes.subarray(6, 6 + length).toString('hex').replace(/^(00)+/, '');
}

describeWithDocker('certificate-less TLS, anonymous ciphers, DH parameters, timeouts and protocol floor (live Postfix)', () => {
  const tmp = new TempDir('modes');
  const live = new LiveStack(tmp);
  let customPrime: string;

  beforeAll(async () => {
    mkdirSync(join(DH_CACHE, '..'), { recursive: true });
    const dh = ensureCustomDhParams(DH_CACHE, 2048);
    customPrime = await primeOfFile(dh.path);
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('modes-root', 'rsa');
    const rsa = await pki.server('modes-rsa', 'modes-root', [DHE.host, ASKING.host, MODERN.host], 'rsa');
    const clientCa = await pki.root('modes-client-ca');
    const certificates = (): ServerCertificate[] => [ServerCertificate.fromFiles({ chainFile: rsa.chainPath, keyFile: rsa.keyPath })];

    await live.start('modes', (stack, image) => {
      const certless = testServer(stack, 'certless', { hostname: CERTLESS.host, port: CERTLESS.smtp, publicMx: false });
      new TlsServer(certless, 'Tls', {
        certificateless: true,
        profile: TlsProfile.POSTFIX_DEFAULT,
        starttlsTimeoutSeconds: STARTTLS_TIMEOUT_SECONDS,
        logLevel: 1,
      });
      testContainer(stack, certless, image, CERTLESS.name);

      const dhe = testServer(stack, 'dhe', { hostname: DHE.host, port: DHE.smtp });
      new TlsServer(dhe, 'Tls', { certificates: certificates(), profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: CUSTOM_DH ? DhParameters.fromFile(dh.path) : DhParameters.ffdhe(3072) });
      testContainer(stack, dhe, image, DHE.name);

      const asking = testServer(stack, 'asking', { hostname: ASKING.host, port: ASKING.smtp });
      new TlsServer(asking, 'Tls', { certificates: certificates(), profile: TlsProfile.POSTFIX_DEFAULT });
      new ClientCertPolicy(asking, 'ClientCerts', { trustedCaFiles: [clientCa.certPath], askForCertificates: true });
      testContainer(stack, asking, image, ASKING.name);

      const modern = testServer(stack, 'modern', { hostname: MODERN.host, port: MODERN.smtp, publicMx: false });
      new TlsServer(modern, 'Tls', { certificates: certificates(), securityLevel: SecurityLevel.ENCRYPT, profile: TlsProfile.MODERN });
      testContainer(stack, modern, image, MODERN.name);
    });
  }, 300_000);


  test('certificate-less mode: only an anonymous-cipher client completes a handshake', async () => {
    const anonymous = await sClient(CERTLESS.smtp, { args: ANONYMOUS_CLIENT });
    expect(anonymous.handshake).toBe(true);
    expect(anonymous.cipher).toMatch(/^A(EC)?DH-/);
    expect(anonymous.chain).toHaveLength(0);
    expect(anonymous.output).toContain('No client certificate CA names sent');

    const ordinary = await sClient(CERTLESS.smtp);
    expect(ordinary.handshake).toBe(false);
    const authenticatedTls12 = await sClient(CERTLESS.smtp, { args: ['-tls1_2'] });
    expect(authenticatedTls12.handshake).toBe(false);
    expect(authenticatedTls12.output).toMatch(/alert handshake failure/);
  });

  test('anonymous ciphers are refused where client certificates are asked for, and accepted by the same profile when they are not', async () => {
    const asking = await sClient(ASKING.smtp, { args: ANONYMOUS_CLIENT });
    expect(asking.handshake).toBe(false);
    const notAsking = await sClient(DHE.smtp, { args: ANONYMOUS_CLIENT });
    expect(notAsking.handshake).toBe(true);
    expect(notAsking.cipher).toMatch(/^A(EC)?DH-/);
  });

  if (CUSTOM_DH) test('custom DH parameters are used by a DHE handshake (same prime, same size); without them the built-in group is used', async () => {
    const custom = await sClient(DHE.smtp, { args: DHE_CLIENT });
    expect(custom.handshake).toBe(true);
    expect(custom.cipher).toMatch(/^DHE-RSA-/);
    expect(custom.output).toMatch(/Server Temp Key: DH, 2048 bits/);
    expect(primeOfHandshake(custom)).toBe(customPrime);
    expect(customPrime.length * 4).toBe(2048);

    const builtIn = await sClient(ASKING.smtp, { args: DHE_CLIENT });
    expect(builtIn.handshake).toBe(true);
    expect(primeOfHandshake(builtIn)).not.toBe(customPrime);
  });

  if (!CUSTOM_DH) test('3.10: DhParameters.ffdhe(3072) is the only FFDHE group of a TLS 1.3 handshake (tls_ffdhe_auto_groups)', async () => {
    const offered = await sClient(DHE.smtp, { args: ['-tls1_3', '-groups', 'ffdhe3072'] });
    expect(offered.handshake).toBe(true);
    expect(offered.output).toMatch(/(Server Temp Key|Negotiated TLS1\.3 group): (DH, 3072 bits|ffdhe3072)/);
    const other = await sClient(DHE.smtp, { args: ['-tls1_3', '-groups', 'ffdhe2048'] });
    expect(other.handshake).toBe(false);
    // Postfix's default FFDHE groups (ffdhe2048 first) on a server without dhParameters.
    const defaults = await sClient(ASKING.smtp, { args: ['-tls1_3', '-groups', 'ffdhe2048'] });
    expect(defaults.handshake).toBe(true);
  });

  test(`a client that stalls in the TLS handshake is dropped after the STARTTLS timeout (${STARTTLS_TIMEOUT_SECONDS}s)`, async () => {
    const since = await live.harness.logCursor(CERTLESS.name);
    const elapsedMs = await new Promise<number>((resolvePromise, reject) => {
      const socket = netConnect({ host: HOST, port: CERTLESS.smtp });
      let state: 'banner' | 'ehlo' | 'starttls' | 'stalled' = 'banner';
      let buffer = '';
      let stalledAt = 0;
      const guard = setTimeout(() => {
        socket.destroy();
        reject(new Error(`server did not drop the stalled client within 20 s (state ${state})`));
      }, 20_000);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const reply = /(?:^|\n)(\d{3}) [^\n]*\n$/.exec(buffer);
        if (!reply) return;
        buffer = '';
        if (state === 'banner' && reply[1] === '220') {
          state = 'ehlo';
          socket.write('EHLO client.test\r\n');
        } else if (state === 'ehlo' && reply[1] === '250') {
          state = 'starttls';
          socket.write('STARTTLS\r\n');
        } else if (state === 'starttls' && reply[1] === '220') {
          state = 'stalled'; // from now on: silence, never a ClientHello
          stalledAt = Date.now();
        }
      });
      socket.on('close', () => {
        clearTimeout(guard);
        if (state !== 'stalled') reject(new Error(`closed in state ${state}: ${buffer}`));
        else resolvePromise(Date.now() - stalledAt);
      });
      socket.on('error', (e) => {
        clearTimeout(guard);
        reject(e);
      });
    });
    expect(elapsedMs).toBeGreaterThanOrEqual(STARTTLS_TIMEOUT_SECONDS * 1000 - 500);
    expect(elapsedMs).toBeLessThan(STARTTLS_TIMEOUT_SECONDS * 1000 + 4000);
    expect(await since(/SSL_accept error|timeout after STARTTLS/)).toMatch(/SSL_accept error from unknown\[127\.0\.0\.1\]|timeout after STARTTLS/);
  });

  test('a TLS 1.3 floor (modern profile) on a mandatory-TLS port refuses TLS 1.2, which the same client gets elsewhere', async () => {
    const tls12 = await sClient(MODERN.smtp, { args: ['-tls1_2'] });
    expect(tls12.handshake).toBe(false);
    const tls13 = await sClient(MODERN.smtp, { args: ['-tls1_3'] });
    expect(tls13.handshake).toBe(true);
    expect(tls13.protocol).toBe('TLSv1.3');
    const control = await sClient(DHE.smtp, { args: ['-tls1_2'] });
    expect(control.handshake).toBe(true);
    expect(control.protocol).toBe('TLSv1.2');
  });
  test('Postfix and the entrypoint logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
