import { quote } from '../lib/values';
import { Token } from 'cdktf';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeployFile, PRIVATE_KEY_DIRECTORY, TLS_DIRECTORY } from '../lib/deploy-file';
import { ConfigError, Diagnostic, Severity } from '../lib/diagnostics';
import { publicKeySpec } from '../lib/pki/certificate-info';
import type { PublicKeySpec } from '../lib/server-spec';
import { checkCaCertificate, checkClientCertificate, checkServerCertificate, checkServerHostname, PKI_RULES } from '../lib/pki/check';
import { certificateFingerprint, publicKeyFingerprint, spkiSha256Hex } from '../lib/pki/fingerprint';
import { PemBlock, refusePrivateKey, splitPem } from '../lib/pki/pem';
import { IConstruct } from 'constructs';
import { privateKeyReference, publicPem } from './pem-props';
import { KeyAlgorithm } from './enums';

function readPem(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

function parseCertificate(what: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new ConfigError(`${what} is not a PEM certificate: ${(e as Error).message}`);
  }
}

function algorithmOf(certificate: X509Certificate): KeyAlgorithm {
  switch (certificate.publicKey.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return KeyAlgorithm.RSA;
    case 'ec':
      return KeyAlgorithm.ECDSA;
    case 'dsa':
      return KeyAlgorithm.DSA;
    case 'ed25519':
      return KeyAlgorithm.ED25519;
    case 'ed448':
      return KeyAlgorithm.ED448;
    default:
      throw new ConfigError(
        `certificate ${certificate.subject} has a ${certificate.publicKey.asymmetricKeyType} key, which Postfix servers cannot use: use RSA, ECDSA, Ed25519 or Ed448`,
      );
  }
}

/** Props of `ServerCertificate.fromFiles`. */
export interface ServerCertificateFilesProps {
  /** PEM file with the server certificate first, then each intermediate CA (no root needed). */
  readonly chainFile: string;
  /** PEM file with the unencrypted private key; only its path reaches the deployment, never its content. */
  readonly keyFile: string;
  /**
   * A staged DANE rollover: the public key (`PUBLIC KEY` PEM) the certificate will move to, published by
   * `MailDnsRecords` in TLSA next to the current key. Read at synth; never deployed.
   * @default - none
   */
  readonly nextPublicKeyFile?: string;
  /**
   * After a rollover switch: the public key the certificate had before, whose TLSA record stays published
   * until the rollover is retired. Read at synth; never deployed.
   * @default - none
   */
  readonly previousPublicKeyFile?: string;
}

/** SHA-256 of a public key file's SubjectPublicKeyInfo, for TLSA records: public keys only. */
function rolloverKey(prop: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const file = resolve(path);
  const text = readPem(prop, file);
  let blocks: PemBlock[] = [];
  try {
    blocks = splitPem(text);
  } catch {
    // reported below
  }
  if (blocks.length !== 1 || blocks[0].label !== 'PUBLIC KEY') {
    const found = blocks.some((b) => b.kind === 'private-key') ? 'holds a private key' : 'is not one PUBLIC KEY PEM block';
    throw new ConfigError(`${prop} ${file} ${found}: give the public key only (openssl pkey -pubout)`);
  }
  return spkiSha256Hex(text);
}

/** Props of `ServerCertificate.fromDeployTimePem`. */
export interface ServerCertificateDeployTimeProps {
  /** Chain PEM known only at deploy time (a token), leaf first. */
  readonly chainPem: string;
  /** Reference to the private key PEM (a token, e.g. `tls_private_key.private_key_pem`); never a literal key. */
  readonly privateKeyPem: string;
  /** Key algorithm, since the certificate cannot be read at synth time. */
  readonly algorithm: KeyAlgorithm;
}

/** Where a server certificate lands in the container, and the files that put it there. */
interface PlacedCertificate {
  readonly keyPath: string;
  readonly chainPath: string;
  readonly files: readonly DeployFile[];
}

/** A server key with its certificate chain. */
export class ServerCertificate {
  /**
   * Existing PEM files, e.g. from Let's Encrypt or a company CA; checked at synth time. `chainFile` and
   * `keyFile` may name one combined file (the key, then its chain), which is uploaded by path as a secret.
   */
  public static fromFiles(props: ServerCertificateFilesProps): ServerCertificate {
    const chainFile = resolve(props.chainFile);
    const keyFile = resolve(props.keyFile);
    const text = readPem('certificate chain', chainFile);
    let blocks: PemBlock[];
    try {
      blocks = splitPem(text);
    } catch (e) {
      throw new ConfigError(`certificate chain ${chainFile} is not valid PEM: ${(e as Error).message}`);
    }
    const keys = blocks.filter((b) => b.kind === 'private-key');
    const combined = chainFile === keyFile;
    if (keys.length > 0 && !combined) {
      throw new ConfigError(
        `certificate chain ${chainFile} holds a private key, which would be uploaded as public content: pass the same file as keyFile too (a combined file, uploaded as a secret), or remove the key from chainFile`,
      );
    }
    const firstCertificate = blocks.findIndex((b) => b.kind === 'certificate');
    if (combined && firstCertificate >= 0 && (keys.length !== 1 || keys[0].index > firstCertificate)) {
      const found = keys.length === 1 ? 'its key after a certificate' : `${keys.length} private keys`;
      throw new ConfigError(
        `combined key and chain file ${chainFile} (chainFile = keyFile) holds ${found}; smtpd_tls_chain_files needs one private key followed by its chain: put the key first, one key per file, or pass separate chainFile and keyFile`,
      );
    }
    // Only the certificates are kept: chainPem is public and may be shown or fingerprinted.
    const chainPem = combined ? blocks.filter((b) => b.kind === 'certificate').map((b) => b.toPem()).join('') : text;
    const leaf = parseCertificate(`certificate chain ${chainFile}`, chainPem);
    const certificate = new ServerCertificate(algorithmOf(leaf), chainPem, { sourcePath: keyFile }, combined, publicKeySpec(leaf));
    certificate._notAfter = new Date(leaf.validTo).toISOString();
    certificate._rollover = { next: rolloverKey('nextPublicKeyFile', props.nextPublicKeyFile), previous: rolloverKey('previousPublicKeyFile', props.previousPublicKeyFile) };
    return certificate;
  }

  /**
   * Material that exists only at deploy time, e.g. from `DeployTimePki` (the tls provider). The key reaches
   * the container through the resource reference; Terraform state holds it, the synthesized JSON does not.
   * `privateKeyPem` must be a reference to a resource attribute, nothing else.
   */
  public static fromDeployTimePem(props: ServerCertificateDeployTimeProps): ServerCertificate {
    if (!Token.isUnresolved(props.privateKeyPem)) {
      throw new ConfigError('fromDeployTimePem needs a reference to a private key resource, not a literal key: use fromFiles for keys on disk');
    }
    refusePrivateKey('fromDeployTimePem chainPem', props.chainPem, 'pass the key as privateKeyPem only');
    return new ServerCertificate(props.algorithm, props.chainPem, { content: props.privateKeyPem }, false);
  }

  private constructor(
    /** RSA, ECDSA or (obsolete) DSA. */
    public readonly algorithm: KeyAlgorithm,
    /** PEM chain, leaf first (public material; a token for deploy-time certificates). */
    public readonly chainPem: string,
    private readonly key: { readonly sourcePath?: string; readonly content?: string },
    /** Whether the key file also holds the chain (one secret file, listed once in smtpd_tls_chain_files). */
    private readonly combined: boolean,
    publicKey?: PublicKeySpec,
  ) {
    this._publicKey = publicKey;
  }

  /** @internal The leaf's key size, when known at synth (DeployTimePki sets it for the keys it makes). */
  public _publicKey?: PublicKeySpec;

  /** @internal When the leaf expires (ISO 8601), when known at synth. */
  public _notAfter?: string;

  /** @internal SPKI SHA-256 (hex) of a staged next key and of a previous key, for DANE rollovers. */
  public _rollover: { readonly next?: string; readonly previous?: string } = {};

  /**
   * @internal Checks what Postfix needs from the pair: unencrypted key matching the leaf, chain order,
   * server purpose, host name, validity. The key is read here only, never kept or rendered. Deploy-time
   * material cannot be checked at synth; its expressions are checked to be plain references. Without a
   * host name (a client certificate) the name is not checked.
   */
  public _check(scope: IConstruct, hostname?: string): Diagnostic[] {
    if (this.key.sourcePath === undefined) {
      privateKeyReference(scope, 'fromDeployTimePem privateKeyPem', this.key.content as string);
      publicPem(scope, 'fromDeployTimePem chainPem', this.chainPem, 'pass the key as privateKeyPem only');
      return [];
    }
    // A certificate shared by many servers is checked once; only the host name differs per server.
    this.checks ??= checkServerCertificate({ chainPem: this.chainPem, keyPem: readPem('private key', this.key.sourcePath) })
      // DSA is reported once, by the server-level rule.
      .filter((d) => d.rule !== PKI_RULES.dsaKey);
    return [...this.checks, ...(hostname === undefined ? [] : checkServerHostname(this.chainPem, hostname))];
  }

  private checks?: Diagnostic[];

  /**
   * @internal Places the pair as `<prefix><algorithm>.chain.pem` and `private/<prefix><algorithm>.key.pem`,
   * or a combined file as `private/<prefix><algorithm>.pem` (secret, by path).
   */
  public _place(prefix: string = ''): PlacedCertificate {
    const name = `${prefix}${this.algorithm}`;
    if (this.combined) {
      const path = `${PRIVATE_KEY_DIRECTORY}/${name}.pem`;
      return { keyPath: path, chainPath: path, files: [{ containerPath: path, ...this.key, secret: true }] };
    }
    const keyPath = `${PRIVATE_KEY_DIRECTORY}/${name}.key.pem`;
    const chainPath = `${TLS_DIRECTORY}/${name}.chain.pem`;
    return {
      keyPath,
      chainPath,
      files: [
        { containerPath: keyPath, ...this.key, secret: true },
        { containerPath: chainPath, content: this.chainPem, secret: false },
      ],
    };
  }
}

/** Length of a fingerprint per smtpd_tls_fingerprint_digest. */
const DIGEST_BYTES: Readonly<Record<string, number>> = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/** A client allowed by certificate: listed in `relay_clientcerts` or `check_ccert_access` by fingerprint. */
export class ClientIdentity {
  /** A client certificate file (PEM); its fingerprint is computed with the policy's digest. */
  public static fromCertificateFile(path: string, name: string): ClientIdentity {
    return ClientIdentity.fromCertificatePem(readPem('client certificate', resolve(path)), name);
  }

  /** A client certificate in PEM form. */
  public static fromCertificatePem(pem: string, name: string): ClientIdentity {
    parseCertificate(`client certificate ${name}`, pem);
    return new ClientIdentity(name, pem, undefined);
  }

  /**
   * A fingerprint the user already has (uppercase hex pairs with ':'), e.g. from `openssl x509 -fingerprint`.
   * It must have been computed with the policy's digest.
   */
  public static fromFingerprint(fingerprint: string, name: string): ClientIdentity {
    if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$/.test(fingerprint)) {
      throw new ConfigError(
        `fingerprint ${quote(fingerprint)} of client ${quote(name)} is not hex pairs joined by ':' (e.g. D7:04:2F:...)`,
      );
    }
    return new ClientIdentity(name, undefined, fingerprint.toUpperCase());
  }

  private constructor(
    /** Who the client is; the value column of the table. */
    public readonly name: string,
    private readonly certificatePem: string | undefined,
    private readonly fingerprint: string | undefined,
  ) {
    if (Token.isUnresolved(name)) {
      throw new ConfigError('a client name is only known at deploy time, but it is written into a lookup table checked at synth: pass a literal name');
    }
  }

  /** @internal The table key for this client: certificate or public-key fingerprint (computed once per kind). */
  public _key(digest: string, publicKey: boolean): string {
    if (this.certificatePem === undefined) {
      const bytes = (this.fingerprint as string).split(':').length;
      const expected = DIGEST_BYTES[digest];
      if (expected !== undefined && bytes !== expected) {
        throw new ConfigError(`fingerprint of client ${quote(this.name)} has ${bytes} bytes, but fingerprintDigest ${digest} gives ${expected}: Postfix would never match it. Give the ${digest} fingerprint, or set the ClientCertPolicy fingerprintDigest it was made with`);
      }
      return this.fingerprint as string;
    }
    const pem = this.certificatePem;
    const kind = `${digest}/${publicKey}`;
    let key = this.keys.get(kind);
    if (key === undefined) {
      key = publicKey ? publicKeyFingerprint(pem, digest) : certificateFingerprint(pem, digest);
      this.keys.set(kind, key);
    }
    return key;
  }

  private readonly keys = new Map<string, string>();

  /** @internal Findings for a client listed by certificate (an expired one must not stay listed). */
  public _check(): Diagnostic[] {
    // Fingerprint matching (permit_tls_clientcerts, check_ccert_access) never checks the purpose, so an MTA may
    // be listed by its server certificate (Let's Encrypt no longer issues clientAuth): a note, not an error.
    this.checks ??= this.certificatePem === undefined ? [] : checkClientCertificate({ chainPem: this.certificatePem }).map((d) =>
      d.rule === PKI_RULES.notClientCert
        ? { ...d, severity: Severity.WARNING, message: `${d.message} Listed by fingerprint it still relays (Postfix does not check the purpose there), but a SubmissionPort with requireClientCertificate verifies it and refuses it.` }
        : d,
    );
    return this.checks;
  }

  private checks?: Diagnostic[];
}

/** CA files already checked, by content: a fleet of servers shares its client CA. */
const checkedCaFiles = new Map<string, string[]>();

/** Reads CA certificates for trust (CAfile, CApath); every block must be a CA certificate. */
export function readCaCertificates(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    const pem = readPem('CA certificate file', resolve(path));
    const known = checkedCaFiles.get(pem);
    if (known) return known;
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new ConfigError(`CA certificate file ${path} holds no PEM certificate`);
    blocks.forEach((block) => parseCertificate(`CA certificate in ${path}`, block));
    const problems = checkCaCertificate(pem).filter((d) => d.severity === Severity.ERROR);
    if (problems.length > 0) throw new ConfigError(`CA file ${path}: ${problems.map((d) => d.message).join('; ')}`);
    const certificates = blocks.map((block) => `${block}\n`);
    checkedCaFiles.set(pem, certificates);
    return certificates;
  });
}
