/**
 * The cases of props.test.ts as data: every prop of every construct, one case per variant, each a
 * `ServerParts` builder plus what it must render. props.test.ts checks the rendered files; the relay
 * oracle (test/hardening/relay-oracle.test.ts) starts each case as a live Postfix and tries to relay.
 */
import { Fn, Token } from 'cdktf';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeployFile } from '../../lib/deploy-file';
import { ffdheGroupPem } from '../../lib/pki/dh';
import {
  CipherGrade,
  ClientIdentity,
  DhParameters,
  FingerprintDigest,
  PostfixVersion,
  SaslBackend,
  SecurityLevel,
  SessionStore,
  SmtpClientSecurityLevel,
  SubmissionMode,
  TableType,
  TlsProfile,
  TlsProtocol,
} from '../../index';
import {
  clientIdentity,
  FIXED_FINGERPRINTS,
  KeyPairFiles,
  makeDsaServerCert,
  openssl,
  opensslCertFingerprint,
  opensslPublicKeyFingerprint,
  opensslSubjectHash,
  ServerParts,
  serverCert,
  TestPki,
} from '../helpers/fixtures';

let dsa: KeyPairFiles;
/** An RFC 7919 ffdhe2048 file made by the real openssl, for DhParameters.fromFile/generated. */
let dhFile: string;
let generatedDhFile: string;

/** Makes the files some cases read (a DSA certificate, DH parameter files) in the test PKI's directory; call once before using PROP_CASES. */
export function preparePropCaseFiles(t: TestPki): void {
  dsa = makeDsaServerCert(t);
  dhFile = join(t.dir, 'ffdhe2048.pem');
  writeFileSync(dhFile, openssl(['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048']));
  generatedDhFile = join(t.dir, 'generated-dh.pem');
  writeFileSync(generatedDhFile, readFileSync(dhFile));
}

export interface MasterExpectation {
  readonly service: string;
  readonly type?: string;
  /** The service line with columns single-space separated. */
  readonly line?: string;
  /** `-o` overrides that must be present (also checked through `postconf -P`). */
  readonly overrides?: Record<string, string>;
  /** `-o` names that must not be present. */
  readonly absentOverrides?: string[];
}

export interface PropCase {
  readonly construct: 'PostfixServer' | 'TlsServer' | 'ClientCertPolicy' | 'SessionCache' | 'SubmissionPort' | 'SmtpClientTls';
  readonly prop: string;
  readonly variant: string;
  readonly parts: (t: TestPki) => ServerParts;
  /** Exact main.cf lines. */
  readonly main?: string[];
  /** main.cf parameters that must not be set. */
  readonly absent?: string[];
  readonly master?: MasterExpectation[];
  /** inet services that must not exist. */
  readonly noService?: string[];
  /** Exactly these warning rules are annotated (default: none). */
  readonly warnings?: string[];
  /** Further checks of the files the container gets. */
  readonly files?: (files: DeployFile[], t: TestPki) => void;
  /** The release the server targets (set on its props); the postconf of that release reads the case. */
  readonly postfixVersion?: PostfixVersion;
}

/** The case's parts with its postfixVersion on the server. */
export function propCaseParts(c: PropCase, t: TestPki): ServerParts {
  const parts = c.parts(t);
  return c.postfixVersion === undefined ? parts : { ...parts, server: { ...parts.server, postfixVersion: c.postfixVersion } };
}

const withSubmission: Partial<ServerParts> = { submissions: [{}] };
const ecdsa = (t: TestPki) => [serverCert(t.serverEcdsa)];
const fileAt = (files: DeployFile[], path: string): DeployFile => {
  const file = files.find((f) => f.containerPath === path);
  if (!file) throw new Error(`no file ${path} among ${files.map((f) => f.containerPath).join(', ')}`);
  return file;
};
const pemBlocks = (pem: string): string[] => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
const relayTable = (files: DeployFile[]): string => fileAt(files, '/etc/postfix/tables/relay_clientcerts').content ?? '';

/** Every prop of every construct, one case per variant (props.test.ts checks each; the relay oracle runs each live). */
export const PROP_CASES: readonly PropCase[] = [
  // ---- PostfixServer ----
  { construct: 'PostfixServer', prop: 'hostname', variant: 'FQDN, lowercased', parts: () => ({ server: { hostname: 'MX.Example.COM' } }), main: ['myhostname = mx.example.com'] },
  {
    construct: 'PostfixServer', prop: 'publicMx', variant: 'false allows encrypt on port 25',
    parts: (t) => ({ server: { publicMx: false }, tls: { certificates: ecdsa(t), securityLevel: SecurityLevel.ENCRYPT } }),
    main: ['smtpd_tls_security_level = encrypt'],
  },
  {
    construct: 'PostfixServer', prop: 'smtpService', variant: 'false: submission only', parts: () => ({ server: { smtpService: false }, ...withSubmission }),
    noService: ['smtp'], master: [{ service: 'submission' }],
  },
  { construct: 'PostfixServer', prop: 'smtpPort', variant: '2525', parts: () => ({ server: { smtpPort: 2525 } }), master: [{ service: '2525', line: '2525 inet n - n - - smtpd' }], noService: ['smtp'] },
  { construct: 'PostfixServer', prop: 'listenAddress', variant: 'IPv4', parts: () => ({ server: { listenAddress: '127.0.0.1' } }), master: [{ service: '127.0.0.1:25', line: '127.0.0.1:25 inet n - n - - smtpd' }] },
  { construct: 'PostfixServer', prop: 'listenAddress', variant: 'IPv6 in brackets', parts: () => ({ server: { listenAddress: '::1' } }), master: [{ service: '[::1]:25' }] },
  {
    construct: 'PostfixServer', prop: 'localDomains', variant: 'two domains',
    parts: () => ({ server: { localDomains: ['example.com', 'example.net'] } }), main: ['mydestination = $myhostname, localhost, example.com, example.net'],
  },
  {
    construct: 'PostfixServer', prop: 'trustedNetworks', variant: 'IPv4 and IPv6 CIDR',
    parts: () => ({ server: { trustedNetworks: ['192.0.2.0/24', '[2001:db8::]/32'] } }),
    main: ['mynetworks = 192.0.2.0/24, [2001:db8::]/32', 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination'],
  },
  {
    construct: 'PostfixServer', prop: 'chroot', variant: 'true',
    parts: () => ({ server: { chroot: true } }),
    master: [{ service: 'smtp', line: 'smtp inet n - y - - smtpd' }, { service: 'pickup', type: 'unix', line: 'pickup unix n - y 60 1 pickup' }, { service: 'qmgr', type: 'unix', line: 'qmgr unix n - n 300 1 qmgr' }],
  },
  { construct: 'PostfixServer', prop: 'chroot', variant: 'default false', parts: () => ({}), master: [{ service: 'smtp', line: 'smtp inet n - n - - smtpd' }, { service: 'pickup', type: 'unix', line: 'pickup unix n - n 60 1 pickup' }] },
  { construct: 'PostfixServer', prop: 'processLimit', variant: '300', parts: () => ({ server: { processLimit: 300 } }), main: ['default_process_limit = 300'] },
  { construct: 'PostfixServer', prop: 'maxUse', variant: 'default 1000', parts: () => ({}), main: ['max_use = 1000'] },
  { construct: 'PostfixServer', prop: 'maxUse', variant: '50', parts: () => ({ server: { maxUse: 50 } }), main: ['max_use = 50'] },
  { construct: 'PostfixServer', prop: 'clientConnectionLimit', variant: '0 (no limit)', parts: () => ({ server: { clientConnectionLimit: 0 } }), main: ['smtpd_client_connection_count_limit = 0'] },
  { construct: 'PostfixServer', prop: 'maillogFile', variant: 'a file', parts: () => ({ server: { maillogFile: '/var/log/postfix.log' } }), main: ['maillog_file = /var/log/postfix.log'] },
  {
    construct: 'PostfixServer', prop: 'postmasterAddress', variant: 'root and the role mailboxes forwarded', parts: () => ({ server: { postmasterAddress: 'Hostmaster+mx@Ops.Example.NET' } }),
    main: ['alias_maps = inline:{ postmaster=root, abuse=root, mailer-daemon=root, root=Hostmaster+mx@ops.example.net }'],
  },
  { construct: 'PostfixServer', prop: 'postmasterAddress', variant: 'default: kept in the container', parts: () => ({}), main: ['alias_maps = inline:{ postmaster=root, abuse=root, mailer-daemon=root }'] },
  { construct: 'PostfixServer', prop: 'maillogFile', variant: 'default stdout', parts: () => ({}), main: ['maillog_file = /dev/stdout'] },
  { construct: 'PostfixServer', prop: 'sasl', variant: 'dovecot()', parts: () => ({ server: { sasl: SaslBackend.dovecot() }, ...withSubmission }), main: ['smtpd_sasl_type = dovecot', 'smtpd_sasl_path = private/auth'] },
  { construct: 'PostfixServer', prop: 'sasl', variant: 'dovecot(path)', parts: () => ({ server: { sasl: SaslBackend.dovecot('private/dovecot-auth') }, ...withSubmission }), main: ['smtpd_sasl_path = private/dovecot-auth'] },
  { construct: 'PostfixServer', prop: 'sasl', variant: 'cyrus(name)', parts: () => ({ server: { sasl: SaslBackend.cyrus('submission') }, ...withSubmission }), main: ['smtpd_sasl_type = cyrus', 'smtpd_sasl_path = submission'] },
  {
    construct: 'PostfixServer', prop: 'sasl', variant: 'cyrusSasldb(file)',
    parts: (t) => ({ server: { sasl: SaslBackend.cyrusSasldb(t.saslCredentials) }, ...withSubmission }),
    main: ['smtpd_sasl_type = cyrus', 'smtpd_sasl_path = smtpd'],
    files: (files, t) => {
      expect(fileAt(files, '/etc/postfix/sasl/smtpd.conf').content).toContain('auxprop_plugin: sasldb');
      expect(fileAt(files, '/etc/postfix/sasl/private/credentials')).toEqual({ containerPath: '/etc/postfix/sasl/private/credentials', sourcePath: t.saslCredentials, secret: true });
    },
  },
  {
    construct: 'PostfixServer', prop: 'additionalParameters', variant: 'two parameters, sorted by name',
    parts: () => ({ server: { additionalParameters: { smtpd_banner: 'mx.example.com ESMTP', message_size_limit: '52428800' } } }),
    main: ['message_size_limit = 52428800', 'smtpd_banner = mx.example.com ESMTP'],
  },

  // ---- TlsServer ----
  {
    construct: 'TlsServer', prop: 'certificates', variant: 'RSA', parts: (t) => ({ tls: { certificates: [serverCert(t.serverRsa)] } }),
    main: ['smtpd_tls_chain_files = /etc/postfix/tls/private/rsa.key.pem, /etc/postfix/tls/rsa.chain.pem'],
    absent: ['smtpd_tls_cert_file', 'smtpd_tls_key_file'],
    files: (files, t) => {
      expect(fileAt(files, '/etc/postfix/tls/rsa.chain.pem').content).toBe(readFileSync(t.serverRsa.chainPath, 'utf8'));
      expect(fileAt(files, '/etc/postfix/tls/private/rsa.key.pem')).toEqual({ containerPath: '/etc/postfix/tls/private/rsa.key.pem', sourcePath: t.serverRsa.keyPath, secret: true });
    },
  },
  {
    construct: 'TlsServer', prop: 'certificates', variant: 'ECDSA + RSA dual, in the given order',
    parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa), serverCert(t.serverRsa)] } }),
    main: ['smtpd_tls_chain_files = /etc/postfix/tls/private/ecdsa.key.pem, /etc/postfix/tls/ecdsa.chain.pem, /etc/postfix/tls/private/rsa.key.pem, /etc/postfix/tls/rsa.chain.pem'],
  },
  {
    // DSA alone is refused (dsa-only: no current client negotiates it); next to ECDSA it is accepted with a warning.
    construct: 'TlsServer', prop: 'certificates', variant: 'DSA (obsolete) next to ECDSA: accepted with a warning', parts: (t) => ({ tls: { certificates: [serverCert(t.serverEcdsa), serverCert(dsa)] } }),
    main: ['smtpd_tls_chain_files = /etc/postfix/tls/private/ecdsa.key.pem, /etc/postfix/tls/ecdsa.chain.pem, /etc/postfix/tls/private/dsa.key.pem, /etc/postfix/tls/dsa.chain.pem'],
    warnings: ['dsa-obsolete'],
  },
  {
    construct: 'TlsServer', prop: 'certificateless', variant: 'true on a non-public server',
    parts: () => ({ server: { publicMx: false }, tls: { certificateless: true, profile: TlsProfile.POSTFIX_DEFAULT } }),
    main: ['smtpd_tls_cert_file = none', 'smtpd_tls_security_level = may'],
    absent: ['smtpd_tls_chain_files'],
  },
  { construct: 'TlsServer', prop: 'securityLevel', variant: 'NONE', parts: () => ({ tls: { securityLevel: SecurityLevel.NONE } }), main: ['smtpd_tls_security_level = none'], warnings: ['public-mx-without-tls'] },
  { construct: 'TlsServer', prop: 'securityLevel', variant: 'default MAY', parts: (t) => ({ tls: { certificates: ecdsa(t) } }), main: ['smtpd_tls_security_level = may'] },
  {
    construct: 'TlsServer', prop: 'securityLevel', variant: 'ENCRYPT (non-public)',
    parts: (t) => ({ server: { publicMx: false }, tls: { certificates: ecdsa(t), securityLevel: SecurityLevel.ENCRYPT } }), main: ['smtpd_tls_security_level = encrypt'],
  },
  {
    construct: 'TlsServer', prop: 'useTls', variant: 'true -> may, with a warning', parts: (t) => ({ tls: { certificates: ecdsa(t), useTls: true } }),
    main: ['smtpd_tls_security_level = may'], absent: ['smtpd_use_tls'], warnings: ['obsolete-parameter'],
  },
  {
    construct: 'TlsServer', prop: 'useTls', variant: 'false -> none, with a warning', parts: (t) => ({ tls: { certificates: ecdsa(t), useTls: false } }),
    main: ['smtpd_tls_security_level = none'], absent: ['smtpd_use_tls'], warnings: ['obsolete-parameter', 'public-mx-without-tls'],
  },
  {
    construct: 'TlsServer', prop: 'enforceTls', variant: 'true -> encrypt, with a warning',
    parts: (t) => ({ server: { publicMx: false }, tls: { certificates: ecdsa(t), enforceTls: true } }),
    main: ['smtpd_tls_security_level = encrypt'], absent: ['smtpd_enforce_tls'], warnings: ['obsolete-parameter'],
  },
  {
    // Postfix (smtpd.c): without smtpd_tls_security_level, TLS is offered only when smtpd_use_tls or
    // smtpd_enforce_tls is yes; smtpd_use_tls defaults to no, so `smtpd_enforce_tls = no` alone means none.
    construct: 'TlsServer', prop: 'enforceTls', variant: 'false alone -> none (as Postfix reads it), with a warning',
    parts: (t) => ({ tls: { certificates: ecdsa(t), enforceTls: false } }),
    main: ['smtpd_tls_security_level = none'], absent: ['smtpd_enforce_tls'], warnings: ['obsolete-parameter', 'public-mx-without-tls'],
  },
  { construct: 'TlsServer', prop: 'logLevel', variant: '2', parts: (t) => ({ tls: { certificates: ecdsa(t), logLevel: 2 } }), main: ['smtpd_tls_loglevel = 2'] },
  { construct: 'TlsServer', prop: 'logLevel', variant: '4 warns', parts: (t) => ({ tls: { certificates: ecdsa(t), logLevel: 4 } }), main: ['smtpd_tls_loglevel = 4'], warnings: ['tls-loglevel-verbose'] },
  { construct: 'TlsServer', prop: 'logLevel', variant: 'default 1', parts: (t) => ({ tls: { certificates: ecdsa(t) } }), main: ['smtpd_tls_loglevel = 1'] },
  { construct: 'TlsServer', prop: 'receivedHeader', variant: 'true', parts: (t) => ({ tls: { certificates: ecdsa(t), receivedHeader: true } }), main: ['smtpd_tls_received_header = yes'] },
  { construct: 'TlsServer', prop: 'receivedHeader', variant: 'default: not rendered', parts: (t) => ({ tls: { certificates: ecdsa(t) } }), absent: ['smtpd_tls_received_header'] },
  {
    construct: 'TlsServer', prop: 'profile', variant: 'INTERMEDIATE (default): mandatory TLS only, port 25 at Postfix\'s defaults', parts: (t) => ({ tls: { certificates: ecdsa(t) } }),
    main: [
      'smtpd_tls_mandatory_protocols = >=TLSv1.2',
      'smtpd_tls_mandatory_ciphers = medium',
      'smtpd_tls_mandatory_exclude_ciphers = aNULL, kRSA, kDHE, PSK, SHA1, SHA256, SHA384, CAMELLIA, ARIA, AESCCM',
    ],
    absent: ['smtpd_tls_protocols', 'smtpd_tls_exclude_ciphers', 'tls_medium_cipherlist', 'tls_preempt_cipherlist'],
  },
  {
    construct: 'TlsServer', prop: 'profile', variant: 'MODERN', parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.MODERN } }),
    main: ['smtpd_tls_mandatory_protocols = >=TLSv1.3'],
    absent: ['smtpd_tls_protocols', 'tls_medium_cipherlist', 'smtpd_tls_mandatory_ciphers', 'smtpd_tls_mandatory_exclude_ciphers'],
  },
  {
    construct: 'TlsServer', prop: 'profile', variant: 'INTERNET_NL: intermediate suites, its OpenSSL file on the submission service only',
    parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.INTERNET_NL }, submissions: [{}] }),
    main: ['smtpd_tls_mandatory_protocols = >=TLSv1.2', 'smtpd_tls_mandatory_exclude_ciphers = aNULL, kRSA, kDHE, PSK, SHA1, SHA256, SHA384, CAMELLIA, ARIA, AESCCM'],
    absent: ['smtpd_tls_protocols', 'tls_config_file', 'tls_medium_cipherlist'],
    master: [{ service: 'submission', overrides: { tls_config_file: '/etc/postfix/tls/openssl-internet-nl.cnf' } }, { service: 'smtp', absentOverrides: ['tls_config_file'] }],
    files: (files) => expect(fileAt(files, '/etc/postfix/tls/openssl-internet-nl.cnf').content).toMatch(/^SignatureAlgorithms = ECDSA\+SHA256:/m),
  },
  {
    construct: 'TlsServer', prop: 'opportunisticProfile', variant: 'INTERNET_NL opted in: port 25 narrowed and its OpenSSL file, with a warning',
    parts: (t) => ({ tls: { certificates: ecdsa(t), opportunisticProfile: TlsProfile.INTERNET_NL } }),
    main: ['smtpd_tls_protocols = >=TLSv1.2', 'smtpd_tls_exclude_ciphers = aNULL, kRSA, kDHE, PSK, SHA1, SHA256, SHA384, CAMELLIA, ARIA, AESCCM'],
    absent: ['tls_config_file', 'tls_medium_cipherlist'],
    master: [{ service: 'smtp', overrides: { tls_config_file: '/etc/postfix/tls/openssl-internet-nl.cnf' } }], warnings: ['strict-opportunistic-tls'],
  },
  {
    construct: 'TlsServer', prop: 'profile', variant: 'POSTFIX_DEFAULT', parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.POSTFIX_DEFAULT } }),
    absent: ['smtpd_tls_protocols', 'smtpd_tls_mandatory_protocols', 'tls_medium_cipherlist', 'smtpd_tls_mandatory_ciphers', 'smtpd_tls_mandatory_exclude_ciphers'],
  },
  {
    construct: 'TlsServer', prop: 'opportunisticProfile', variant: 'POSTFIX_DEFAULT (default): nothing narrows port 25', parts: (t) => ({ tls: { certificates: ecdsa(t) } }),
    absent: ['smtpd_tls_protocols', 'smtpd_tls_exclude_ciphers', 'smtpd_tls_ciphers'],
  },
  {
    construct: 'TlsServer', prop: 'opportunisticProfile', variant: 'INTERMEDIATE opted in: port 25 narrowed, with a warning',
    parts: (t) => ({ tls: { certificates: ecdsa(t), opportunisticProfile: TlsProfile.INTERMEDIATE } }),
    main: ['smtpd_tls_protocols = >=TLSv1.2', 'smtpd_tls_exclude_ciphers = aNULL, kRSA, kDHE, PSK, SHA1, SHA256, SHA384, CAMELLIA, ARIA, AESCCM'],
    absent: ['smtpd_tls_mandatory_exclude_ciphers', 'tls_medium_cipherlist'], warnings: ['strict-opportunistic-tls'],
  },
  {
    construct: 'TlsServer', prop: 'minimumProtocol', variant: 'TLS 1.3 where TLS is mandatory',
    parts: (t) => ({ tls: { certificates: ecdsa(t), minimumProtocol: TlsProtocol.TLS_1_3 } }),
    main: ['smtpd_tls_mandatory_protocols = >=TLSv1.3'], absent: ['smtpd_tls_protocols'],
  },
  {
    construct: 'TlsServer', prop: 'minimumProtocol', variant: 'TLS 1.0 warns', parts: (t) => ({ tls: { certificates: ecdsa(t), minimumProtocol: TlsProtocol.TLS_1_0 } }),
    main: ['smtpd_tls_mandatory_protocols = >=TLSv1'], absent: ['smtpd_tls_protocols'], warnings: ['weak-protocol-floor'],
  },
  { construct: 'TlsServer', prop: 'cipherGrade', variant: 'HIGH', parts: (t) => ({ tls: { certificates: ecdsa(t), cipherGrade: CipherGrade.HIGH } }), main: ['smtpd_tls_ciphers = high'] },
  { construct: 'TlsServer', prop: 'cipherGrade', variant: 'default: not rendered', parts: (t) => ({ tls: { certificates: ecdsa(t) } }), absent: ['smtpd_tls_ciphers'] },
  {
    construct: 'TlsServer', prop: 'mandatoryCipherGrade', variant: 'HIGH', parts: (t) => ({ tls: { certificates: ecdsa(t), mandatoryCipherGrade: CipherGrade.HIGH } }),
    main: ['smtpd_tls_mandatory_ciphers = high'],
  },
  {
    construct: 'TlsServer', prop: 'mandatoryCipherGrade', variant: 'LOW warns', parts: (t) => ({ tls: { certificates: ecdsa(t), mandatoryCipherGrade: CipherGrade.LOW } }),
    main: ['smtpd_tls_mandatory_ciphers = low'], warnings: ['weak-cipher-grade'],
  },
  {
    construct: 'TlsServer', prop: 'excludeCiphers', variant: 'two aliases', parts: (t) => ({ tls: { certificates: ecdsa(t), excludeCiphers: ['aNULL', 'MD5'] } }),
    main: ['smtpd_tls_exclude_ciphers = aNULL, MD5'],
  },
  {
    construct: 'TlsServer', prop: 'mandatoryExcludeCiphers', variant: 'two aliases after the profile\'s', parts: (t) => ({ tls: { certificates: ecdsa(t), mandatoryExcludeCiphers: ['3DES', 'RC4'] } }),
    main: ['smtpd_tls_mandatory_exclude_ciphers = aNULL, kRSA, kDHE, PSK, SHA1, SHA256, SHA384, CAMELLIA, ARIA, AESCCM, 3DES, RC4'],
  },
  {
    construct: 'TlsServer', prop: 'dhParameters', variant: 'on 3.7: DhParameters.ffdhe(3072), a real RFC 7919 group',
    postfixVersion: PostfixVersion.V3_7,
    parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.ffdhe(3072) } }),
    main: ['smtpd_tls_dh1024_param_file = /etc/postfix/tls/dh.pem'],
    files: (files) => {
      const dh = fileAt(files, '/etc/postfix/tls/dh.pem');
      expect(dh.secret).toBe(false);
      const text = openssl(['dhparam', '-noout', '-text'], dh.content).toString();
      expect(text).toContain('(3072 bit)');
      expect(text).toContain('GROUP: ffdhe3072');
    },
  },
  {
    construct: 'PostfixServer', prop: 'postfixVersion', variant: 'V3_10: DhParameters.ffdhe(3072) becomes tls_ffdhe_auto_groups, no parameter file',
    postfixVersion: PostfixVersion.V3_10,
    parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.ffdhe(3072) } }),
    main: ['tls_ffdhe_auto_groups = ffdhe3072'],
    absent: ['smtpd_tls_dh1024_param_file'],
    files: (files) => expect(files.map((f) => f.containerPath)).not.toContain('/etc/postfix/tls/dh.pem'),
  },
  {
    construct: 'TlsServer', prop: 'postQuantumKeyExchange', variant: 'default on 3.10: X25519MLKEM768 first, on the smtpd services only',
    postfixVersion: PostfixVersion.V3_10,
    parts: (t) => ({ tls: { certificates: ecdsa(t) }, ...withSubmission }),
    absent: ['tls_eecdh_auto_curves'],
    master: [
      { service: 'smtp', overrides: { tls_eecdh_auto_curves: 'X25519MLKEM768,X25519,X448,prime256v1,secp384r1,secp521r1' } },
      { service: 'submission', overrides: { tls_eecdh_auto_curves: 'X25519MLKEM768,X25519,X448,prime256v1,secp384r1,secp521r1' } },
    ],
  },
  {
    construct: 'TlsServer', prop: 'postQuantumKeyExchange', variant: 'false on 3.10: classic groups only',
    postfixVersion: PostfixVersion.V3_10,
    parts: (t) => ({ tls: { certificates: ecdsa(t), postQuantumKeyExchange: false } }),
    master: [{ service: 'smtp', absentOverrides: ['tls_eecdh_auto_curves'] }],
  },
  {
    construct: 'ClientCertPolicy', prop: 'acceptRawPublicKeys', variant: 'true on 3.10: smtpd_tls_enable_rpk, clients listed by public key',
    postfixVersion: PostfixVersion.V3_10,
    parts: (t) => ({ clientCerts: { relayClients: [clientIdentity(t.client, 'relay.example.net')], acceptRawPublicKeys: true } }),
    main: ['smtpd_tls_enable_rpk = yes', 'smtpd_tls_ask_ccert = yes', `relay_clientcerts = hash:/etc/postfix/tables/relay_clientcerts`],
  },
  {
    construct: 'PostfixServer', prop: 'postfixVersion', variant: 'V3_10: Cyrus SASL names its configuration directory',
    postfixVersion: PostfixVersion.V3_10,
    parts: () => ({ server: { sasl: SaslBackend.cyrus() }, submissions: [{}] }),
    main: ['smtpd_sasl_type = cyrus', 'cyrus_sasl_config_path = /etc/postfix/sasl'],
  },
  {
    construct: 'TlsServer', prop: 'dhParameters', variant: 'on 3.7: DhParameters.fromFile: uploaded from the local path',
    postfixVersion: PostfixVersion.V3_7,
    parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.fromFile(dhFile) } }),
    main: ['smtpd_tls_dh1024_param_file = /etc/postfix/tls/dh.pem'],
    files: (files) => expect(fileAt(files, '/etc/postfix/tls/dh.pem')).toEqual({ containerPath: '/etc/postfix/tls/dh.pem', sourcePath: dhFile, secret: false }),
  },
  {
    construct: 'TlsServer', prop: 'dhParameters', variant: 'on 3.7: DhParameters.fromPem',
    postfixVersion: PostfixVersion.V3_7,
    parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.fromPem(ffdheGroupPem(2048)) } }),
    main: ['smtpd_tls_dh1024_param_file = /etc/postfix/tls/dh.pem'],
    files: (files) => expect(fileAt(files, '/etc/postfix/tls/dh.pem').content).toBe(ffdheGroupPem(2048)),
  },
  {
    construct: 'TlsServer', prop: 'dhParameters', variant: 'on 3.7: DhParameters.generated reuses an existing file of the right size',
    postfixVersion: PostfixVersion.V3_7,
    parts: (t) => ({ tls: { certificates: ecdsa(t), profile: TlsProfile.POSTFIX_DEFAULT, dhParameters: DhParameters.generated(generatedDhFile, 2048) } }),
    main: ['smtpd_tls_dh1024_param_file = /etc/postfix/tls/dh.pem'],
    files: (files) => {
      expect(fileAt(files, '/etc/postfix/tls/dh.pem').sourcePath).toBe(generatedDhFile);
      expect(readFileSync(generatedDhFile)).toEqual(readFileSync(dhFile));
    },
  },
  {
    construct: 'TlsServer', prop: 'dhParameters', variant: 'on 3.7: with no profile using DHE: rendered with a warning',
    postfixVersion: PostfixVersion.V3_7,
    parts: (t) => ({ tls: { certificates: ecdsa(t), dhParameters: DhParameters.ffdhe(2048), opportunisticProfile: TlsProfile.INTERMEDIATE } }),
    main: ['smtpd_tls_dh1024_param_file = /etc/postfix/tls/dh.pem'], warnings: ['dh-params-unused', 'strict-opportunistic-tls'],
  },
  { construct: 'TlsServer', prop: 'dhParameters', variant: 'default NONE', parts: (t) => ({ tls: { certificates: ecdsa(t) } }), absent: ['smtpd_tls_dh1024_param_file', 'smtpd_tls_dh512_param_file'] },
  { construct: 'TlsServer', prop: 'starttlsTimeoutSeconds', variant: '120 -> 2m', parts: (t) => ({ tls: { certificates: ecdsa(t), starttlsTimeoutSeconds: 120 } }), main: ['smtpd_starttls_timeout = 2m'] },
  { construct: 'TlsServer', prop: 'starttlsTimeoutSeconds', variant: '45 -> 45s', parts: (t) => ({ tls: { certificates: ecdsa(t), starttlsTimeoutSeconds: 45 } }), main: ['smtpd_starttls_timeout = 45s'] },

  // ---- ClientCertPolicy ----
  {
    construct: 'ClientCertPolicy', prop: 'trustedCaFiles', variant: 'two CAs concatenated into one CAfile',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath, t.otherClientCa.certPath] } }),
    main: ['smtpd_tls_CAfile = /etc/postfix/tls/client-ca.pem'],
    files: (files, t) =>
      expect(pemBlocks(fileAt(files, '/etc/postfix/tls/client-ca.pem').content ?? '')).toEqual([
        ...pemBlocks(readFileSync(t.clientCa.certPath, 'utf8')),
        ...pemBlocks(readFileSync(t.otherClientCa.certPath, 'utf8')),
      ]),
  },
  {
    construct: 'ClientCertPolicy', prop: 'trustedCaPems', variant: 'a deploy-time CA (token) appended to the CAfile',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], trustedCaPems: [Fn.file(t.otherClientCa.certPath)] } }),
    main: ['smtpd_tls_CAfile = /etc/postfix/tls/client-ca.pem'],
    files: (files, t) => {
      const content = fileAt(files, '/etc/postfix/tls/client-ca.pem').content ?? '';
      expect(Token.isUnresolved(content)).toBe(true);
      expect(content).toContain(pemBlocks(readFileSync(t.clientCa.certPath, 'utf8'))[0]);
    },
  },
  {
    construct: 'ClientCertPolicy', prop: 'capathCaPems', variant: 'a deploy-time CA (token) placed in the CApath',
    parts: (t) => ({ clientCerts: { capathCaPems: [Fn.file(t.clientCa.certPath)] } }),
    main: ['smtpd_tls_CApath = /etc/postfix/tls/capath'],
    files: (files) => expect(Token.isUnresolved(fileAt(files, '/etc/postfix/tls/capath/deploy-time-0.pem').content)).toBe(true),
  },
  {
    construct: 'ClientCertPolicy', prop: 'capathCaFiles', variant: 'file named as openssl -subject_hash, .pem (the container rehashes it)',
    parts: (t) => ({ clientCerts: { capathCaFiles: [t.clientCa.certPath] } }),
    main: ['smtpd_tls_CApath = /etc/postfix/tls/capath'],
    absent: ['smtpd_tls_CAfile'],
    files: (files, t) => {
      const link = fileAt(files, `/etc/postfix/tls/capath/${opensslSubjectHash(t.clientCa.certPath)}.0.pem`);
      expect(link.content).toBe(readFileSync(t.clientCa.certPath, 'utf8'));
    },
  },
  { construct: 'ClientCertPolicy', prop: 'appendDefaultCa', variant: 'true warns', parts: () => ({ clientCerts: { appendDefaultCa: true } }), main: ['tls_append_default_CA = yes'], warnings: ['append-default-ca'] },
  { construct: 'ClientCertPolicy', prop: 'appendDefaultCa', variant: 'default no', parts: () => ({ clientCerts: {} }), main: ['tls_append_default_CA = no'], absent: ['smtpd_tls_ask_ccert'] },
  {
    construct: 'ClientCertPolicy', prop: 'askForCertificates', variant: 'true without an access mode warns',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], askForCertificates: true } }), main: ['smtpd_tls_ask_ccert = yes'], warnings: ['ask-ccert-unused'],
  },
  {
    construct: 'ClientCertPolicy', prop: 'requireCertificates', variant: 'true with encrypt on a non-public server',
    parts: (t) => ({ server: { publicMx: false }, tls: { certificates: ecdsa(t), securityLevel: SecurityLevel.ENCRYPT }, clientCerts: { trustedCaFiles: [t.clientCa.certPath], requireCertificates: true } }),
    main: ['smtpd_tls_ask_ccert = yes', 'smtpd_tls_req_ccert = yes'],
  },
  { construct: 'ClientCertPolicy', prop: 'verifyDepth', variant: '2', parts: () => ({ clientCerts: { verifyDepth: 2 } }), main: ['smtpd_tls_ccert_verifydepth = 2'], warnings: ['verify-depth-counts-intermediates'] },
  {
    construct: 'ClientCertPolicy', prop: 'relayClients', variant: 'by certificate: openssl public-key fingerprint in relay_clientcerts',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], relayClients: [clientIdentity(t.client, 'relay.example.net')] } }),
    main: ['smtpd_tls_ask_ccert = yes', 'relay_clientcerts = hash:/etc/postfix/tables/relay_clientcerts', 'smtpd_relay_restrictions = permit_tls_clientcerts, reject_unauth_destination'],
    files: (files, t) => expect(relayTable(files)).toBe(`${opensslPublicKeyFingerprint(t.client.certPath)} relay.example.net\n`),
  },
  {
    construct: 'ClientCertPolicy', prop: 'permitAllClientCertificates', variant: 'one dedicated CA',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], permitAllClientCertificates: true } }),
    main: ['smtpd_tls_ask_ccert = yes', 'smtpd_relay_restrictions = permit_tls_all_clientcerts, reject_unauth_destination'],
    absent: ['relay_clientcerts'],
  },
  {
    construct: 'ClientCertPolicy', prop: 'dedicatedCa', variant: 'a CA of the system store declared dedicated',
    parts: () => ({ clientCerts: { trustedCaFiles: ['/etc/ssl/certs/ISRG_Root_X1.pem'], permitAllClientCertificates: true, dedicatedCa: true } }),
    main: ['smtpd_relay_restrictions = permit_tls_all_clientcerts, reject_unauth_destination'],
  },
  {
    construct: 'ClientCertPolicy', prop: 'accessRules', variant: 'check_ccert_access with openssl fingerprints',
    parts: (t) => ({
      clientCerts: {
        trustedCaFiles: [t.clientCa.certPath],
        accessRules: [{ client: clientIdentity(t.client, 'relay'), action: 'OK' }, { client: clientIdentity(t.client2, 'backup'), action: 'REJECT not welcome' }],
      },
    }),
    main: ['smtpd_tls_ask_ccert = yes', 'smtpd_relay_restrictions = check_ccert_access hash:/etc/postfix/tables/ccert_access, reject_unauth_destination'],
    files: (files, t) =>
      expect(fileAt(files, '/etc/postfix/tables/ccert_access').content).toBe(
        `${opensslPublicKeyFingerprint(t.client.certPath)} OK\n${opensslPublicKeyFingerprint(t.client2.certPath)} REJECT not welcome\n`,
      ),
  },
  {
    construct: 'ClientCertPolicy', prop: 'fingerprintDigest', variant: 'SHA512: parameter and table keys',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], fingerprintDigest: FingerprintDigest.SHA512, relayClients: [clientIdentity(t.client, 'relay')] } }),
    main: ['smtpd_tls_fingerprint_digest = sha512'],
    files: (files, t) => expect(relayTable(files)).toBe(`${opensslPublicKeyFingerprint(t.client.certPath, 'sha512')} relay\n`),
  },
  {
    construct: 'ClientCertPolicy', prop: 'fingerprintDigest', variant: 'MD5 without a fingerprint access mode warns',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], fingerprintDigest: FingerprintDigest.MD5, permitAllClientCertificates: true } }),
    main: ['smtpd_tls_fingerprint_digest = md5'], warnings: ['weak-fingerprint-digest'],
  },
  {
    construct: 'ClientCertPolicy', prop: 'matchPublicKey', variant: 'false: certificate fingerprint as openssl computes it',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], matchPublicKey: false, relayClients: [clientIdentity(t.client, 'relay')] } }),
    files: (files, t) => expect(relayTable(files)).toBe(`${opensslCertFingerprint(t.client.certPath)} relay\n`),
  },
  { construct: 'ClientCertPolicy', prop: 'fingerprintDigest', variant: 'default sha256', parts: () => ({ clientCerts: {} }), main: ['smtpd_tls_fingerprint_digest = sha256'] },
  {
    construct: 'ClientCertPolicy', prop: 'matchPublicKey', variant: 'default true: public-key fingerprint as openssl computes it',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], matchPublicKey: true, relayClients: [clientIdentity(t.client, 'relay')] } }),
    files: (files, t) => {
      expect(relayTable(files)).toBe(`${opensslPublicKeyFingerprint(t.client.certPath)} relay\n`);
      expect(opensslPublicKeyFingerprint(t.client.certPath)).not.toBe(opensslCertFingerprint(t.client.certPath));
    },
  },
  ...([
    [TableType.HASH, 'hash'],
    [TableType.BTREE, 'btree'],
    [TableType.LMDB, 'lmdb'],
    [TableType.TEXTHASH, 'texthash'],
  ] as const).map(([tableType, prefix]): PropCase => ({
    construct: 'ClientCertPolicy', prop: 'tableType', variant: prefix,
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], tableType, relayClients: [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay')] } }),
    main: [`relay_clientcerts = ${prefix}:/etc/postfix/tables/relay_clientcerts`],
    files: (files) => expect(relayTable(files)).toBe(`${FIXED_FINGERPRINTS.relay} relay\n`),
  })),
  {
    construct: 'ClientCertPolicy', prop: 'tableType', variant: 'inline: entries in main.cf, no table file',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], tableType: TableType.INLINE, relayClients: [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay')] } }),
    main: [`relay_clientcerts = inline:{ ${FIXED_FINGERPRINTS.relay}=relay }`],
    files: (files) => expect(files.filter((f) => f.containerPath.startsWith('/etc/postfix/tables/'))).toEqual([]),
  },

  // ---- SessionCache ----
  { construct: 'SessionCache', prop: 'store', variant: 'TICKETS (default): no database', parts: () => ({ sessionCache: { store: SessionStore.TICKETS } }), absent: ['smtpd_tls_session_cache_database'] },
  { construct: 'SessionCache', prop: 'store', variant: 'btree()', parts: () => ({ sessionCache: { store: SessionStore.btree() } }), main: ['smtpd_tls_session_cache_database = btree:/var/lib/postfix/smtpd_scache'] },
  { construct: 'SessionCache', prop: 'store', variant: 'btree(path)', parts: () => ({ sessionCache: { store: SessionStore.btree('/var/lib/postfix/other_scache') } }), main: ['smtpd_tls_session_cache_database = btree:/var/lib/postfix/other_scache'] },
  { construct: 'SessionCache', prop: 'store', variant: 'lmdb()', parts: () => ({ sessionCache: { store: SessionStore.lmdb() } }), main: ['smtpd_tls_session_cache_database = lmdb:/var/lib/postfix/smtpd_scache'] },
  { construct: 'SessionCache', prop: 'store', variant: "of('hash')", parts: () => ({ sessionCache: { store: SessionStore.of('hash') } }), main: ['smtpd_tls_session_cache_database = hash:/var/lib/postfix/smtpd_scache'] },
  { construct: 'SessionCache', prop: 'timeoutSeconds', variant: '7200 -> 2h', parts: () => ({ sessionCache: { timeoutSeconds: 7200 } }), main: ['smtpd_tls_session_cache_timeout = 2h'] },
  { construct: 'SessionCache', prop: 'timeoutSeconds', variant: 'over 24h warns', parts: () => ({ sessionCache: { timeoutSeconds: 2 * 86400 } }), main: ['smtpd_tls_session_cache_timeout = 2d'], warnings: ['session-cache-timeout-long'] },
  { construct: 'SessionCache', prop: 'alwaysIssueSessionIds', variant: 'false (ignored with tickets, warns)', parts: () => ({ sessionCache: { alwaysIssueSessionIds: false } }), main: ['smtpd_tls_always_issue_session_ids = no'], warnings: ['session-ids-flag-ignored'] },
  { construct: 'SessionCache', prop: 'alwaysIssueSessionIds', variant: 'false without tickets or database', parts: () => ({ sessionCache: { alwaysIssueSessionIds: false, timeoutSeconds: 0 } }), main: ['smtpd_tls_always_issue_session_ids = no'], warnings: ['session-cache-disabled'] },
  { construct: 'SessionCache', prop: 'alwaysIssueSessionIds', variant: 'true', parts: () => ({ sessionCache: { alwaysIssueSessionIds: true } }), main: ['smtpd_tls_always_issue_session_ids = yes'] },

  // ---- SubmissionPort ----
  {
    construct: 'SubmissionPort', prop: 'mode', variant: 'STARTTLS (default) on 587', parts: () => ({ submissions: [{ mode: SubmissionMode.STARTTLS }] }),
    master: [{
      service: 'submission', line: 'submission inet n - n - - smtpd',
      overrides: {
        syslog_name: 'postfix/submission', smtpd_tls_security_level: 'encrypt', smtpd_sasl_auth_enable: 'yes',
        smtpd_relay_restrictions: 'permit_sasl_authenticated,reject',
      },
      absentOverrides: ['smtpd_tls_wrappermode', 'smtpd_tls_req_ccert', 'smtpd_tls_auth_only'],
    }],
  },
  {
    construct: 'SubmissionPort', prop: 'mode', variant: 'WRAPPER on 465, only in master.cf', parts: () => ({ submissions: [{ mode: SubmissionMode.WRAPPER }] }),
    master: [{ service: 'submissions', overrides: { syslog_name: 'postfix/submissions', smtpd_tls_wrappermode: 'yes', smtpd_tls_security_level: 'encrypt' } }],
    absent: ['smtpd_tls_wrappermode'],
  },
  { construct: 'SubmissionPort', prop: 'port', variant: '2587', parts: () => ({ submissions: [{ port: 2587 }] }), master: [{ service: '2587', overrides: { smtpd_tls_security_level: 'encrypt' } }], noService: ['submission'] },
  { construct: 'SubmissionPort', prop: 'listenAddress', variant: '127.0.0.1', parts: () => ({ submissions: [{ listenAddress: '127.0.0.1' }] }), master: [{ service: '127.0.0.1:587' }] },
  {
    construct: 'SubmissionPort', prop: 'saslAuthentication', variant: 'false with required client certificates',
    parts: (t) => ({
      clientCerts: { trustedCaFiles: [t.clientCa.certPath], relayClients: [clientIdentity(t.client, 'relay')] },
      submissions: [{ saslAuthentication: false, requireClientCertificate: true }],
    }),
    master: [{
      service: 'submission',
      overrides: { smtpd_tls_ask_ccert: 'yes', smtpd_tls_req_ccert: 'yes', smtpd_relay_restrictions: 'permit_tls_clientcerts,reject' },
      absentOverrides: ['smtpd_sasl_auth_enable'],
    }],
  },
  {
    construct: 'SubmissionPort', prop: 'authOnly', variant: 'true: implied, not rendered, warns', parts: () => ({ submissions: [{ authOnly: true }] }),
    master: [{ service: 'submission', overrides: { smtpd_sasl_auth_enable: 'yes' }, absentOverrides: ['smtpd_tls_auth_only'] }], warnings: ['auth-only-implied'],
  },
  {
    construct: 'SubmissionPort', prop: 'requireClientCertificate', variant: 'true next to SASL',
    parts: (t) => ({ clientCerts: { trustedCaFiles: [t.clientCa.certPath], permitAllClientCertificates: true }, submissions: [{ requireClientCertificate: true }] }),
    master: [{
      service: 'submission',
      overrides: { smtpd_tls_ask_ccert: 'yes', smtpd_tls_req_ccert: 'yes', smtpd_relay_restrictions: 'permit_sasl_authenticated,permit_tls_all_clientcerts,reject' },
    }],
  },

  {
    construct: 'SubmissionPort', prop: 'senderLogins', variant: 'addresses and a domain, a shared address: a hash table of address -> logins, per service',
    parts: () => ({ submissions: [{ senderLogins: { alice: ['Alice@Example.com', 'info@example.com'], bob: ['info@example.com', '@example.net'] } }, { mode: SubmissionMode.WRAPPER }] }),
    master: [
      { service: 'submission', overrides: { smtpd_sender_login_maps: 'hash:/etc/postfix/tables/sender_logins_submission', smtpd_sender_restrictions: 'reject_authenticated_sender_login_mismatch' } },
      { service: 'submissions', absentOverrides: ['smtpd_sender_login_maps', 'smtpd_sender_restrictions'] },
    ],
    absent: ['smtpd_sender_login_maps', 'smtpd_sender_restrictions'],
    files: (files) => expect(fileAt(files, '/etc/postfix/tables/sender_logins_submission').content).toBe('@example.net bob\nalice@example.com alice\ninfo@example.com alice,bob\n'),
  },
  {
    construct: 'SubmissionPort', prop: 'senderLogins', variant: 'default: no binding, no table',
    parts: () => ({ submissions: [{}] }),
    master: [{ service: 'submission', absentOverrides: ['smtpd_sender_login_maps'] }],
    files: (files) => expect(files.filter((f) => f.containerPath.startsWith('/etc/postfix/tables/sender_logins'))).toEqual([]),
  },
  {
    construct: 'SubmissionPort', prop: 'authRateLimit', variant: 'default 30, no client exempt without trustedNetworks',
    parts: () => ({ submissions: [{}] }),
    master: [{ service: 'submission', overrides: { smtpd_client_auth_rate_limit: '30' } }, { service: 'smtp', absentOverrides: ['smtpd_client_auth_rate_limit'] }],
    absent: ['smtpd_client_auth_rate_limit', 'smtpd_client_event_limit_exceptions'],
    files: (files) => expect(fileAt(files, '/etc/postfix/master.cf').content).toContain('-o { smtpd_client_event_limit_exceptions = }'),
  },
  {
    construct: 'SubmissionPort', prop: 'authRateLimit', variant: '5, with trustedNetworks exempt',
    parts: () => ({ server: { trustedNetworks: ['192.0.2.0/24'] }, submissions: [{ authRateLimit: 5 }] }),
    master: [{ service: 'submission', overrides: { smtpd_client_auth_rate_limit: '5', smtpd_client_event_limit_exceptions: '$mynetworks' } }],
  },
  {
    construct: 'SubmissionPort', prop: 'authRateLimit', variant: '0: no limit, nothing rendered',
    parts: () => ({ submissions: [{ authRateLimit: 0 }] }),
    master: [{ service: 'submission', absentOverrides: ['smtpd_client_auth_rate_limit', 'smtpd_client_event_limit_exceptions'] }],
  },

  // ---- SmtpClientTls ----
  { construct: 'SmtpClientTls', prop: 'securityLevel', variant: 'MAY (default)', parts: () => ({ smtpClient: {} }), main: ['smtp_tls_security_level = may', 'smtp_tls_loglevel = 1'], absent: ['smtp_tls_mandatory_protocols', 'smtp_tls_CAfile', 'smtp_dns_support_level'] },
  { construct: 'SmtpClientTls', prop: 'securityLevel', variant: 'ENCRYPT: the profile floor for mandatory TLS', parts: () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.ENCRYPT } }), main: ['smtp_tls_security_level = encrypt', 'smtp_tls_mandatory_protocols = >=TLSv1.2'] },
  { construct: 'SmtpClientTls', prop: 'securityLevel', variant: 'DANE warns and renders dnssec', parts: () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.DANE } }), main: ['smtp_tls_security_level = dane', 'smtp_dns_support_level = dnssec'], warnings: ['smtp-dane-resolver'] },
  { construct: 'SmtpClientTls', prop: 'securityLevel', variant: 'NONE warns', parts: () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.NONE } }), main: ['smtp_tls_security_level = none'], warnings: ['smtp-tls-none'] },
  {
    construct: 'SmtpClientTls', prop: 'policies', variant: 'secure with match, a protocol floor and a cipher grade',
    parts: (t) => ({ smtpClient: { trustedCaFiles: [t.root.certPath], policies: [{ destination: '[relay.example.net]:587', securityLevel: SmtpClientSecurityLevel.SECURE, match: ['relay.example.net'], minimumProtocol: TlsProtocol.TLS_1_3, cipherGrade: CipherGrade.HIGH }] } }),
    main: ['smtp_tls_policy_maps = hash:/etc/postfix/tables/smtp_tls_policy', 'smtp_tls_mandatory_protocols = >=TLSv1.2'],
    files: (files) => expect(fileAt(files, '/etc/postfix/tables/smtp_tls_policy').content).toBe('[relay.example.net]:587 secure match=relay.example.net protocols=>=TLSv1.3 ciphers=high\n'),
  },
  {
    construct: 'SmtpClientTls', prop: 'trustedCaFiles', variant: 'VERIFY with a CA file', parts: (t) => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.VERIFY, trustedCaFiles: [t.root.certPath] } }),
    main: ['smtp_tls_security_level = verify', 'smtp_tls_CAfile = /etc/postfix/tls/smtp-ca.pem'],
    files: (files, t) => expect(pemBlocks(fileAt(files, '/etc/postfix/tls/smtp-ca.pem').content ?? '')).toEqual(pemBlocks(readFileSync(t.root.certPath, 'utf8'))),
  },
  {
    construct: 'SmtpClientTls', prop: 'trustedCaPems', variant: 'a literal CA PEM', parts: (t) => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.VERIFY, trustedCaPems: [readFileSync(t.root.certPath, 'utf8')] } }),
    main: ['smtp_tls_CAfile = /etc/postfix/tls/smtp-ca.pem'],
    files: (files, t) => expect(fileAt(files, '/etc/postfix/tls/smtp-ca.pem').content).toBe(readFileSync(t.root.certPath, 'utf8')),
  },
  { construct: 'SmtpClientTls', prop: 'trustSystemCas', variant: 'SECURE with the system bundle', parts: () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.SECURE, trustSystemCas: true } }), main: ['smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt'] },
  { construct: 'SmtpClientTls', prop: 'logLevel', variant: '0', parts: () => ({ smtpClient: { logLevel: 0 } }), main: ['smtp_tls_loglevel = 0'] },
  {
    construct: 'SmtpClientTls', prop: 'certificate', variant: 'the server\'s RSA certificate as client certificate', parts: (t) => ({ smtpClient: { certificate: serverCert(t.serverRsa) } }),
    main: ['smtp_tls_chain_files = /etc/postfix/tls/private/smtp-rsa.key.pem, /etc/postfix/tls/smtp-rsa.chain.pem'],
    files: (files, t) => expect(fileAt(files, '/etc/postfix/tls/private/smtp-rsa.key.pem')).toEqual({ containerPath: '/etc/postfix/tls/private/smtp-rsa.key.pem', sourcePath: t.serverRsa.keyPath, secret: true }),
  },
  { construct: 'SmtpClientTls', prop: 'profile', variant: 'MODERN at ENCRYPT', parts: () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.ENCRYPT, profile: TlsProfile.MODERN } }), main: ['smtp_tls_mandatory_protocols = >=TLSv1.3'] },
  { construct: 'SmtpClientTls', prop: 'minimumProtocol', variant: 'TLSv1.3 over POSTFIX_DEFAULT', parts: () => ({ smtpClient: { securityLevel: SmtpClientSecurityLevel.ENCRYPT, profile: TlsProfile.POSTFIX_DEFAULT, minimumProtocol: TlsProtocol.TLS_1_3 } }), main: ['smtp_tls_mandatory_protocols = >=TLSv1.3'] },
  {
    construct: 'SmtpClientTls', prop: 'tableType', variant: 'texthash: no postmap', parts: () => ({ smtpClient: { tableType: TableType.TEXTHASH, policies: [{ destination: '.example.org', securityLevel: SmtpClientSecurityLevel.ENCRYPT }] } }),
    main: ['smtp_tls_policy_maps = texthash:/etc/postfix/tables/smtp_tls_policy'],
  },
];
