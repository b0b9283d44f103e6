/** The development PKI: files, modes, openssl verification, and reuse across runs. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../lib/diagnostics';
import { CertificateFiles, LocalPki, PkiEvent } from '../../../lib/pki/local-pki';
import { splitPem } from '../../../lib/pki/pem';
import { openssl, opensslStatus, tempDir } from './helpers';

const HOSTS = ['mx.example.test', 'mail.example.test'];
const DAY = 86_400_000;

let tmp: ReturnType<typeof tempDir>;
let dir: string;
let files: Record<string, CertificateFiles>;
const events: PkiEvent[] = [];

/** The same requests a synth would make. */
async function synth(pki: LocalPki, hosts = HOSTS): Promise<Record<string, CertificateFiles>> {
  const root = await pki.ensureRootCa('root');
  const inter = await pki.ensureIntermediate('inter', 'root');
  const mxRsa = await pki.ensureServerCert('mx-rsa', { issuer: 'inter', hostnames: hosts, algorithm: 'rsa' });
  const mxEc = await pki.ensureServerCert('mx-ecdsa', { issuer: 'inter', hostnames: hosts, algorithm: 'ecdsa' });
  const direct = await pki.ensureServerCert('direct', { issuer: 'root', hostnames: ['direct.example.test', '127.0.0.1'] });
  const client = await pki.ensureClientCert('client', { issuer: 'inter', commonName: 'relay client', algorithm: 'ecdsa' });
  return { root, inter, mxRsa, mxEc, direct, client };
}

/** Every file's bytes and mtime, to prove a run changed nothing. */
function snapshot(): Record<string, { bytes: string; mtimeMs: number; mode: number }> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((n) => {
        const st = statSync(join(dir, n));
        return [n, { bytes: readFileSync(join(dir, n)).toString('base64'), mtimeMs: st.mtimeMs, mode: st.mode & 0o777 }];
      }),
  );
}

beforeAll(async () => {
  tmp = tempDir('local-pki');
  dir = join(tmp.dir, 'project', '.pki');
  const pki = new LocalPki(dir, { onEvent: (e) => events.push(e) });
  files = await synth(pki);
});
afterAll(() => tmp.cleanup());

describe('a fresh directory', () => {
  test('holds NAME.crt.pem, NAME.key.pem and NAME.chain.pem for every entry, plus the manifest', () => {
    const names = readdirSync(dir).sort();
    for (const n of ['root', 'inter', 'mx-rsa', 'mx-ecdsa', 'direct', 'client']) {
      expect(names).toEqual(expect.arrayContaining([`${n}.crt.pem`, `${n}.key.pem`, `${n}.chain.pem`]));
    }
    expect(names).toContain('manifest.json');
    expect(names.some((n) => n.includes('.tmp-'))).toBe(false);
    expect(events.filter((e) => e.type === 'key-generated')).toHaveLength(6);
  });

  test('directory is 0700, keys 0600, certificates 0644', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of Object.values(files)) {
      expect(statSync(f.keyPath).mode & 0o777).toBe(0o600);
      expect(statSync(f.certPath).mode & 0o777).toBe(0o644);
      expect(statSync(f.chainPath).mode & 0o777).toBe(0o644);
    }
  });

  test('no private key is returned by the API', () => {
    expect(JSON.stringify(files)).not.toMatch(/PRIVATE KEY/);
  });

  test('server certificates verify with -purpose sslserver through the chain file', () => {
    for (const f of [files.mxRsa, files.mxEc, files.direct]) {
      for (const purpose of [[], ['-purpose', 'sslserver']]) {
        const r = opensslStatus(['verify', ...purpose, '-CAfile', files.root.certPath, '-untrusted', f.chainPath, f.certPath]);
        expect(r).toEqual({ ok: true, out: `${f.certPath}: OK\n` });
      }
    }
  });

  test('the client certificate verifies with -purpose sslclient, and not as a server', () => {
    const args = ['-CAfile', files.root.certPath, '-untrusted', files.client.chainPath, files.client.certPath];
    expect(opensslStatus(['verify', '-purpose', 'sslclient', ...args]).ok).toBe(true);
    expect(opensslStatus(['verify', '-purpose', 'sslserver', ...args]).out).toMatch(/unsuitable certificate purpose/);
  });

  test('chain files hold the leaf and the intermediates, never the root', () => {
    const subjects = (p: string) => splitPem(readFileSync(p, 'utf8')).map((b) => new X509Certificate(b.der).subject);
    expect(subjects(files.mxRsa.chainPath)).toEqual([expect.stringContaining('mx.example.test'), expect.stringContaining('inter development intermediate CA')]);
    expect(subjects(files.direct.chainPath)).toEqual([expect.stringContaining('direct.example.test')]);
    expect(subjects(files.inter.chainPath)).toEqual([expect.stringContaining('inter development')]);
  });

  test('keys: RSA 2048 and ECDSA P-256; SANs, validity periods and random serials as requested', () => {
    const key = (f: CertificateFiles) => createPrivateKey(readFileSync(f.keyPath));
    expect(key(files.mxRsa).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(key(files.mxEc).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const cert = (f: CertificateFiles) => new X509Certificate(f.certPem);
    expect(cert(files.mxRsa).subjectAltName).toBe('DNS:mx.example.test, DNS:mail.example.test');
    expect(cert(files.direct).subjectAltName).toBe('DNS:direct.example.test, IP Address:127.0.0.1');
    const days = (f: CertificateFiles) => Math.round((Date.parse(cert(f).validTo) - Date.parse(cert(f).validFrom)) / DAY);
    expect(days(files.root)).toBe(3650);
    expect(days(files.inter)).toBe(3650);
    expect(days(files.mxEc)).toBe(397);
    expect(days(files.client)).toBe(397);
    const serials = Object.values(files).map((f) => cert(f).serialNumber);
    expect(new Set(serials).size).toBe(serials.length);
    expect(serials.every((s) => s.length === 32)).toBe(true);
    expect(openssl(['x509', '-noout', '-ext', 'extendedKeyUsage,basicConstraints', '-in', files.mxEc.certPath])).toMatch(/CA:FALSE[\s\S]*TLS Web Server Authentication/);
  });
});

describe('a second synth', () => {
  test('generates nothing and leaves every byte (and mtime) unchanged', async () => {
    const before = snapshot();
    const again: PkiEvent[] = [];
    const pki = new LocalPki(dir, { onEvent: (e) => again.push(e) });
    const second = await synth(pki);
    expect(pki.keysGenerated).toBe(0);
    expect(pki.certificatesIssued).toBe(0);
    expect(again.every((e) => e.type === 'reused')).toBe(true);
    expect(snapshot()).toEqual(before);
    expect(second).toEqual(files);
    expect(pki.get('mx-rsa')).toEqual(files.mxRsa);
  });

  test('changed host names reissue that certificate only, keeping its key', async () => {
    const keyBefore = readFileSync(files.mxEc.keyPath, 'utf8');
    const pki = new LocalPki(dir);
    const hosts = [...HOSTS, 'smtp.example.test'];
    const result = await synth(pki, hosts);
    expect(pki.events.filter((e) => e.type === 'certificate-issued').map((e) => [e.name, e.reason])).toEqual([
      ['mx-rsa', 'parameters changed'],
      ['mx-ecdsa', 'parameters changed'],
    ]);
    expect(pki.keysGenerated).toBe(0);
    expect(readFileSync(files.mxEc.keyPath, 'utf8')).toBe(keyBefore);
    expect(new X509Certificate(result.mxEc.certPem).subjectAltName).toContain('DNS:smtp.example.test');
    expect(opensslStatus(['verify', '-purpose', 'sslserver', '-CAfile', files.root.certPath, '-untrusted', result.mxEc.chainPath, result.mxEc.certPath]).ok).toBe(true);
    // And the run after that is quiet again.
    const third = new LocalPki(dir);
    await synth(third, hosts);
    expect(third.certificatesIssued).toBe(0);
  });

  test('a changed algorithm makes a new key; a reissued CA reissues what it signed', async () => {
    const pki = new LocalPki(dir);
    await pki.ensureRootCa('root');
    await pki.ensureIntermediate('inter', 'root', { commonName: 'Renamed Intermediate' });
    const leaf = await pki.ensureServerCert('mx-ecdsa', { issuer: 'inter', hostnames: HOSTS, algorithm: 'rsa' });
    expect(pki.events.map((e) => [e.type, e.name])).toEqual([
      ['reused', 'root'],
      ['certificate-issued', 'inter'],
      ['chain-written', 'inter'],
      ['key-generated', 'mx-ecdsa'],
      ['certificate-issued', 'mx-ecdsa'],
      ['chain-written', 'mx-ecdsa'],
    ]);
    expect(createPrivateKey(readFileSync(leaf.keyPath)).asymmetricKeyType).toBe('rsa');
    expect(opensslStatus(['verify', '-purpose', 'sslserver', '-CAfile', files.root.certPath, '-untrusted', leaf.chainPath, leaf.certPath]).ok).toBe(true);
    // The client, signed by the old intermediate, is reissued on its next ensure.
    const client = await pki.ensureClientCert('client', { issuer: 'inter', commonName: 'relay client', algorithm: 'ecdsa' });
    expect(pki.events.at(-2)).toEqual({ type: 'certificate-issued', name: 'client', reason: 'issuer was reissued' });
    expect(opensslStatus(['verify', '-purpose', 'sslclient', '-CAfile', files.root.certPath, '-untrusted', client.chainPath, client.certPath]).ok).toBe(true);
  });

  test('a certificate edited on disk is reissued', async () => {
    const pki = new LocalPki(dir);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(files.direct.certPath, readFileSync(files.mxRsa.certPath));
    await pki.ensureServerCert('direct', { issuer: 'root', hostnames: ['direct.example.test', '127.0.0.1'] });
    expect(pki.events.find((e) => e.type === 'certificate-issued')).toEqual({ type: 'certificate-issued', name: 'direct', reason: 'certificate file changed on disk' });
  });
});

describe('deliberately bad certificates and misuse', () => {
  test('expired and client-only server certificates, which openssl rejects', async () => {
    const pki = new LocalPki(join(tmp.dir, 'bad'));
    const root = await pki.ensureRootCa('root');
    const window = { notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 10 * DAY) };
    const expired = await pki.ensureServerCert('expired', { issuer: 'root', hostnames: ['old.example.test'], ...window });
    const clientOnly = await pki.ensureServerCert('client-only', { issuer: 'root', hostnames: ['x.example.test'], extendedKeyUsage: ['clientAuth'] });
    expect(opensslStatus(['verify', '-CAfile', root.certPath, expired.certPath]).out).toMatch(/certificate has expired/);
    expect(opensslStatus(['verify', '-purpose', 'sslserver', '-CAfile', root.certPath, clientOnly.certPath]).out).toMatch(/unsuitable certificate purpose/);
    // An explicitly expired certificate is what was asked for: it is reused, not "renewed".
    const again = new LocalPki(join(tmp.dir, 'bad'));
    await again.ensureRootCa('root');
    await again.ensureServerCert('expired', { issuer: 'root', hostnames: ['old.example.test'], ...window });
    expect(again.certificatesIssued).toBe(0);
  });

  test('pathLength lets intermediates stack (openssl verifies the chain); the default 0 does not; a bad value is refused', async () => {
    const pki = new LocalPki(join(tmp.dir, 'deep'));
    const root = await pki.ensureRootCa('root');
    await pki.ensureIntermediate('upper', 'root', { pathLength: 1 });
    await pki.ensureIntermediate('lower', 'upper');
    await pki.ensureIntermediate('too-deep', 'lower');
    const leaf = await pki.ensureClientCert('leaf', { issuer: 'lower', commonName: 'leaf' });
    const below = await pki.ensureClientCert('below', { issuer: 'too-deep', commonName: 'below' });
    expect(opensslStatus(['verify', '-CAfile', root.certPath, '-untrusted', leaf.chainPath, leaf.certPath]).out).toMatch(/: OK/);
    expect(splitPem(readFileSync(leaf.chainPath, 'utf8'))).toHaveLength(3);
    expect(opensslStatus(['verify', '-CAfile', root.certPath, '-untrusted', below.chainPath, below.certPath]).out).toMatch(/path length constraint exceeded/);
    await expect(pki.ensureIntermediate('bad', 'root', { pathLength: -1 })).rejects.toThrow(/path length -1 must be an integer from 0 to 8/);
  });

  test('certificates close to expiry are renewed', async () => {
    const d = join(tmp.dir, 'renew');
    await new LocalPki(d).ensureRootCa('root');
    const later = new LocalPki(d, { now: () => new Date(Date.now() + 3640 * DAY) });
    await later.ensureRootCa('root');
    expect(later.events[0]).toMatchObject({ type: 'certificate-issued', reason: 'certificate expires soon' });
    expect(later.keysGenerated).toBe(0);
  });

  test('unknown issuers, leaf issuers and unsafe names are refused', async () => {
    const pki = new LocalPki(join(tmp.dir, 'misuse'));
    await expect(pki.ensureServerCert('a', { issuer: 'nope', hostnames: ['a.test'] })).rejects.toThrow(/ensure the CA first/);
    await pki.ensureRootCa('root');
    await pki.ensureClientCert('leaf', { issuer: 'root', commonName: 'x' });
    await expect(pki.ensureClientCert('b', { issuer: 'leaf', commonName: 'y' })).rejects.toThrow(/not a CA/);
    await expect(pki.ensureRootCa('../escape')).rejects.toThrow(ConfigError);
    await expect(pki.ensureServerCert('c', { issuer: 'root', hostnames: [] })).rejects.toThrow(ConfigError);
    await expect(pki.ensureServerCert('c', { issuer: 'root', hostnames: ['bad name'] })).rejects.toThrow(/invalid host name/);
    await expect(pki.ensureRootCa('r2', { algorithm: 'dsa' as never })).rejects.toThrow(/unknown key algorithm/);
    // A failed call does not block the ones after it.
    expect((await pki.ensureRootCa('root')).name).toBe('root');
  });
});
