import { Construct } from 'constructs';
import { DeployFile, TLS_DIRECTORY } from '../lib/deploy-file';
import type { SmtpClientSpec, SmtpTlsPolicySpec } from '../lib/server-spec';
import { integer, literal, quote } from '../lib/values';
import { readCaCertificates, ServerCertificate } from './certificates';
import { CipherGrade, SmtpClientSecurityLevel, TableType, TlsProtocol } from './enums';
import { checked, constructError, oneOf, refuseTokens, reportDiagnostics, typedProps } from './errors';
import { publicPem } from './pem-props';
import { PostfixServer } from './postfix-server';
import { TlsProfile } from './tls-profile';

/** One entry of the smtp client's TLS policy table (`smtp_tls_policy_maps`). */
export interface SmtpTlsPolicy {
  /**
   * Next-hop destination as Postfix looks it up: `example.com`, `.example.com` (its subdomains),
   * `example.com:587`, `[mx.example.com]` or `[192.0.2.1]:25` (the form a transport table or relayhost names).
   */
  readonly destination: string;
  /** TLS security level for this destination. */
  readonly securityLevel: SmtpClientSecurityLevel;
  /**
   * Names the receiver's certificate must match at VERIFY or SECURE (`match=`): host names, `.domain` for its
   * subdomains, or the keywords `hostname`, `nexthop`, `dot-nexthop`.
   * @default - Postfix's default for the level (hostname for VERIFY; nexthop, dot-nexthop for SECURE)
   */
  readonly match?: string[];
  /**
   * Lowest TLS version for this destination (`protocols=>=VERSION`).
   * @default - SmtpClientTls's mandatory floor at mandatory levels, Postfix's default otherwise
   */
  readonly minimumProtocol?: TlsProtocol;
  /**
   * Cipher grade for this destination (`ciphers=`).
   * @default - Postfix's default (medium)
   */
  readonly cipherGrade?: CipherGrade;
}

/** Props of a `SmtpClientTls`. */
export interface SmtpClientTlsProps {
  /**
   * Default TLS level of outbound mail (`smtp_tls_security_level`); policies override it per destination.
   * @default SmtpClientSecurityLevel.MAY
   */
  readonly securityLevel?: SmtpClientSecurityLevel;
  /**
   * Per-destination TLS policies, rendered as the `smtp_tls_policy_maps` table.
   * @default - none
   */
  readonly policies?: SmtpTlsPolicy[];
  /**
   * Local PEM files of CAs trusted to issue receivers' certificates, concatenated into `smtp_tls_CAfile`.
   * @default - none
   */
  readonly trustedCaFiles?: string[];
  /**
   * CA certificates as PEM text, also deploy-time tokens (e.g. `DeployTimePki` CAs), added to the CAfile.
   * @default - none
   */
  readonly trustedCaPems?: string[];
  /**
   * Trust the container's system CA bundle (`smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt`), for
   * receivers with publicly issued certificates. Not together with trustedCaFiles or trustedCaPems.
   * @default false
   */
  readonly trustSystemCas?: boolean;
  /**
   * TLS log level 0-4 (`smtp_tls_loglevel`); 1 logs one summary line per TLS session.
   * @default 1
   */
  readonly logLevel?: number;
  /**
   * Client certificate presented to receivers that ask for one (`smtp_tls_chain_files`), e.g. the server's own.
   * @default - none
   */
  readonly certificate?: ServerCertificate;
  /**
   * Its protocol floor becomes `smtp_tls_mandatory_protocols` at mandatory levels; cipher lists are not changed.
   * @default TlsProfile.INTERMEDIATE
   */
  readonly profile?: TlsProfile;
  /**
   * Lowest TLS version at mandatory levels, overriding the profile (`smtp_tls_mandatory_protocols`).
   * @default - the profile's floor
   */
  readonly minimumProtocol?: TlsProtocol;
  /**
   * Type of the policy table.
   * @default TableType.HASH
   */
  readonly tableType?: TableType;
}

/** Marks SmtpClientTls instances across copies of the library (unlike `instanceof`). */
const SMTP_CLIENT_TLS_SYMBOL = Symbol.for('postfix-tls-cdktf.SmtpClientTls');

const CA_FILE = `${TLS_DIRECTORY}/smtp-ca.pem`;
/** Debian's bundle (package ca-certificates, installed in the library's image). */
const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/** TLS of the outbound smtp client: security level, per-destination policies, CA trust and client certificate. */
export class SmtpClientTls extends Construct {
  /** Whether `x` is a SmtpClientTls, also one made by another copy of this library. */
  public static isSmtpClientTls(x: any): x is SmtpClientTls {
    return x !== null && typeof x === 'object' && SMTP_CLIENT_TLS_SYMBOL in x;
  }

  /** @internal */
  public readonly _files: DeployFile[] = [];
  /** @internal */
  public readonly _spec: SmtpClientSpec;

  constructor(scope: Construct, id: string, props: SmtpClientTlsProps = {}) {
    super(scope, id);
    Object.defineProperty(this, SMTP_CLIENT_TLS_SYMBOL, { value: true });
    refuseTokens(this, props, ['trustedCaPems']);
    typedProps(this, props, { trustSystemCas: 'boolean', logLevel: 'number' });
    const server = PostfixServer.of(this);
    if (props.profile !== undefined && !(props.profile instanceof TlsProfile)) {
      throw constructError(this, `profile ${quote(String(props.profile))} is not a TlsProfile: use TlsProfile.INTERMEDIATE, TlsProfile.MODERN or TlsProfile.POSTFIX_DEFAULT`);
    }
    const securityLevel = props.securityLevel ?? SmtpClientSecurityLevel.MAY;
    const logLevel = props.logLevel ?? 1;
    const policies = (props.policies ?? []).map((p, i) => checked(this, () => policySpec(`policies[${i}]`, p)));
    checked(this, () => {
      oneOf('securityLevel', securityLevel, SmtpClientSecurityLevel);
      integer('logLevel', logLevel, 0, 4);
      if (props.minimumProtocol !== undefined) oneOf('minimumProtocol', props.minimumProtocol, TlsProtocol);
      oneOf('tableType', props.tableType ?? TableType.HASH, TableType);
    });
    const pems = (props.trustedCaPems ?? []).map((pem, i) => publicPem(this, `trustedCaPems[${i}]`, pem, 'pass CA certificates only in trustedCaPems'));
    const cas = [...checked(this, () => readCaCertificates(props.trustedCaFiles ?? [])), ...pems];
    if (props.trustSystemCas && cas.length > 0) {
      throw constructError(this, 'trustSystemCas and trustedCaFiles/trustedCaPems are both set: Postfix reads one smtp_tls_CAfile, and tls_append_default_CA would also widen the server\'s client-certificate trust. Trust either your CAs or the system bundle');
    }
    if (cas.length > 0) this._files.push({ containerPath: CA_FILE, content: cas.join('\n'), secret: false });
    let certificates: SmtpClientSpec['certificates'] = [];
    if (props.certificate) {
      // A client certificate is not checked against the host name: receivers do not match it to one.
      reportDiagnostics(this, checked(this, () => props.certificate!._check(this)));
      const placed = props.certificate._place('smtp-');
      this._files.push(...placed.files);
      certificates = [{ algorithm: props.certificate.algorithm, keyPath: placed.keyPath, chainPath: placed.chainPath }];
    }
    this._spec = {
      securityLevel,
      logLevel,
      policies,
      tableType: props.tableType ?? TableType.HASH,
      caFile: cas.length > 0 ? CA_FILE : props.trustSystemCas ? SYSTEM_CA_FILE : undefined,
      certificates,
      profile: (props.profile ?? TlsProfile.INTERMEDIATE).name,
      minimumProtocol: props.minimumProtocol,
    };
    server._addSmtpClient(this);
  }
}

/** Checks the enum values of one policy entry (callers without TypeScript's checks); destinations are validated at synth. */
function policySpec(what: string, p: SmtpTlsPolicy): SmtpTlsPolicySpec {
  literal(`${what}.destination`, p.destination);
  oneOf(`${what}.securityLevel`, p.securityLevel, SmtpClientSecurityLevel);
  if (p.minimumProtocol !== undefined) oneOf(`${what}.minimumProtocol`, p.minimumProtocol, TlsProtocol);
  if (p.cipherGrade !== undefined) oneOf(`${what}.cipherGrade`, p.cipherGrade, CipherGrade);
  (p.match ?? []).forEach((m, i) => literal(`${what}.match[${i}]`, m));
  return { destination: p.destination, level: p.securityLevel, match: p.match, minimumProtocol: p.minimumProtocol, cipherGrade: p.cipherGrade };
}
