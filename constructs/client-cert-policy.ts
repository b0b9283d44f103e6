import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { DeployFile, TLS_DIRECTORY } from '../lib/deploy-file';
import type { TableEntry } from '../lib/lookup-table';
import { hashLinks } from '../lib/pki/subject-hash';
import { analyseTrust } from '../lib/pki/trust';
import type { ClientCertSpec } from '../lib/server-spec';
import { ConfigError } from '../lib/diagnostics';
import { integer, literal, quote, safeText } from '../lib/values';
import { ClientIdentity, readCaCertificates } from './certificates';
import { FingerprintDigest, TableType } from './enums';
import { checked, constructError, oneOf, refuseTokens, reportDiagnostics, typedProps } from './errors';
import { publicPem } from './pem-props';
import { PostfixServer } from './postfix-server';
import { systemCas } from './system-store';

/** One `check_ccert_access` rule: a client certificate and the access(5) action for it. */
export interface ClientAccessRule {
  /** The client, by certificate or fingerprint. */
  readonly client: ClientIdentity;
  /** access(5) action, e.g. `OK`, `REJECT not welcome`, `DUNNO`. */
  readonly action: string;
}

/** Props of a `ClientCertPolicy`. */
export interface ClientCertPolicyProps {
  /**
   * Local PEM files of trusted CAs, concatenated into `smtpd_tls_CAfile`. Their names are sent in the
   * certificate request, so clients can pick a matching certificate.
   * @default - no CAfile
   */
  readonly trustedCaFiles?: string[];
  /**
   * Local PEM files of CAs trusted through `smtpd_tls_CApath`, each placed under its OpenSSL subject-hash
   * name (`HASH.N`). Their names are not sent to clients, which keeps handshakes small.
   * @default - no CApath
   */
  readonly capathCaFiles?: string[];
  /**
   * CA certificates known only at deploy time (tokens, e.g. `DeployTimePki` CAs), appended to the CAfile.
   * @default - none
   */
  readonly trustedCaPems?: string[];
  /**
   * CA certificates known only at deploy time, placed in the CApath; the container makes their hash links
   * at start.
   * @default - none
   */
  readonly capathCaPems?: string[];
  /**
   * Also trust the system's public CA bundle (`tls_append_default_CA`). Rarely right for client certificates.
   * @default false
   */
  readonly appendDefaultCa?: boolean;
  /**
   * Ask clients of the SMTP service (port 25) for a certificate (`smtpd_tls_ask_ccert` in main.cf).
   * SubmissionPorts without requireClientCertificate are never asked (`-o smtpd_tls_ask_ccert=no`), so
   * MUAs do not see a certificate request.
   * @default - true when an access mode is set and no SubmissionPort requires certificates (then the access
   * modes serve that dedicated port only); false otherwise
   */
  readonly askForCertificates?: boolean;
  /**
   * Require a client certificate on every TLS connection (`smtpd_tls_req_ccert`); needs securityLevel ENCRYPT.
   * @default false
   */
  readonly requireCertificates?: boolean;
  /**
   * Client chain length limit (`smtpd_tls_ccert_verifydepth`): Postfix passes it plus one to OpenSSL, which
   * counts only the intermediates between the client certificate and the root, so N accepts up to N + 1
   * intermediates (1 accepts two; measured). Values below 3 get a warning saying so.
   * @default - Postfix's default, 9
   */
  readonly verifyDepth?: number;
  /**
   * Clients allowed to relay by fingerprint: `permit_tls_clientcerts` with a `relay_clientcerts` table.
   * @default - access mode not used
   */
  readonly relayClients?: ClientIdentity[];
  /**
   * Let any client whose certificate verifies relay (`permit_tls_all_clientcerts`). Only with one dedicated CA.
   * @default false
   */
  readonly permitAllClientCertificates?: boolean;
  /**
   * Declare that the trusted CAs issue certificates only to clients allowed to relay, although one of them
   * is in the system trust store (/etc/ssl/certs/ca-certificates.crt). permitAllClientCertificates refuses
   * such a CA otherwise, since it may issue client certificates to anyone.
   * @default false
   */
  readonly dedicatedCa?: boolean;
  /**
   * `check_ccert_access` rules, by client fingerprint.
   * @default - access mode not used
   */
  readonly accessRules?: ClientAccessRule[];
  /**
   * Digest of client certificate fingerprints (`smtpd_tls_fingerprint_digest`).
   * @default FingerprintDigest.SHA256
   */
  readonly fingerprintDigest?: FingerprintDigest;
  /**
   * List clients by public-key (SPKI) fingerprint, which survives renewal with the same key and matches
   * raw-public-key clients (Postfix 3.9+); Postfix looks up both kinds. False lists certificate fingerprints.
   * @default true
   */
  readonly matchPublicKey?: boolean;
  /**
   * Ask clients for an RFC 7250 raw public key instead of a certificate (`smtpd_tls_enable_rpk`, Postfix 3.9+
   * with OpenSSL 3.2+, so PostfixVersion.V3_10); listed clients match by public-key fingerprint. Not with
   * CA-verified access (a raw key has no issuer). The server sends its own raw key to clients that ask anyway.
   * @default false
   */
  readonly acceptRawPublicKeys?: boolean;
  /**
   * Type of the `relay_clientcerts` and `check_ccert_access` tables.
   * @default TableType.HASH
   */
  readonly tableType?: TableType;
}

/** access(5) actions a client-certificate rule may use; anything else makes Postfix answer 451 at run time. */
const ACCESS_ACTION = /^(?:OK|DUNNO|REJECT|DEFER|DEFER_IF_REJECT|DEFER_IF_PERMIT|HOLD|DISCARD|WARN|INFO|PREPEND|FILTER|REDIRECT|BCC|[45]\d\d)(?:\s.*)?$/i;

function accessAction(action: string): string {
  literal('access action', action);
  if (!ACCESS_ACTION.test(action)) {
    throw new ConfigError(`access action ${quote(action)} is not an access(5) action: start it with OK, DUNNO, REJECT, DEFER, HOLD, DISCARD or a 4xx/5xx code`);
  }
  return action;
}

const CA_FILE = `${TLS_DIRECTORY}/client-ca.pem`;
const CA_PATH = `${TLS_DIRECTORY}/capath`;

/** Which client certificates the server asks for, trusts, and what they allow. */
export class ClientCertPolicy extends Construct {
  /** @internal */
  public readonly _files: DeployFile[] = [];
  /** @internal */
  public readonly _spec: ClientCertSpec;

  constructor(scope: Construct, id: string, props: ClientCertPolicyProps = {}) {
    super(scope, id);
    refuseTokens(this, props, ['trustedCaPems', 'capathCaPems']);
    typedProps(this, props, { appendDefaultCa: 'boolean', askForCertificates: 'boolean', requireCertificates: 'boolean', verifyDepth: 'number', permitAllClientCertificates: 'boolean', matchPublicKey: 'boolean', dedicatedCa: 'boolean', acceptRawPublicKeys: 'boolean' });
    const server = PostfixServer.of(this);
    const digest = checked(this, () => oneOf('fingerprintDigest', props.fingerprintDigest ?? FingerprintDigest.SHA256, FingerprintDigest));
    checked(this, () => oneOf('tableType', props.tableType ?? TableType.HASH, TableType));
    const publicKey = props.matchPublicKey ?? true;
    const caPems = (prop: string, pems: readonly string[]): string[] =>
      pems.map((pem, i) => publicPem(this, `${prop}[${i}]`, pem, `pass CA certificates only in ${prop}`));
    const deployTimeCaFile = caPems('trustedCaPems', props.trustedCaPems ?? []);
    const deployTimeCapath = caPems('capathCaPems', props.capathCaPems ?? []);
    const caFileCerts = [...checked(this, () => readCaCertificates(props.trustedCaFiles ?? [])), ...deployTimeCaFile];
    const capathCerts = checked(this, () => readCaCertificates(props.capathCaFiles ?? []));
    if (caFileCerts.length > 0) this._files.push({ containerPath: CA_FILE, content: caFileCerts.join('\n'), secret: false });
    const links = checked(this, () => hashLinks(capathCerts));
    // Regular files named HASH.N.pem: `openssl rehash` in the container deletes every HASH.N entry it finds and
    // links each certificate file anew, so a CA stored as HASH.N itself would be lost to a deploy-time CA
    // with the same subject (capathCaPems).
    for (const link of links) this._files.push({ containerPath: `${CA_PATH}/${link.name}.pem`, content: link.pem, secret: false });
    deployTimeCapath.forEach((pem, i) => this._files.push({ containerPath: `${CA_PATH}/deploy-time-${i}.pem`, content: pem, secret: false }));
    if (props.verifyDepth !== undefined) checked(this, () => integer('verifyDepth', props.verifyDepth as number, 1, 100));

    for (const client of [...(props.relayClients ?? []), ...(props.accessRules ?? []).map((r) => r.client)]) {
      reportDiagnostics(this, client._check());
    }
    const entries = (clients: readonly ClientIdentity[], value: (c: ClientIdentity, i: number) => string): TableEntry[] =>
      clients.map((client, i) => ({ key: checked(this, () => client._key(digest, publicKey)), value: value(client, i) }));
    const relay = props.relayClients
      ? entries(props.relayClients, (c) => checked(this, () => safeText('client name', c.name)))
      : undefined;
    const rules = props.accessRules;
    const access = rules ? entries(rules.map((r) => r.client), (_c, i) => checked(this, () => accessAction(rules[i].action))) : undefined;
    const cas = [...caFileCerts, ...capathCerts, ...deployTimeCapath];
    // The system store (a bundle of about 150 certificates) is only read where it matters.
    const trust = analyseTrust(cas.filter((pem) => !Token.isUnresolved(pem)), props.permitAllClientCertificates ? systemCas() : undefined);
    if (props.requireCertificates && props.askForCertificates === false) {
      throw constructError(this, 'requireCertificates implies askForCertificates: remove askForCertificates: false');
    }
    this._spec = {
      caFile: caFileCerts.length > 0 ? CA_FILE : undefined,
      caPath: links.length + deployTimeCapath.length > 0 ? CA_PATH : undefined,
      // Deploy-time CAs cannot be counted (or deduplicated) at synth.
      trustedCaCount: cas.some((pem) => Token.isUnresolved(pem)) ? undefined : trust.hierarchies,
      casWithoutRoot: trust.withoutRoot,
      systemStoreCas: trust.inSystemStore,
      dedicatedCa: props.dedicatedCa ?? false,
      appendDefaultCa: props.appendDefaultCa ?? false,
      ask: props.askForCertificates,
      require: props.requireCertificates ?? false,
      verifyDepth: props.verifyDepth,
      fingerprintDigest: digest,
      publicKeyFingerprints: publicKey,
      rawPublicKeys: props.acceptRawPublicKeys ?? false,
      relayClientCerts: relay,
      permitAllClientCerts: props.permitAllClientCertificates ?? false,
      ccertAccess: access,
      tableType: props.tableType ?? TableType.HASH,
    };
    server._addClientCerts(this);
  }
}
