import type { PostfixVersion } from './postfix-versions';
import type { MainCfParameter } from './main-cf';
import type { TableEntry, TableType } from './lookup-table';
import type { TlsProfileName } from './tls-profile';

/**
 * The pure description of one Postfix instance. Constructs build it from their props; the validator and
 * the renderers read it. Paths are paths inside the container.
 */

export type SecurityLevel = 'none' | 'may' | 'encrypt';
/** `smtp_tls_security_level` and the level of an `smtp_tls_policy_maps` entry. */
export type SmtpSecurityLevel = 'none' | 'may' | 'encrypt' | 'dane' | 'verify' | 'secure';
export type CipherGrade = 'null' | 'export' | 'low' | 'medium' | 'high';
export type TlsProtocolVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
export type KeyAlgorithm = 'rsa' | 'ecdsa' | 'dsa' | 'ed25519' | 'ed448';
export type FingerprintDigest = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export type SessionCacheDatabaseType = 'btree' | 'lmdb' | 'hash' | 'texthash';

export const TLS_PROTOCOL_VERSIONS: readonly TlsProtocolVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** One server key with its certificate chain (leaf first, then intermediates). */
export interface ServerKeyPairSpec {
  readonly algorithm: KeyAlgorithm;
  readonly keyPath: string;
  /** Equal to keyPath for a combined file (the key, then its chain). */
  readonly chainPath: string;
  /** The leaf's public key, when known at synth (not for certificates made at deploy time). */
  readonly publicKey?: PublicKeySpec;
}

/** Size of a certificate's public key: RSA modulus bits or the ECDSA curve (OpenSSL name, e.g. prime256v1). */
export interface PublicKeySpec {
  /** The leaf's subject, one line, for messages. */
  readonly subject: string;
  readonly rsaBits?: number;
  readonly curve?: string;
}

export interface TlsSpec {
  readonly certificates: readonly ServerKeyPairSpec[];
  /** Explicit anonymous-cipher-only operation (`smtpd_tls_cert_file = none`). */
  readonly certificateless: boolean;
  readonly securityLevel: SecurityLevel;
  /** Set when the user wrote an obsolete form (`smtpd_use_tls`, `smtpd_enforce_tls`), for the warning. */
  readonly obsoleteForm?: string;
  readonly logLevel: number;
  readonly receivedHeader: boolean;
  /** Governs mandatory TLS: submission services and any service at securityLevel encrypt. */
  readonly profile: TlsProfileName;
  /** Governs opportunistic TLS (port 25 at `may`); 'postfix-default' unless the user opts into a strict one. */
  readonly opportunisticProfile: TlsProfileName;
  /** Floor of mandatory TLS, overriding the profile's. */
  readonly minimumProtocol?: TlsProtocolVersion;
  readonly cipherGrade?: CipherGrade;
  readonly mandatoryCipherGrade?: CipherGrade;
  readonly excludeCiphers: readonly string[];
  readonly mandatoryExcludeCiphers: readonly string[];
  readonly dhParamFile?: string;
  /** An RFC 7919 group size for DHE: a parameter file on 3.7, `tls_ffdhe_auto_groups` on 3.8+. */
  readonly ffdheBits?: number;
  /** Offer the hybrid post-quantum group X25519MLKEM768 first; unset: where the release supports it (3.10). */
  readonly postQuantum?: boolean;
  readonly starttlsTimeoutSeconds?: number;
}

export interface ClientCertSpec {
  readonly caFile?: string;
  readonly caPath?: string;
  /** Trust hierarchies (self-signed roots with their intermediates) of caFile and caPath, when known at synth time. */
  readonly trustedCaCount?: number;
  /** Subjects of synth-known CAs that lead to no self-signed root of the set: OpenSSL never trusts them. */
  readonly casWithoutRoot?: readonly string[];
  /** Subjects of synth-known CAs that are in (or issued from) the system trust store. */
  readonly systemStoreCas?: readonly string[];
  /** The user declared the CAs dedicated to this server's clients (ClientCertPolicy dedicatedCa). */
  readonly dedicatedCa?: boolean;
  readonly appendDefaultCa: boolean;
  /** askForCertificates as given; undefined lets certificatesAskedOnSmtp decide. */
  readonly ask?: boolean;
  readonly require: boolean;
  readonly verifyDepth?: number;
  readonly fingerprintDigest: FingerprintDigest;
  /** Whether listed clients are keyed by public-key (SPKI) fingerprint rather than certificate fingerprint. */
  readonly publicKeyFingerprints: boolean;
  /** Ask clients for an RFC 7250 raw public key instead of a certificate (`smtpd_tls_enable_rpk`, 3.9+). */
  readonly rawPublicKeys: boolean;
  /** `permit_tls_clientcerts` with these `relay_clientcerts` entries (fingerprint -> note). */
  readonly relayClientCerts?: readonly TableEntry[];
  readonly permitAllClientCerts: boolean;
  /** `check_ccert_access` with these entries (fingerprint -> access(5) action). */
  readonly ccertAccess?: readonly TableEntry[];
  readonly tableType: TableType;
}

/** One `smtp_tls_policy_maps` entry: a next-hop destination and its TLS policy (postconf(5), TLS_README). */
export interface SmtpTlsPolicySpec {
  /** `domain`, `.domain` (its subdomains), `domain:port`, `[host]` or `[host]:port`. */
  readonly destination: string;
  readonly level: SmtpSecurityLevel;
  /** `match=` patterns of verify and secure, joined with ':' in the table. */
  readonly match?: readonly string[];
  /** `protocols=>=VERSION`. */
  readonly minimumProtocol?: TlsProtocolVersion;
  /** `ciphers=GRADE`. */
  readonly cipherGrade?: CipherGrade;
}

/** TLS of the smtp(8) client, for mail this server sends on. */
export interface SmtpClientSpec {
  readonly securityLevel: SmtpSecurityLevel;
  readonly logLevel: number;
  readonly policies: readonly SmtpTlsPolicySpec[];
  readonly tableType: TableType;
  /** `smtp_tls_CAfile`: the library's bundle of trusted CAs, or the system bundle. */
  readonly caFile?: string;
  /** Client certificates (`smtp_tls_chain_files`). */
  readonly certificates: readonly ServerKeyPairSpec[];
  /** Its floor governs `smtp_tls_mandatory_protocols`; the global cipher lists are never changed. */
  readonly profile: TlsProfileName;
  /** Floor of mandatory TLS, overriding the profile's. */
  readonly minimumProtocol?: TlsProtocolVersion;
}

export interface SessionCacheSpec {
  readonly database?: { readonly type: SessionCacheDatabaseType; readonly path: string };
  readonly timeoutSeconds?: number;
  readonly alwaysIssueSessionIds?: boolean;
  /** Overrides the user tried to put on a single service; tlsmgr reads these, so they would do nothing. */
  readonly serviceOverrides?: readonly string[];
}

export interface SaslSpec {
  readonly type: 'cyrus' | 'dovecot';
  readonly path: string;
  /** The sasldb file Cyrus opens at each AUTH (SaslBackend.cyrusSasldb). */
  readonly sasldbPath?: string;
}

export interface SubmissionSpec {
  /** Construct id, for messages and the syslog name. */
  readonly id: string;
  readonly port: number;
  readonly listenAddress?: string;
  /** `starttls`: STARTTLS required (587); `wrapper`: implicit TLS from the first byte (465). */
  readonly mode: 'starttls' | 'wrapper';
  readonly saslAuth: boolean;
  readonly requireClientCert: boolean;
  /** `smtpd_sender_login_maps` entries (address or `@domain` -> comma-separated logins) binding senders to logins. */
  readonly senderLogins?: readonly TableEntry[];
  /** `smtpd_client_auth_rate_limit`: AUTH commands per client address per `anvil_rate_time_unit`; 0 or unset: none. */
  readonly authRateLimit?: number;
}

/** Where the main SMTP (MX) service listens; absent when the server has no port-25 style service. */
export interface SmtpServiceSpec {
  readonly port: number;
  readonly listenAddress?: string;
}

export interface ServerSpec {
  readonly id: string;
  /** The Postfix release that will read the files: what is rendered, refused and warned about depends on it. */
  readonly postfixVersion: PostfixVersion;
  readonly hostname: string;
  /** A publicly referenced MX: RFC 3207 forbids requiring TLS on it. */
  readonly publicMx: boolean;
  readonly smtp?: SmtpServiceSpec;
  readonly localDomains: readonly string[];
  readonly trustedNetworks: readonly string[];
  readonly chrootSmtpd: boolean;
  readonly maillogFile: string;
  /** Where mail for root, postmaster, abuse and MAILER-DAEMON goes; unset keeps it in the container. */
  readonly postmasterAddress?: string;
  readonly tls?: TlsSpec;
  readonly clientCerts?: ClientCertSpec;
  readonly sessionCache?: SessionCacheSpec;
  /** Absent: the library's outbound defaults (`may`), which additionalParameters may override. */
  readonly smtpClient?: SmtpClientSpec;
  readonly sasl?: SaslSpec;
  readonly submissions: readonly SubmissionSpec[];
  readonly capacity: CapacitySpec;
  readonly additionalParameters: readonly MainCfParameter[];
}

/** Process and per-client limits; unset fields keep Postfix's defaults. */
export interface CapacitySpec {
  /** `default_process_limit`: most processes of one service, e.g. concurrent smtpd sessions. */
  readonly processLimit?: number;
  /** `smtpd_client_connection_count_limit`: concurrent connections from one client address (0 = no limit). */
  readonly clientConnectionLimit?: number;
  /** `max_use`: connections a process serves before it exits and a fresh one is forked. */
  readonly maxUse?: number;
}
