import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../lib/diagnostics';
import { ensureCustomDhParams, ffdheGroupPem, MIN_PRODUCTION_DH_BITS, primeBitsOf } from '../lib/pki/dh';
import { DeployFile, TLS_DIRECTORY } from '../lib/deploy-file';
import { refusePrivateKey, splitPem } from '../lib/pki/pem';
import type { TlsSpec } from '../lib/server-spec';
import { opensslConfigFile } from '../lib/tls-profile';
import { absolutePath, integer, quote, word } from '../lib/values';
import { ServerCertificate } from './certificates';
import { CipherGrade, PostfixVersion, SecurityLevel, TlsProtocol } from './enums';
import { checked, constructError, oneOf, refuseTokens, reportDiagnostics, typedProps } from './errors';
import { PostfixServer } from './postfix-server';
import { TlsProfile } from './tls-profile';

/** Refuses DH parameter text holding anything but one "DH PARAMETERS" block (a key would be uploaded as public content). */
function dhParametersOnly(what: string, pem: string): string {
  refusePrivateKey(what, pem, 'pass the PEM "DH PARAMETERS" block only');
  let labels: string[];
  try {
    labels = splitPem(pem).map((b) => b.label);
  } catch (e) {
    throw new ConfigError(`${what} is not valid PEM: ${(e as Error).message}`);
  }
  const bits = labels.length === 1 ? primeBitsOf(pem) : undefined;
  if (bits === undefined) {
    throw new ConfigError(`${what} must hold exactly one PEM "DH PARAMETERS" block, not ${labels.length === 0 ? 'none' : labels.join(', ')}: generate one with openssl dhparam`);
  }
  if (bits < MIN_PRODUCTION_DH_BITS) {
    throw new ConfigError(`${what} holds a ${bits}-bit DH group, too weak (Logjam; OpenSSL 3 refuses it at security level 2): use DhParameters.ffdhe(2048) or generate at least ${MIN_PRODUCTION_DH_BITS} bits`);
  }
  return pem;
}

/** DH parameters for DHE cipher suites (`smtpd_tls_dh1024_param_file`). */
export class DhParameters {
  /** None: OpenSSL 3 then negotiates the RFC 7919 groups itself. The default. */
  public static readonly NONE = new DhParameters(undefined, undefined);

  /** An RFC 7919 group (ffdhe2048/3072/4096) as a parameter file, for clients that only do DHE. */
  public static ffdhe(bits: number): DhParameters {
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
      throw new Error(`DhParameters.ffdhe(${bits}): RFC 7919 defines 2048, 3072 and 4096 bits`);
    }
    return new DhParameters(undefined, ffdheGroupPem(bits), bits);
  }

  /**
   * Custom parameters generated once into `path` (a safe prime; minutes for 4096 bits) and reused by
   * every later synth, so output stays byte-identical.
   */
  public static generated(path: string, bits: number = 2048): DhParameters {
    return new DhParameters(ensureCustomDhParams(resolve(path), bits).path, undefined);
  }

  /** A PEM "DH PARAMETERS" file (e.g. one generated once with `openssl dhparam -out dh.pem 2048`). */
  public static fromFile(path: string): DhParameters {
    const file = resolve(path);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`DH parameter file ${quote(path)} cannot be read: ${(e as Error).message}`);
    }
    dhParametersOnly(`DH parameter file ${quote(path)}`, pem);
    return new DhParameters(file, undefined);
  }

  /** PEM "DH PARAMETERS" content known at synth time (public material). */
  public static fromPem(pem: string): DhParameters {
    return new DhParameters(undefined, dhParametersOnly('DhParameters.fromPem', pem));
  }

  private constructor(
    private readonly localPath: string | undefined,
    private readonly pem: string | undefined,
    /** @internal The RFC 7919 group size of ffdhe(); Postfix 3.8+ names it instead of reading a file. */
    public readonly _ffdheBits?: number,
  ) {}

  /** @internal */
  public _file(): DeployFile | undefined {
    const containerPath = `${TLS_DIRECTORY}/dh.pem`;
    if (this.localPath !== undefined) return { containerPath, sourcePath: this.localPath, secret: false };
    if (this.pem !== undefined) return { containerPath, content: this.pem, secret: false };
    return undefined;
  }
}

/** Props of a `TlsServer`. */
export interface TlsServerProps {
  /**
   * Server certificates, at most one per key algorithm (RSA and ECDSA together give the dual setup).
   * @default - none; then `certificateless` must be set or `securityLevel` must be NONE
   */
  readonly certificates?: ServerCertificate[];
  /**
   * Run without a certificate, anonymous ciphers only (`smtpd_tls_cert_file = none`). Only for servers that
   * are not a public MX and whose clients all support anonymous ciphers.
   * @default false
   */
  readonly certificateless?: boolean;
  /**
   * Whether STARTTLS is offered (MAY) or required (ENCRYPT) on the SMTP service.
   * @default SecurityLevel.MAY
   */
  readonly securityLevel?: SecurityLevel;
  /**
   * Obsolete seed form `smtpd_use_tls = yes`; rendered as securityLevel MAY, with a warning.
   * @default - not used
   * @deprecated use securityLevel
   */
  readonly useTls?: boolean;
  /**
   * Obsolete seed form `smtpd_enforce_tls = yes`; rendered as securityLevel ENCRYPT, with a warning.
   * @default - not used
   * @deprecated use securityLevel
   */
  readonly enforceTls?: boolean;
  /**
   * TLS log level 0-4 (`smtpd_tls_loglevel`); 1 logs one summary line per handshake.
   * @default 1
   */
  readonly logLevel?: number;
  /**
   * Add protocol, cipher and client certificate details to the Received: header.
   * @default false
   */
  readonly receivedHeader?: boolean;
  /**
   * Protocols and ciphers where TLS is mandatory: every SubmissionPort, and the SMTP service at
   * SecurityLevel.ENCRYPT (`smtpd_tls_mandatory_protocols`, `smtpd_tls_mandatory_ciphers`,
   * `smtpd_tls_mandatory_exclude_ciphers`). Opportunistic TLS on port 25 is governed by opportunisticProfile.
   * @default TlsProfile.INTERMEDIATE
   */
  readonly profile?: TlsProfile;
  /**
   * Protocols and ciphers of opportunistic TLS on port 25 (`smtpd_tls_protocols`, `smtpd_tls_exclude_ciphers`).
   * Postfix's defaults accept every sender that can encrypt at all; a sender whose handshake fails with a
   * stricter profile retries in plain text (TLS_README), so a strict profile trades weak encryption for none.
   * @default TlsProfile.POSTFIX_DEFAULT
   */
  readonly opportunisticProfile?: TlsProfile;
  /**
   * Lowest TLS version where TLS is mandatory, overriding the profile (`smtpd_tls_mandatory_protocols`).
   * @default - the profile's floor
   */
  readonly minimumProtocol?: TlsProtocol;
  /**
   * Cipher grade with opportunistic TLS (`smtpd_tls_ciphers`).
   * @default - Postfix's default (medium)
   */
  readonly cipherGrade?: CipherGrade;
  /**
   * Cipher grade with mandatory TLS (`smtpd_tls_mandatory_ciphers`).
   * @default - the profile's grade (medium)
   */
  readonly mandatoryCipherGrade?: CipherGrade;
  /**
   * OpenSSL cipher names or aliases excluded at every security level (`smtpd_tls_exclude_ciphers`).
   * @default - none
   */
  readonly excludeCiphers?: string[];
  /**
   * Cipher names or aliases excluded where TLS is mandatory (`smtpd_tls_mandatory_exclude_ciphers`).
   * @default - none
   */
  readonly mandatoryExcludeCiphers?: string[];
  /**
   * DH parameters for DHE suites.
   * @default DhParameters.NONE
   */
  readonly dhParameters?: DhParameters;
  /**
   * The seed's `smtpd_tls_dh512_param_file`. Always refused: Postfix ignores it and 512-bit DH is broken.
   * @default - not set
   */
  readonly dh512ParamFile?: string;
  /**
   * Time limit for reads and writes during the TLS handshake, in seconds (`smtpd_starttls_timeout`).
   * @default - Postfix's default, 300 (10 under stress)
   */
  readonly starttlsTimeoutSeconds?: number;
  /**
   * Offer the hybrid post-quantum key exchange X25519MLKEM768 first on the smtpd services, classic groups after
   * it (`-o tls_eecdh_auto_curves`); false keeps Postfix's classic groups. Needs Postfix 3.10 (OpenSSL 3.5).
   * @default - true with PostfixVersion.V3_10, false with V3_7
   */
  readonly postQuantumKeyExchange?: boolean;
}

const CIPHER_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** TLS for the SMTP server: identity, security level, logging, ciphers and protocols. */
export class TlsServer extends Construct {
  /** @internal */
  public readonly _files: DeployFile[] = [];
  /** @internal */
  public readonly _spec: TlsSpec;
  public readonly certificates: ServerCertificate[];

  constructor(scope: Construct, id: string, props: TlsServerProps = {}) {
    super(scope, id);
    refuseTokens(this, props);
    typedProps(this, props, { certificateless: 'boolean', useTls: 'boolean', enforceTls: 'boolean', logLevel: 'number', receivedHeader: 'boolean', starttlsTimeoutSeconds: 'number', postQuantumKeyExchange: 'boolean' });
    const server = PostfixServer.of(this);
    if (props.dh512ParamFile !== undefined) {
      throw constructError(this, `dh512ParamFile ${quote(props.dh512ParamFile)} is refused: Postfix 3.6+ silently ignores smtpd_tls_dh512_param_file and 512-bit DH is broken (Logjam). Remove it; use dhParameters for DHE`);
    }
    if (props.useTls !== undefined && props.enforceTls !== undefined) {
      throw constructError(this, 'useTls and enforceTls are both set: set securityLevel instead');
    }
    for (const prop of ['profile', 'opportunisticProfile'] as const) {
      if (props[prop] !== undefined && !(props[prop] instanceof TlsProfile)) {
        throw constructError(this, `${prop} ${quote(String(props[prop]))} is not a TlsProfile: use TlsProfile.INTERMEDIATE, TlsProfile.MODERN, TlsProfile.INTERNET_NL or TlsProfile.POSTFIX_DEFAULT`);
      }
    }
    let securityLevel = props.securityLevel ?? SecurityLevel.MAY;
    let obsoleteForm: string | undefined;
    if (props.useTls !== undefined || props.enforceTls !== undefined) {
      if (props.securityLevel !== undefined) {
        throw constructError(this, 'securityLevel and the obsolete useTls/enforceTls are both set: keep securityLevel only');
      }
      obsoleteForm = props.useTls !== undefined ? `smtpd_use_tls = ${props.useTls ? 'yes' : 'no'}` : `smtpd_enforce_tls = ${props.enforceTls ? 'yes' : 'no'}`;
      securityLevel = props.enforceTls ? SecurityLevel.ENCRYPT : props.useTls ? SecurityLevel.MAY : SecurityLevel.NONE;
    }
    const logLevel = props.logLevel ?? 1;
    checked(this, () => {
      oneOf('securityLevel', securityLevel, SecurityLevel);
      if (props.minimumProtocol !== undefined) oneOf('minimumProtocol', props.minimumProtocol, TlsProtocol);
      if (props.cipherGrade !== undefined) oneOf('cipherGrade', props.cipherGrade, CipherGrade);
      if (props.mandatoryCipherGrade !== undefined) oneOf('mandatoryCipherGrade', props.mandatoryCipherGrade, CipherGrade);
      integer('logLevel', logLevel, 0, 4);
      if (props.starttlsTimeoutSeconds !== undefined) {
        integer('starttlsTimeoutSeconds', props.starttlsTimeoutSeconds, 1, 3600);
      }
      for (const cipher of [...(props.excludeCiphers ?? []), ...(props.mandatoryExcludeCiphers ?? [])]) {
        word('excluded cipher', cipher);
        if (/^[!+\-@]/.test(cipher)) {
          // tls_misc.c: "invalid unary '!+-@' in cipher exclusion", and TLS is then off for the session.
          throw new ConfigError(`excluded cipher ${quote(cipher)} starts with an OpenSSL modifier, which Postfix refuses (TLS then fails): give the bare name (${quote(cipher.replace(/^[!+\-@]+/, ''))}); Postfix adds the '!'`);
        }
        if (!CIPHER_NAME.test(cipher)) {
          throw new ConfigError(`excluded cipher ${quote(cipher)} is not an OpenSSL cipher name or alias (e.g. aNULL, MD5, kRSA)`);
        }
      }
    });
    this.certificates = props.certificates ?? [];
    // Expiry as an output: a fixed date, so synth stays the same from day to day (the days left would not).
    for (const certificate of this.certificates) {
      const id = `${certificate.algorithm}_certificate_not_after`;
      // Two certificates of one algorithm are the validator's error (duplicate-key-algorithm), not a name clash here.
      if (certificate._notAfter === undefined || this.node.tryFindChild(id)) continue;
      new TerraformOutput(this, id, { value: certificate._notAfter, description: `expiry of the ${certificate.algorithm.toUpperCase()} server certificate of ${server.hostname}` });
    }
    for (const certificate of this.certificates) {
      reportDiagnostics(this, checked(this, () => certificate._check(this, server.hostname)));
    }
    const placed = this.certificates.map((c) => c._place());
    const dh = props.dhParameters ?? DhParameters.NONE;
    const ffdheBits = server.postfixVersion !== PostfixVersion.V3_7 ? dh._ffdheBits : undefined;
    const dhFile = ffdheBits ? undefined : dh._file();
    const profile = (props.profile ?? TlsProfile.INTERMEDIATE).name;
    const opportunisticProfile = (props.opportunisticProfile ?? TlsProfile.POSTFIX_DEFAULT).name;
    const opensslFiles = [...new Set([profile, opportunisticProfile])].flatMap((name) => opensslConfigFile(name) ?? []);
    this._files.push(...placed.flatMap((p) => p.files), ...(dhFile ? [dhFile] : []), ...opensslFiles);
    if (dhFile) checked(this, () => absolutePath('DH parameter file', dhFile.containerPath));
    this._spec = {
      certificates: this.certificates.map((c, i) => ({ algorithm: c.algorithm, keyPath: placed[i].keyPath, chainPath: placed[i].chainPath, publicKey: c._publicKey })),
      certificateless: props.certificateless ?? false,
      securityLevel,
      obsoleteForm,
      logLevel,
      receivedHeader: props.receivedHeader ?? false,
      profile,
      opportunisticProfile,
      minimumProtocol: props.minimumProtocol,
      cipherGrade: props.cipherGrade,
      mandatoryCipherGrade: props.mandatoryCipherGrade,
      excludeCiphers: props.excludeCiphers ?? [],
      mandatoryExcludeCiphers: props.mandatoryExcludeCiphers ?? [],
      dhParamFile: dhFile?.containerPath,
      ffdheBits,
      postQuantum: props.postQuantumKeyExchange,
      starttlsTimeoutSeconds: props.starttlsTimeoutSeconds,
    };
    server._addTls(this);
  }
}
