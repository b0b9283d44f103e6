/**
 * A development PKI made at synth time: root CA, optional intermediates, server and client
 * certificates, written as `NAME.crt.pem`, `NAME.key.pem` (mode 0600) and `NAME.chain.pem`
 * (leaf + intermediates, no root) into a 0700 directory, `.pki/` at the project root by default
 * (git-ignored).
 *
 * Every `ensure*` call reuses what is on disk when it still fits the request, recorded in
 * `manifest.json`: a second synth generates no key, issues no certificate and leaves every byte
 * as it was, so rendered configs and Terraform plans stay stable. Only a changed request (or an
 * issuer that was reissued, a file that was edited, a certificate close to expiry) causes
 * reissuing; an existing key of the same algorithm is kept, so public-key fingerprints listed
 * in relay_clientcerts survive.
 *
 * Key material stays in the key files: no public method returns it.
 */
import { createHash, createPrivateKey, createPublicKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { x509 } from './x509';
import { ConfigError } from '../diagnostics';
import { blocksOfKind, toPem } from './pem';
import { EKU } from './purpose';

/** The generator's parameter types name DOM globals (CryptoKey, Algorithm) that this Node project does not declare. */
type GeneratorParams = Extract<Parameters<typeof x509.X509CertificateGenerator.create>[0], { signingKey: unknown }>;

export type KeyAlgorithm = 'rsa' | 'ecdsa';
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'emailProtection' | 'codeSigning' | 'anyExtendedKeyUsage';
export type KeyUsageName = 'digitalSignature' | 'keyEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

/** Where an issued certificate lives; the key is only ever referenced by path. */
export interface CertificateFiles {
  /** Name of the entry in the PKI directory. */
  readonly name: string;
  /** The certificate alone, PEM. */
  readonly certPath: string;
  /** Private key, PKCS#8 PEM, unencrypted, mode 0600. */
  readonly keyPath: string;
  /** Leaf + intermediates, no root: what smtpd_tls_cert_file (or chain_files after the key) wants. */
  readonly chainPath: string;
  /** The certificate PEM (public material). */
  readonly certPem: string;
  /** A staged key rollover: the public key (SPKI PEM file) of the key the certificate will move to. */
  readonly nextPublicKeyPath?: string;
  /** After a switch, until it is retired: the public key (SPKI PEM file) of the key the certificate had before. */
  readonly previousPublicKeyPath?: string;
}

/**
 * A DANE key rollover of a server certificate (RFC 7671 section 8.1): stage a next key and publish its TLSA
 * record next to the current one, then switch the certificate to it; leaving the option out retires the
 * previous key.
 */
export type KeyRolloverStep = 'staged' | 'switched';

/** Options that every kind shares; the validity ones exist to make deliberately bad test certificates. */
export interface CommonCertOptions {
  /** Default 'ecdsa' (P-256). */
  readonly algorithm?: KeyAlgorithm;
  /** RSA modulus size, default 2048. Smaller values only make sense for negative tests. */
  readonly rsaBits?: number;
  readonly commonName?: string;
  /**
   * Fixed validity start (default: now minus one hour, for clock skew). Fixed dates are part of
   * the request: pass the same dates on every synth, or the certificate is reissued each time.
   */
  readonly notBefore?: Date;
  /** Fixed validity end (default: 10 years for CAs, 397 days for leaves). */
  readonly notAfter?: Date;
}

export type RootCaOptions = CommonCertOptions;
export interface IntermediateOptions extends CommonCertOptions {
  /** basicConstraints pathLenConstraint: how many intermediates may follow below it. Default 0. */
  readonly pathLength?: number;
}

export interface ServerCertOptions extends CommonCertOptions {
  /** Name of the issuing CA in this PKI. */
  readonly issuer: string;
  /** DNS names (and IP addresses) for subjectAltName; the first is the default CN. */
  readonly hostnames: readonly string[];
  /** Default ['serverAuth']. */
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  /** Default digitalSignature (+ keyEncipherment for RSA). */
  readonly keyUsage?: readonly KeyUsageName[];
  /** Where a key rollover stands; default none (a previous key is retired, i.e. deleted). */
  readonly keyRollover?: KeyRolloverStep;
}

export interface ClientCertOptions extends CommonCertOptions {
  readonly issuer: string;
  readonly commonName: string;
  /** Default ['clientAuth']. */
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  /** Default digitalSignature. */
  readonly keyUsage?: readonly KeyUsageName[];
}

export type PkiEventType = 'key-generated' | 'certificate-issued' | 'chain-written' | 'reused';

export interface PkiEvent {
  readonly type: PkiEventType;
  readonly name: string;
  /** Why a certificate was (re)issued, e.g. `parameters changed`. */
  readonly reason?: string;
}

export interface LocalPkiOptions {
  /** Called for every generation/reuse; tests use it to prove a second run generated nothing. */
  readonly onEvent?: (event: PkiEvent) => void;
  /** Clock, for tests. */
  readonly now?: () => Date;
  /** Reissue certificates with default validity this many days before they expire (default 30). */
  readonly renewBeforeDays?: number;
}

type Kind = 'root' | 'intermediate' | 'server' | 'client';

/** What a certificate was made from; reuse requires an equal record. */
interface Params {
  readonly kind: Kind;
  readonly algorithm: KeyAlgorithm;
  readonly rsaBits?: number;
  readonly commonName: string;
  readonly issuer?: string;
  readonly hostnames?: readonly string[];
  readonly extendedKeyUsage?: readonly string[];
  readonly keyUsage?: readonly string[];
  readonly pathLength?: number;
  readonly notBefore?: string;
  readonly notAfter?: string;
}

interface ManifestEntry {
  readonly params: Params;
  readonly certSha256: string;
  /** SHA-256 of the issuer's certificate at issue time: a reissued issuer forces reissuing. */
  readonly issuerCertSha256?: string;
}

interface Manifest {
  readonly version: 1;
  readonly entries: Record<string, ManifestEntry>;
}

const MANIFEST = 'manifest.json';
const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
/** CA/Browser Forum maximum for TLS leaf certificates; also keeps Apple clients happy. */
const LEAF_DAYS = 397;
const BACKDATE_MS = 3_600_000;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const KEY_USAGE_FLAGS: Record<KeyUsageName, number> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};

/** `.pki` under the directory synth runs in (the project root for `cdktf synth`). */
export function defaultPkiDir(): string {
  return resolve(process.cwd(), '.pki');
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export class LocalPki {
  readonly dir: string;
  private readonly options: LocalPkiOptions;
  private readonly log: PkiEvent[] = [];
  private manifest: Manifest;
  /** ensure* calls run one at a time, so parallel calls cannot both generate the same entry. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string = defaultPkiDir(), options: LocalPkiOptions = {}) {
    this.dir = resolve(dir);
    this.options = options;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    this.manifest = this.readManifest();
  }

  /** Everything generated or reused by this instance, in order. */
  get events(): readonly PkiEvent[] {
    return this.log;
  }

  /** Private keys generated by this instance (0 on a run that reused everything). */
  get keysGenerated(): number {
    return this.log.filter((e) => e.type === 'key-generated').length;
  }

  /** Certificates issued by this instance. */
  get certificatesIssued(): number {
    return this.log.filter((e) => e.type === 'certificate-issued').length;
  }

  ensureRootCa(name: string, options: RootCaOptions = {}): Promise<CertificateFiles> {
    return this.serialised(() =>
      this.ensure(name, {
        ...this.commonParams('root', options),
        commonName: options.commonName ?? `${name} development root CA`,
      }),
    );
  }

  ensureIntermediate(name: string, issuer: string, options: IntermediateOptions = {}): Promise<CertificateFiles> {
    return this.serialised(() => {
      const { pathLength } = options;
      if (pathLength !== undefined && !(Number.isInteger(pathLength) && pathLength >= 0 && pathLength <= 8)) {
        throw new ConfigError(`intermediate "${name}": path length ${String(pathLength)} must be an integer from 0 to 8`);
      }
      return this.ensure(name, {
        ...this.commonParams('intermediate', options),
        commonName: options.commonName ?? `${name} development intermediate CA`,
        issuer,
        // Recorded only when set, so manifests written before the option still match.
        ...(pathLength !== undefined ? { pathLength } : {}),
      });
    });
  }

  ensureServerCert(name: string, options: ServerCertOptions): Promise<CertificateFiles> {
    return this.serialised(async () => {
      const hostnames = normaliseHostnames(options.hostnames);
      if (hostnames.length === 0) throw new ConfigError(`server certificate "${name}" needs at least one host name`);
      const rollover = options.keyRollover;
      if (rollover !== undefined && rollover !== 'staged' && rollover !== 'switched') {
        throw new ConfigError(`server certificate "${name}": keyRollover "${String(rollover)}" is not "staged" or "switched"`);
      }
      const params: Params = {
        ...this.commonParams('server', options),
        commonName: options.commonName ?? defaultCommonName(hostnames[0], name),
        issuer: options.issuer,
        hostnames,
        extendedKeyUsage: [...(options.extendedKeyUsage ?? ['serverAuth'])],
        keyUsage: [...(options.keyUsage ?? leafKeyUsage(options.algorithm ?? 'ecdsa', true))],
      };
      const roll = this.rolloverPaths(name);
      if (rollover === 'switched') this.switchKey(name);
      else if (rollover === 'staged') this.unswitchKey(name);
      else this.removeKey(roll.previousKey, roll.previousPublic);
      const files = await this.ensure(name, params);
      if (rollover === 'staged') {
        if (!existsSync(roll.nextKey)) await this.generateKey(roll.nextKey, params, `${name} (next)`);
        writeFileIfChanged(roll.nextPublic, publicKeyPem(roll.nextKey), 0o644);
        return { ...files, nextPublicKeyPath: roll.nextPublic };
      }
      if (rollover === 'switched' && existsSync(roll.previousKey)) {
        writeFileIfChanged(roll.previousPublic, publicKeyPem(roll.previousKey), 0o644);
        return { ...files, previousPublicKeyPath: roll.previousPublic };
      }
      return files;
    });
  }

  /** Files of a rollover; their suffixes differ from every entry's (`.crt.pem`, `.key.pem`, `.chain.pem`). */
  private rolloverPaths(name: string) {
    return {
      nextKey: join(this.dir, `${name}.key.next.pem`),
      nextPublic: join(this.dir, `${name}.pub.next.pem`),
      previousKey: join(this.dir, `${name}.key.previous.pem`),
      previousPublic: join(this.dir, `${name}.pub.previous.pem`),
    };
  }

  /**
   * The switch: the staged next key becomes the key (the certificate is then reissued for it) and the key
   * becomes the previous one. Without a staged key the key is kept as previous and a new one is made, which
   * MailDnsRecords refuses until its TLSA record is declared published. Done once: later runs find no next key.
   */
  private switchKey(name: string): void {
    const { keyPath } = this.paths(name);
    const roll = this.rolloverPaths(name);
    if (!existsSync(keyPath) || (!existsSync(roll.nextKey) && existsSync(roll.previousKey))) return;
    renameSync(keyPath, roll.previousKey);
    if (existsSync(roll.nextKey)) renameSync(roll.nextKey, keyPath);
    unlinkIfExists(roll.nextPublic);
  }

  /**
   * STAGED after a switch (a previous key, no next key): the switch is undone, so the key DNS already has is
   * served again and the switched-to key is the next one once more. This is the way back from a switch that
   * MailDnsRecords refused (dane-switch-unpublished): deleting the previous key instead would make the next
   * deploy present a key whose TLSA record is not published yet. A new rollover after a switch starts from
   * a retire (no keyRollover), not from STAGED.
   */
  private unswitchKey(name: string): void {
    const { keyPath } = this.paths(name);
    const roll = this.rolloverPaths(name);
    if (!existsSync(roll.previousKey)) return;
    if (existsSync(roll.nextKey) || !existsSync(keyPath)) {
      this.removeKey(roll.previousKey, roll.previousPublic);
      return;
    }
    renameSync(keyPath, roll.nextKey);
    renameSync(roll.previousKey, keyPath);
    unlinkIfExists(roll.previousPublic);
  }

  private removeKey(keyPath: string, publicPath: string): void {
    unlinkIfExists(keyPath);
    unlinkIfExists(publicPath);
  }

  ensureClientCert(name: string, options: ClientCertOptions): Promise<CertificateFiles> {
    return this.serialised(() =>
      this.ensure(name, {
        ...this.commonParams('client', options),
        commonName: options.commonName,
        issuer: options.issuer,
        extendedKeyUsage: [...(options.extendedKeyUsage ?? ['clientAuth'])],
        keyUsage: [...(options.keyUsage ?? leafKeyUsage(options.algorithm ?? 'ecdsa', false))],
      }),
    );
  }

  /** The files of an entry made earlier (this run or a previous one), without generating anything. */
  get(name: string): CertificateFiles | undefined {
    if (!this.manifest.entries[name]) return undefined;
    const files = this.paths(name);
    if (!existsSync(files.certPath) || !existsSync(files.keyPath) || !existsSync(files.chainPath)) return undefined;
    return { ...files, certPem: readFileSync(files.certPath, 'utf8') };
  }

  private paths(name: string): Omit<CertificateFiles, 'certPem'> {
    return {
      name,
      certPath: join(this.dir, `${name}.crt.pem`),
      keyPath: join(this.dir, `${name}.key.pem`),
      chainPath: join(this.dir, `${name}.chain.pem`),
    };
  }

  private commonParams(kind: Kind, o: CommonCertOptions): Params {
    const algorithm = o.algorithm ?? 'ecdsa';
    if (algorithm !== 'rsa' && algorithm !== 'ecdsa') throw new ConfigError(`unknown key algorithm "${String(algorithm)}": use "rsa" or "ecdsa"`);
    return {
      kind,
      algorithm,
      commonName: '',
      ...(algorithm === 'rsa' ? { rsaBits: o.rsaBits ?? 2048 } : {}),
      ...(o.notBefore ? { notBefore: wholeSeconds(o.notBefore) } : {}),
      ...(o.notAfter ? { notAfter: wholeSeconds(o.notAfter) } : {}),
    };
  }

  /** Runs fn after the calls before it; its errors (validation included) become rejections. */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private emit(event: PkiEvent): void {
    this.log.push(event);
    this.options.onEvent?.(event);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async ensure(name: string, params: Params): Promise<CertificateFiles> {
    if (!NAME_RE.test(name) || name === MANIFEST) {
      throw new ConfigError(`invalid PKI entry name "${name}": use letters, digits, ".", "_" and "-" (it becomes a file name)`);
    }
    const issuer = params.issuer !== undefined ? this.requireIssuer(params.issuer, name) : undefined;
    const files = this.paths(name);
    const reason = this.reissueReason(name, params, issuer);
    if (reason === undefined) {
      this.writeChain(name, issuer);
      this.emit({ type: 'reused', name });
      return { ...files, certPem: readFileSync(files.certPath, 'utf8') };
    }

    const key = await this.obtainKey(name, params);
    const certPem = await this.issue(params, key, issuer);
    writeFileAtomic(files.certPath, certPem, 0o644);
    this.emit({ type: 'certificate-issued', name, reason });
    this.manifest = {
      version: 1,
      entries: {
        ...this.manifest.entries,
        [name]: {
          params,
          certSha256: sha256(certPem),
          ...(issuer ? { issuerCertSha256: sha256(issuer.certPem) } : {}),
        },
      },
    };
    this.writeManifest();
    this.writeChain(name, issuer);
    return { ...files, certPem };
  }

  private requireIssuer(issuerName: string, forName: string): { name: string; certPem: string; keyPath: string; params: Params } {
    const entry = this.manifest.entries[issuerName];
    const files = this.paths(issuerName);
    if (!entry || !existsSync(files.certPath) || !existsSync(files.keyPath)) {
      throw new ConfigError(`"${forName}" names issuer "${issuerName}", which this PKI does not have: ensure the CA first (ensureRootCa / ensureIntermediate)`);
    }
    if (entry.params.kind !== 'root' && entry.params.kind !== 'intermediate') {
      throw new ConfigError(`"${forName}" names issuer "${issuerName}", which is a ${entry.params.kind} certificate, not a CA`);
    }
    return { name: issuerName, certPem: readFileSync(files.certPath, 'utf8'), keyPath: files.keyPath, params: entry.params };
  }

  /** undefined when the files on disk can be reused as they are; otherwise why not. */
  private reissueReason(name: string, params: Params, issuer: { certPem: string } | undefined): string | undefined {
    const entry = this.manifest.entries[name];
    const files = this.paths(name);
    if (!entry) return 'new entry';
    if (!existsSync(files.certPath) || !existsSync(files.keyPath)) return 'files missing';
    if (JSON.stringify(entry.params) !== JSON.stringify(params)) return 'parameters changed';
    const certPem = readFileSync(files.certPath, 'utf8');
    if (sha256(certPem) !== entry.certSha256) return 'certificate file changed on disk';
    if (issuer && sha256(issuer.certPem) !== entry.issuerCertSha256) return 'issuer was reissued';
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certPem);
      if (!cert.checkPrivateKey(loadPrivateKey(files.keyPath))) return 'key does not match certificate';
    } catch {
      return 'certificate or key unreadable';
    }
    if (params.notAfter === undefined) {
      const renewMs = (this.options.renewBeforeDays ?? 30) * DAY_MS;
      if (new Date(cert.validTo).getTime() - this.now().getTime() < renewMs) return 'certificate expires soon';
    }
    return undefined;
  }

  /** Keeps an existing key of the right algorithm and size; generates one otherwise. */
  private async obtainKey(name: string, params: Params): Promise<{ privateKey: webcrypto.CryptoKey; spki: Buffer }> {
    const { keyPath } = this.paths(name);
    if (existsSync(keyPath)) {
      try {
        const existing = loadPrivateKey(keyPath);
        if (keyFits(existing, params)) return await importSigningKey(existing);
      } catch {
        // unreadable: replaced below
      }
    }
    return this.generateKey(keyPath, params, name);
  }

  /** A new key of the algorithm and size of `params`, written to `keyPath` (mode 0600). */
  private async generateKey(keyPath: string, params: Params, eventName: string): Promise<{ privateKey: webcrypto.CryptoKey; spki: Buffer }> {
    const algorithm =
      params.algorithm === 'rsa'
        ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: params.rsaBits ?? 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
        : { name: 'ECDSA', namedCurve: 'P-256' };
    const pair = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
    writeFileAtomic(keyPath, toPem('PRIVATE KEY', pkcs8), 0o600);
    pkcs8.fill(0);
    this.emit({ type: 'key-generated', name: eventName });
    return { privateKey: pair.privateKey, spki: Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey)) };
  }

  private async issue(
    params: Params,
    subjectKey: { privateKey: webcrypto.CryptoKey; spki: Buffer },
    issuer: { certPem: string; keyPath: string } | undefined,
  ): Promise<string> {
    const now = this.now();
    const isCa = params.kind === 'root' || params.kind === 'intermediate';
    const notBefore = params.notBefore ? new Date(params.notBefore) : new Date(now.getTime() - BACKDATE_MS);
    const notAfter = params.notAfter ? new Date(params.notAfter) : new Date(notBefore.getTime() + (isCa ? CA_DAYS : LEAF_DAYS) * DAY_MS);
    const subject: x509.JsonName = [{ CN: [params.commonName] }, { O: ['postfix-tls-cdktf development PKI'] }];

    const signer = issuer ? await importSigningKey(loadPrivateKey(issuer.keyPath)) : subjectKey;
    const issuerCert = issuer ? new x509.X509Certificate(issuer.certPem) : undefined;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(isCa, params.kind === 'intermediate' ? (params.pathLength ?? 0) : undefined, true),
      new x509.KeyUsagesExtension(
        isCa ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : (params.keyUsage ?? []).reduce((acc, u) => acc | KEY_USAGE_FLAGS[u as KeyUsageName], 0),
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(subjectKey.spki),
    ];
    if (issuerCert) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerCert));
    if (params.extendedKeyUsage && params.extendedKeyUsage.length > 0) {
      extensions.push(new x509.ExtendedKeyUsageExtension(params.extendedKeyUsage.map((u) => EKU[u as ExtendedKeyUsageName])));
    }
    if (params.hostnames) {
      extensions.push(
        new x509.SubjectAlternativeNameExtension(params.hostnames.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }))),
      );
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject,
      issuer: issuerCert ? issuerCert.subjectName : subject,
      notBefore,
      notAfter,
      publicKey: subjectKey.spki,
      signingKey: signer.privateKey as unknown as GeneratorParams['signingKey'],
      signingAlgorithm: { name: signer.privateKey.algorithm.name, hash: 'SHA-256' } as GeneratorParams['signingAlgorithm'],
      extensions,
    });
    return toPem('CERTIFICATE', Buffer.from(cert.rawData));
  }

  /** Leaf + intermediates (never the root); rewritten only when its content would change. */
  private writeChain(name: string, issuer: { name: string; certPem: string } | undefined): void {
    const files = this.paths(name);
    const parts = [readFileSync(files.certPath, 'utf8')];
    for (let current = issuer?.name; current !== undefined; ) {
      const entry = this.manifest.entries[current];
      if (!entry || entry.params.kind === 'root') break;
      parts.push(readFileSync(this.paths(current).certPath, 'utf8'));
      current = entry.params.issuer;
    }
    if (writeFileIfChanged(files.chainPath, parts.join(''), 0o644)) this.emit({ type: 'chain-written', name });
  }

  private readManifest(): Manifest {
    const path = join(this.dir, MANIFEST);
    if (!existsSync(path)) return { version: 1, entries: {} };
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
      return parsed.version === 1 && typeof parsed.entries === 'object' ? parsed : { version: 1, entries: {} };
    } catch {
      return { version: 1, entries: {} };
    }
  }

  private writeManifest(): void {
    const sorted = Object.fromEntries(Object.keys(this.manifest.entries).sort().map((k) => [k, this.manifest.entries[k]]));
    writeFileIfChanged(join(this.dir, MANIFEST), `${JSON.stringify({ version: 1, entries: sorted }, null, 2)}\n`, 0o644);
  }
}

function normaliseHostnames(hostnames: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of hostnames) {
    const h = raw.trim().toLowerCase().replace(/\.$/, '');
    if (h === '' || /[\s,/]/.test(h)) throw new ConfigError(`invalid host name "${raw}" for a server certificate`);
    if (!out.includes(h)) out.push(h);
  }
  return out;
}

/** ub-common-name is 64 characters; longer host names stay in the SAN only. */
function defaultCommonName(host: string, name: string): string {
  return host.length <= 64 ? host : name;
}

function leafKeyUsage(algorithm: KeyAlgorithm, server: boolean): KeyUsageName[] {
  // keyEncipherment only matters for RSA key exchange, which only an RSA server key can do.
  return algorithm === 'rsa' && server ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
}

/** Certificates store whole seconds; recording more would make equal requests look different. */
function wholeSeconds(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString();
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01; // positive and exactly 16 octets
  return bytes.toString('hex');
}

/** The SPKI PEM of the key in `keyPath`: public material, safe to write next to it. */
function publicKeyPem(keyPath: string): string {
  return createPublicKey(loadPrivateKey(keyPath)).export({ type: 'spki', format: 'pem' }).toString();
}

function unlinkIfExists(path: string): void {
  if (existsSync(path)) unlinkSync(path);
}

function loadPrivateKey(path: string): KeyObject {
  const [block] = blocksOfKind(readFileSync(path), 'private-key');
  if (!block) throw new ConfigError(`no private key in ${path}`);
  return createPrivateKey({ key: block.toPem(), format: 'pem' });
}

function keyFits(key: KeyObject, params: Params): boolean {
  if (params.algorithm === 'rsa') return key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === (params.rsaBits ?? 2048);
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

async function importSigningKey(key: KeyObject): Promise<{ privateKey: webcrypto.CryptoKey; spki: Buffer }> {
  const algorithm = key.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  try {
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
    return { privateKey, spki: createPublicKey(key).export({ type: 'spki', format: 'der' }) };
  } finally {
    pkcs8.fill(0);
  }
}

/** Writes via a temporary file created with the final mode, so a key is never readable by others, even briefly. */
function writeFileAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, mode); // the umask may have removed bits from `mode`
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

/** Returns true when it wrote; leaves the file untouched (mtime included) when the content is equal. */
function writeFileIfChanged(path: string, data: string, mode: number): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === data) return false;
  writeFileAtomic(path, data, mode);
  return true;
}
