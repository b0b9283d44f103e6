/**
 * Issue 12, part 2: a certificate rotates without downtime. Under continuous STARTTLS load (4 client loops on
 * loopback, each session EHLO, STARTTLS, EHLO, MAIL/RCPT/DATA to a local recipient, QUIT), a second stack whose
 * only change is a new server certificate and key is applied the way `terraform apply` would: only the loader
 * container is replaced, the running Postfix checks the new generation, swaps it in and reloads. Measured: failed
 * sessions (0), messages accepted and delivered (all), seconds until the new certificate is served; the Postfix
 * container id is unchanged. A main.cf-only change is applied by reload too. Then a broken generation (the key of
 * one certificate with the chain of another) is refused: the old certificate is still served, the refusal is in
 * `docker logs` and the healthcheck is unhealthy naming the generation and the reason.
 * Port 49025 on 127.0.0.1, host networking.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TerraformStack } from 'cdktf';
import { PostfixImage, ServerCertificate, TlsServer } from '../../index';
import { CertificateFiles } from '../../lib/pki/local-pki';
import { eventually, sClient, SmtpSession, testMessage } from './clients';
import { describeWithDocker } from './docker-available';
import { DockerHarness, run } from './harness';
import { synthStack, TempDir, testContainer, TestPki, testServer } from './stacks';

const MX = { name: 'pfit-rotation-mx', smtp: 49025, host: 'mx.rotation.test' };
const LOADER = `${MX.name}-loader`;
const CLIENT_LOOPS = 4;
/** The load runs until the new certificate has been served for this long, and never longer than LOAD_LIMIT_MS. */
const LOAD_AFTER_ROTATION_MS = 3000;
const LOAD_LIMIT_MS = 30_000;

interface LoadResult {
  sessions: number;
  readonly failures: string[];
  readonly queueIds: string[];
  /** Sessions by the fingerprint of the certificate the server presented. */
  readonly byCertificate: Map<string, number>;
}

/** One session: EHLO, STARTTLS, EHLO, one message to root@localhost, QUIT. Returns the queue id and the certificate. */
async function session(subject: string): Promise<{ queueId: string; fingerprint: string }> {
  const smtp = await SmtpSession.open(MX.smtp);
  try {
    await smtp.ehlo();
    const tls = await smtp.startTls({ servername: MX.host });
    const fingerprint = tls.getPeerX509Certificate()!.fingerprint256;
    await smtp.ehlo();
    const replies = await smtp.sendMail('sender@client.test', ['root@localhost'], testMessage(subject));
    const last = replies[replies.length - 1];
    const queueId = last.code === 250 ? /queued as ([0-9A-F]+)/.exec(last.text)?.[1] : undefined;
    if (!queueId) throw new Error(`message not accepted: ${replies.map((r) => `${r.code} ${r.text}`).join(' | ')}`);
    await smtp.quit();
    return { queueId, fingerprint };
  } finally {
    smtp.destroy();
  }
}

/** CLIENT_LOOPS loops of sessions until `stop()` says so. */
async function load(stop: () => boolean): Promise<LoadResult> {
  const result: LoadResult = { sessions: 0, failures: [], queueIds: [], byCertificate: new Map() };
  const loop = async (n: number): Promise<void> => {
    for (let i = 0; !stop(); i++) {
      result.sessions++;
      try {
        const { queueId, fingerprint } = await session(`rotation-${n}-${i}-${Date.now()}`);
        result.queueIds.push(queueId);
        result.byCertificate.set(fingerprint, (result.byCertificate.get(fingerprint) ?? 0) + 1);
      } catch (e) {
        result.failures.push(`loop ${n} session ${i}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENT_LOOPS }, (_, n) => loop(n)));
  return result;
}

const fingerprintOf = (cert: CertificateFiles): string => new X509Certificate(readFileSync(cert.certPath)).fingerprint256;

async function servedFingerprint(): Promise<string | undefined> {
  const result = await sClient(MX.smtp, { args: ['-servername', MX.host] });
  return result.handshake ? result.chain[0]?.fingerprint256 : undefined;
}

async function health(): Promise<{ status: string; last: string }> {
  const inspected = JSON.parse((await run('docker', ['inspect', '-f', '{{json .State.Health}}', MX.name])).stdout) as { Status: string; Log: { Output: string }[] };
  return { status: inspected.Status, last: inspected.Log.at(-1)?.Output.trim() ?? '' };
}

describeWithDocker('certificate rotation without downtime: reload, not replace (live Postfix)', () => {
  const tmp = new TempDir('rotation');
  let harness: DockerHarness | undefined;
  let certs: Record<'a' | 'b' | 'c' | 'd', CertificateFiles>;
  /** Synthesizes the stack with `cert` and extra main.cf parameters; returns the cdk.tf.json path. */
  let stackWith: (version: string, cert: CertificateFiles, extra?: Record<string, string>) => string;

  beforeAll(async () => {
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('rotation-root');
    const issue = (name: string) => pki.server(`rotation-${name}`, 'rotation-root', [MX.host], 'ecdsa');
    certs = { a: await issue('a'), b: await issue('b'), c: await issue('c'), d: await issue('d') };
    stackWith = (version, cert, extra = {}) =>
      synthStack(`${tmp.path}/${version}`, 'rotation', (stack: TerraformStack, image: PostfixImage) => {
        const server = testServer(stack, 'mx', { hostname: MX.host, port: MX.smtp, publicMx: false, additionalParameters: extra });
        new TlsServer(server, 'Tls', { certificates: [ServerCertificate.fromFiles({ chainFile: cert.chainPath, keyFile: cert.keyPath })] });
        testContainer(stack, server, image, MX.name);
      }).cdkTfJsonPath;
    harness = DockerHarness.fromFile(stackWith('v1', certs.a));
    await harness.up();
  }, 180_000);

  afterAll(async () => {
    await harness?.destroy();
    tmp.cleanup();
  }, 60_000);

  const apply = (path: string) => harness!.apply(readFileSync(path, 'utf8'), dirname(path));

  test('a new certificate and key under STARTTLS load: 0 failed sessions, every message delivered, the new certificate served, the same container', async () => {
    const h = harness!;
    expect(await servedFingerprint()).toBe(fingerprintOf(certs.a));
    const containerId = await h.containerId(MX.name);
    const v2 = stackWith('v2', certs.b);

    const started = Date.now();
    let rotatedAt: number | undefined;
    const running = load(() => Date.now() - started > LOAD_LIMIT_MS || (rotatedAt !== undefined && Date.now() - rotatedAt > LOAD_AFTER_ROTATION_MS));
    await new Promise((r) => setTimeout(r, 2000)); // load first, then the change
    const applied = Date.now();
    const plan = await apply(v2);
    const served = await eventually('the new certificate served', async () => ((await servedFingerprint()) === fingerprintOf(certs.b) ? Date.now() : undefined), LOAD_LIMIT_MS, 100);
    rotatedAt = served;
    const result = await running;
    const secondsToNewCertificate = (served - applied) / 1000;

    // Every accepted message is delivered (local(8) to /var/mail/root), none lost.
    const logs = await eventually('every accepted message delivered', async () => {
      const text = await h.logs(MX.name);
      return result.queueIds.every((id) => new RegExp(`${id}: to=<root@localhost>, .*status=sent`).test(text)) ? text : undefined;
    }, 60_000, 1000).catch(() => h.logs(MX.name));
    const delivered = result.queueIds.filter((id) => new RegExp(`${id}: to=<root@localhost>, .*status=sent`).test(logs));
    const byCertificate = { old: result.byCertificate.get(fingerprintOf(certs.a)) ?? 0, new: result.byCertificate.get(fingerprintOf(certs.b)) ?? 0 };
    console.log(
      `certificate rotation under load (${CLIENT_LOOPS} loops): ${result.sessions} sessions, ${result.failures.length} failed; ` +
        `${result.queueIds.length} messages accepted, ${delivered.length} delivered, ${result.queueIds.length - delivered.length} lost; ` +
        `sessions with the old certificate ${byCertificate.old}, with the new ${byCertificate.new}; ` +
        `new certificate served ${secondsToNewCertificate.toFixed(1)} s after the apply started`,
    );

    expect(plan).toEqual({ replaced: [LOADER], kept: [MX.name] });
    expect(result.failures).toEqual([]);
    expect(result.queueIds.length).toBe(result.sessions);
    expect(delivered).toEqual(result.queueIds);
    // The load saw both certificates: sessions ran across the change.
    expect(byCertificate.old).toBeGreaterThan(0);
    expect(byCertificate.new).toBeGreaterThan(0);
    expect(byCertificate.old + byCertificate.new).toBe(result.sessions);
    expect(secondsToNewCertificate).toBeLessThan(LOAD_LIMIT_MS / 1000);
    expect(await h.containerId(MX.name)).toBe(containerId);
    expect(await h.logs(MX.name)).toMatch(/postfix-entrypoint: generation [0-9a-f]{16} is active \(postfix reload\)/);
    expect((await health()).status).toBe('healthy');
  }, 180_000);

  test('a main.cf-only change is applied by reload: the new banner, the same container; only the active and the previous generation are kept', async () => {
    const h = harness!;
    const containerId = await h.containerId(MX.name);
    const statusActive = async () => /^active=(\S+)$/m.exec(await h.execOk(MX.name, ['cat', '/var/lib/postfix-config/status']))?.[1];
    const before = await statusActive();
    const plan = await apply(stackWith('v2-banner', certs.b, { smtpd_banner: `${MX.host} ESMTP rotated-config` }));
    expect(plan).toEqual({ replaced: [LOADER], kept: [MX.name] });
    const banner = await eventually('the new banner', async () => {
      const smtp = await SmtpSession.open(MX.smtp);
      await smtp.quit();
      return smtp.banner.text.includes('rotated-config') ? smtp.banner.text : undefined;
    }, 30_000, 250);
    expect(banner).toBe(`${MX.host} ESMTP rotated-config`);
    expect(await h.containerId(MX.name)).toBe(containerId);
    // v1's generation is gone; v2's (the previous) and this one stay.
    const after = await statusActive();
    const generations = (await h.execOk(MX.name, ['ls', '/var/lib/postfix-config/generations'])).split('\n').filter(Boolean);
    expect(generations.sort()).toEqual([before, after].sort());
    expect(after).not.toBe(before);
    expect(await servedFingerprint()).toBe(fingerprintOf(certs.b));
  }, 90_000);

  test('a broken generation (the key of one certificate with the chain of another) is refused: the old certificate keeps serving, docker logs and the healthcheck say why', async () => {
    const h = harness!;
    const containerId = await h.containerId(MX.name);
    const status = () => h.execOk(MX.name, ['cat', '/var/lib/postfix-config/status']);
    const active = /^active=(\S+)$/m.exec(await status())?.[1];
    expect(active).toMatch(/^[0-9a-f]{16}$/);
    // Synthesized with c's matching key and chain (synth checks the pair); before the apply, c's key file is
    // replaced by d's: what a renewal that wrote the new key but not the new chain leaves on disk.
    const v3 = stackWith('v3', certs.c, { smtpd_banner: `${MX.host} ESMTP rotated-config` });
    copyFileSync(certs.d.keyPath, certs.c.keyPath);
    const since = Date.now();
    expect(await apply(v3)).toEqual({ replaced: [LOADER], kept: [MX.name] });

    const refusal = await eventually('the refusal in docker logs', async () => /postfix-entrypoint: refused generation ([0-9a-f]{16}): (.*)/.exec(await h.logs(MX.name)) ?? undefined, 30_000, 250);
    const [, refused, reason] = refusal;
    expect(refused).not.toBe(active);
    expect(reason).toBe('smtpd_tls_chain_files (main.cf): the private key in /etc/postfix/tls/private/ecdsa.key.pem does not match the first certificate in /etc/postfix/tls/ecdsa.chain.pem: deploy the key and chain of one certificate');
    expect(await h.logs(MX.name)).not.toContain('PRIVATE KEY');
    expect(await status()).toMatch(new RegExp(`^active=${active}\\nrefused=${refused}\\nreason=${reason.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n`));
    // The old generation keeps serving: certificate b, and mail is still accepted.
    expect(await servedFingerprint()).toBe(fingerprintOf(certs.b));
    expect((await session(`after-refusal-${Date.now()}`)).fingerprint).toBe(fingerprintOf(certs.b));
    expect(await h.containerId(MX.name)).toBe(containerId);

    // Docker marks the container unhealthy after 3 failed checks 10 s apart; the probe output names the reason.
    const unhealthy = await eventually('the healthcheck reports the refusal', async () => {
      const state = await health();
      return state.status === 'unhealthy' ? state : undefined;
    }, 60_000, 1000);
    expect(unhealthy.last).toBe(`healthcheck: configuration generation ${refused} was refused: ${reason} (still serving generation ${active}; see docker logs)`);
    console.log(`broken generation ${refused} refused; container unhealthy ${((Date.now() - since) / 1000).toFixed(1)} s after the apply started, old certificate still served`);
  }, 120_000);
});
