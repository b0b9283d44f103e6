import { SASL_CONFIG_DIRECTORY } from './deploy-file';
import { ConfigError, Diagnostic, Severity } from './diagnostics';
import { lookupTable, LookupTable } from './lookup-table';
import { MainCfParameter, MainCfSection, renderMainCf } from './main-cf';
import { MasterOverride, MasterService, renderMasterCf } from './master-cf';
import { internalServices } from './postfix-services';
import type { ServerKeyPairSpec, ServerSpec, SmtpClientSpec, SmtpTlsPolicySpec, SubmissionSpec, TlsSpec } from './server-spec';
import { opensslConfigPath, TLS_PROFILES, TlsProfileName } from './tls-profile';
import { certificatesAskedOnSmtp, mandatorySmtpLevel, POST_QUANTUM_GROUPS, postQuantumKeyExchange, smtpClientLevels, validateServer } from './validate-server';
import { absolutePath, commaList, duration, hostname, integer, mailAddress, reference, word, yesNo } from './values';

/** Everything a server needs on disk besides certificates and keys. */
export interface RenderedServer {
  /** Text of /etc/postfix/main.cf. */
  readonly mainCf: string;
  /** Text of /etc/postfix/master.cf. */
  readonly masterCf: string;
  /** Lookup table source files at their paths inside the container. */
  readonly tables: RenderedTable[];
  /** Warnings found while validating (errors throw instead). */
  readonly warnings: Diagnostic[];
}

/** A lookup table source file (postmap builds its database in the container). */
export interface RenderedTable {
  /** Path inside the container. */
  readonly path: string;
  /** Table text, one entry per line. */
  readonly content: string;
}

const COMPATIBILITY_LEVEL = '3.6';

function param(name: string, value: string): MainCfParameter {
  return { name, value };
}

/** `*_tls_chain_files`: each key, then its chain; a combined file (key, then its chain) is listed once. */
function chainFiles(certificates: readonly ServerKeyPairSpec[]): string {
  return certificates.flatMap((c) => [
    absolutePath('certificate key path', c.keyPath),
    ...(c.chainPath === c.keyPath ? [] : [absolutePath('certificate chain path', c.chainPath)]),
  ]).join(', ');
}

function certificateParameters(tls: TlsSpec): MainCfParameter[] {
  if (tls.certificateless) return [param('smtpd_tls_cert_file', 'none')];
  if (tls.certificates.length === 0) return [];
  return [param('smtpd_tls_chain_files', chainFiles(tls.certificates))];
}

function tlsPolicyParameters(tls: TlsSpec): MainCfParameter[] {
  const out = [
    param('smtpd_tls_security_level', word('security level', tls.securityLevel)),
    param('smtpd_tls_loglevel', integer('TLS log level', tls.logLevel, 0, 4)),
  ];
  if (tls.receivedHeader) out.push(param('smtpd_tls_received_header', yesNo(true)));
  if (tls.starttlsTimeoutSeconds !== undefined) {
    out.push(param('smtpd_starttls_timeout', duration('STARTTLS timeout', tls.starttlsTimeoutSeconds)));
  }
  return out;
}

/**
 * Opportunistic TLS (port 25) keeps Postfix's own protocols and ciphers unless the user opted into a strict
 * profile: a sender whose handshake fails retries in plain text. The profile narrows mandatory TLS
 * (submission, `encrypt`) with exclusions; the global cipher lists, which the smtp client shares, stay.
 */
function cipherParameters(tls: TlsSpec): MainCfParameter[] {
  const mandatory = TLS_PROFILES[tls.profile];
  const opportunistic = TLS_PROFILES[tls.opportunisticProfile];
  const out: MainCfParameter[] = [];
  if (opportunistic.minimumProtocol) out.push(param('smtpd_tls_protocols', `>=${opportunistic.minimumProtocol}`));
  if (tls.cipherGrade) out.push(param('smtpd_tls_ciphers', tls.cipherGrade));
  // smtpd_tls_exclude_ciphers applies at every level, so mandatory TLS inherits these exclusions.
  const excluded = [...opportunistic.excludeCiphers, ...tls.excludeCiphers];
  if (excluded.length > 0) out.push(param('smtpd_tls_exclude_ciphers', commaList('excluded cipher', excluded)));
  const floor = tls.minimumProtocol ?? mandatory.minimumProtocol;
  if (floor) out.push(param('smtpd_tls_mandatory_protocols', `>=${floor}`));
  const mandatoryGrade = tls.mandatoryCipherGrade ?? mandatory.mandatoryCipherGrade;
  if (mandatoryGrade) out.push(param('smtpd_tls_mandatory_ciphers', mandatoryGrade));
  const mandatoryExcluded = [...mandatory.excludeCiphers, ...tls.mandatoryExcludeCiphers].filter((c) => !excluded.includes(c));
  if (mandatoryExcluded.length > 0) out.push(param('smtpd_tls_mandatory_exclude_ciphers', commaList('excluded cipher', mandatoryExcluded)));
  if (tls.dhParamFile) out.push(param('smtpd_tls_dh1024_param_file', absolutePath('DH parameter file', tls.dhParamFile)));
  // Postfix 3.8+ names RFC 7919 groups directly; the parameter file is deprecated there.
  if (tls.ffdheBits) out.push(param('tls_ffdhe_auto_groups', `ffdhe${integer('ffdhe group size', tls.ffdheBits, 2048, 8192)}`));
  return out;
}

/**
 * A profile's OpenSSL settings, as an override on the smtpd services it governs: a global tls_config_file
 * would also apply to the smtp client (outbound mail).
 */
function profileOverrides(profile: TlsProfileName): MasterOverride[] {
  return TLS_PROFILES[profile].openssl ? [{ name: 'tls_config_file', value: absolutePath('OpenSSL configuration file', opensslConfigPath(profile)) }] : [];
}

/**
 * Key exchange groups of the smtpd services: the hybrid X25519MLKEM768 (OpenSSL 3.5) first, then Postfix 3.10's
 * defaults. Per service, not in main.cf: the smtp client sends a key share for the first group only, and
 * servers without ML-KEM would answer it with a HelloRetryRequest.
 */
function keyExchangeOverrides(spec: ServerSpec): MasterOverride[] {
  return spec.tls && postQuantumKeyExchange(spec) ? [{ name: 'tls_eecdh_auto_curves', value: POST_QUANTUM_GROUPS.join(',') }] : [];
}

/** Overrides of the SMTP service: its TLS is mandatory at `encrypt`, opportunistic at `may`. */
function smtpOverrides(spec: ServerSpec): MasterOverride[] {
  const tls = spec.tls;
  if (!tls || tls.securityLevel === 'none') return [];
  return [...profileOverrides(tls.securityLevel === 'encrypt' ? tls.profile : tls.opportunisticProfile), ...keyExchangeOverrides(spec)];
}

/** Parameters a feature renders and the lookup tables they reference. */
interface Rendering {
  readonly parameters: MainCfParameter[];
  readonly tables: LookupTable[];
}

interface ClientCertRendering extends Rendering {
  /** Restrictions that grant relay to clients by certificate, in evaluation order. */
  readonly permits: string[];
}

function clientCertRendering(spec: ServerSpec): ClientCertRendering {
  const cc = spec.clientCerts;
  if (!cc) return { parameters: [], tables: [], permits: [] };
  const parameters: MainCfParameter[] = [];
  const tables: LookupTable[] = [];
  const permits: string[] = [];
  if (cc.caFile) parameters.push(param('smtpd_tls_CAfile', absolutePath('CAfile', cc.caFile)));
  if (cc.caPath) parameters.push(param('smtpd_tls_CApath', absolutePath('CApath', cc.caPath)));
  parameters.push(param('tls_append_default_CA', yesNo(cc.appendDefaultCa)));
  if (certificatesAskedOnSmtp(spec)) parameters.push(param('smtpd_tls_ask_ccert', yesNo(true)));
  if (cc.require) parameters.push(param('smtpd_tls_req_ccert', yesNo(true)));
  if (cc.verifyDepth !== undefined) {
    parameters.push(param('smtpd_tls_ccert_verifydepth', integer('client certificate verify depth', cc.verifyDepth, 1, 100)));
  }
  parameters.push(param('smtpd_tls_fingerprint_digest', cc.fingerprintDigest));
  if (cc.rawPublicKeys) parameters.push(param('smtpd_tls_enable_rpk', yesNo(true)));
  if (cc.ccertAccess) {
    const table = lookupTable('ccert_access', cc.tableType, cc.ccertAccess);
    tables.push(table);
    permits.push(`check_ccert_access ${table.reference}`);
  }
  if (cc.relayClientCerts) {
    const table = lookupTable('relay_clientcerts', cc.tableType, cc.relayClientCerts);
    tables.push(table);
    parameters.push(param('relay_clientcerts', table.reference));
    permits.push('permit_tls_clientcerts');
  }
  if (cc.permitAllClientCerts) permits.push('permit_tls_all_clientcerts');
  return { parameters, tables, permits };
}

/** The RFC 5321/2142 role mailboxes go to root; root goes to the postmaster address when one is set. */
function aliasMap(spec: ServerSpec): string {
  const root = spec.postmasterAddress !== undefined ? [`root=${mailAddress('postmaster address', spec.postmasterAddress)}`] : [];
  return `inline:{ postmaster=root, abuse=root, mailer-daemon=root${root.map((r) => `, ${r}`).join('')} }`;
}

/**
 * Outbound mail is encrypted whenever the receiving MTA offers STARTTLS (compatibility level 3.6 leaves
 * `smtp_tls_security_level` empty, i.e. plain text; Debian's generated main.cf sets `may` too).
 */

const OUTBOUND_TLS_DEFAULTS: readonly MainCfParameter[] = [param('smtp_tls_security_level', 'may'), param('smtp_tls_loglevel', '1')];
/**
 * Postfix's SMTP smuggling defence (smtp-smuggling.html; `yes` in the 3.7 backport, `normalize` since 3.9,
 * where `yes` means the same; trusted networks are exempt by default), and no VRFY for address harvesters.
 */
const PROTOCOL_DEFAULTS: readonly MainCfParameter[] = [param('smtpd_forbid_bare_newline', 'yes'), param('disable_vrfy_command', 'yes')];

/** The library's defaults for parameters users may also set in additionalParameters, where theirs win. */
function unlessSet(spec: ServerSpec, defaults: readonly MainCfParameter[]): MainCfParameter[] {
  const set = new Set(spec.additionalParameters.map((p) => p.name));
  return defaults.filter((p) => !set.has(p.name));
}

/** The table value of a policy entry: the level, then its attributes (smtp_tls_policy_maps in postconf(5)). */
function policyValue(p: SmtpTlsPolicySpec): string {
  return [
    word('policy level', p.level),
    ...(p.match ? [`match=${p.match.map((m) => word('match pattern', m)).join(':')}`] : []),
    ...(p.minimumProtocol ? [`protocols=>=${word('protocol', p.minimumProtocol)}`] : []),
    ...(p.cipherGrade ? [`ciphers=${word('cipher grade', p.cipherGrade)}`] : []),
  ].join(' ');
}

/** The typed smtp client; without one, the library's outbound defaults unless additionalParameters set them. */
function smtpClientRendering(spec: ServerSpec, client: SmtpClientSpec | undefined): Rendering {
  if (!client) return { parameters: unlessSet(spec, OUTBOUND_TLS_DEFAULTS), tables: [] };
  const levels = smtpClientLevels(client);
  const parameters = [
    param('smtp_tls_security_level', word('security level', client.securityLevel)),
    param('smtp_tls_loglevel', integer('TLS log level', client.logLevel, 0, 4)),
  ];
  // TLSA records are only used when the resolver's answers are DNSSEC-validated (TLS_README, DANE).
  if (levels.includes('dane')) parameters.push(param('smtp_dns_support_level', 'dnssec'));
  if (client.caFile) parameters.push(param('smtp_tls_CAfile', absolutePath('CAfile', client.caFile)));
  if (client.certificates.length > 0) parameters.push(param('smtp_tls_chain_files', chainFiles(client.certificates)));
  const floor = client.minimumProtocol ?? TLS_PROFILES[client.profile].minimumProtocol;
  if (floor && levels.some(mandatorySmtpLevel)) parameters.push(param('smtp_tls_mandatory_protocols', `>=${floor}`));
  const tables: LookupTable[] = [];
  if (client.policies.length > 0) {
    const table = lookupTable('smtp_tls_policy', client.tableType, client.policies.map((p) => ({ key: p.destination, value: policyValue(p) })));
    tables.push(table);
    parameters.push(param('smtp_tls_policy_maps', table.reference));
  }
  return { parameters, tables };
}

function sessionCacheParameters(spec: ServerSpec): MainCfParameter[] {
  const cache = spec.sessionCache;
  if (!cache) return [];
  const out: MainCfParameter[] = [];
  if (cache.database) {
    out.push(param('smtpd_tls_session_cache_database', `${word('session cache type', cache.database.type)}:${absolutePath('session cache path', cache.database.path)}`));
  }
  if (cache.timeoutSeconds !== undefined) {
    out.push(param('smtpd_tls_session_cache_timeout', duration('session cache timeout', cache.timeoutSeconds)));
  }
  if (cache.alwaysIssueSessionIds !== undefined) {
    out.push(param('smtpd_tls_always_issue_session_ids', yesNo(cache.alwaysIssueSessionIds)));
  }
  return out;
}

function listenerName(defaultName: string, standardPort: number, port: number, address?: string): string {
  integer('port', port, 1, 65535);
  if (address !== undefined) return `${address.includes(':') && !address.startsWith('[') ? `[${address}]` : address}:${port}`;
  return port === standardPort ? defaultName : String(port);
}

/** Restriction lists inside short `-o` must not contain spaces (master would split them), so join with ','. */
function restrictionOverride(name: string, restrictions: readonly string[]): MasterOverride {
  // An inline table carries spaces and braces: keep the list readable, the long -o form holds it.
  if (restrictions.some((r) => r.includes('{'))) return { name, value: restrictions.join(', ') };
  return { name, value: restrictions.flatMap((r) => r.split(' ')).join(',') };
}

const MUA_OVERRIDES: readonly MasterOverride[] = [
  { name: 'smtpd_reject_unlisted_recipient', value: 'no' },
  { name: 'smtpd_client_restrictions', value: '' },
  { name: 'smtpd_helo_restrictions', value: '' },
  { name: 'smtpd_sender_restrictions', value: '' },
  { name: 'smtpd_recipient_restrictions', value: '' },
  { name: 'milter_macro_daemon_name', value: 'ORIGINATING' },
];

/**
 * Binds authenticated senders to their logins. reject_authenticated_sender_login_mismatch, not
 * reject_sender_login_mismatch: the latter also refuses clients without a SASL login whose MAIL FROM has an
 * owner, i.e. the certificate clients a port with requireClientCertificate admits (postconf(5)).
 */
function senderBinding(name: string, s: SubmissionSpec): { overrides: MasterOverride[]; tables: LookupTable[] } {
  if (!s.senderLogins) return { overrides: [], tables: [] };
  // Per service, not in main.cf: each SubmissionPort has its own binding (or none).
  const table = lookupTable(`sender_logins_${name.replace(/[^A-Za-z0-9.-]/g, '_')}`, 'hash', s.senderLogins);
  return {
    overrides: [{ name: 'smtpd_sender_login_maps', value: table.reference }, { name: 'smtpd_sender_restrictions', value: 'reject_authenticated_sender_login_mismatch' }],
    tables: [table],
  };
}

/**
 * smtpd_client_auth_rate_limit, counted by anvil per client address and service. Its exceptions default to
 * $mynetworks, which without trustedNetworks is Postfix's computed default (127.0.0.0/8 and the host's own
 * addresses, all of the host network's with hostNetwork): clients the library never trusted would go unlimited.
 */
function authRateOverrides(spec: ServerSpec, s: SubmissionSpec): MasterOverride[] {
  if (!s.saslAuth || !s.authRateLimit) return [];
  return [
    { name: 'smtpd_client_auth_rate_limit', value: integer('AUTH rate limit', s.authRateLimit, 0, 1000000) },
    { name: 'smtpd_client_event_limit_exceptions', value: spec.trustedNetworks.length > 0 ? reference('mynetworks') : '' },
  ];
}

function submissionService(spec: ServerSpec, s: SubmissionSpec, certPermits: readonly string[]): { service: MasterService; tables: LookupTable[] } {
  const wrapper = s.mode === 'wrapper';
  const standardName = wrapper ? 'submissions' : 'submission';
  const name = listenerName(standardName, wrapper ? 465 : 587, s.port, s.listenAddress);
  const overrides: MasterOverride[] = [
    { name: 'syslog_name', value: `postfix/${standardName}` },
    { name: 'smtpd_tls_security_level', value: 'encrypt' },
  ];
  if (wrapper) overrides.push({ name: 'smtpd_tls_wrappermode', value: 'yes' });
  if (spec.tls) overrides.push(...profileOverrides(spec.tls.profile), ...keyExchangeOverrides(spec));
  if (s.saslAuth) overrides.push({ name: 'smtpd_sasl_auth_enable', value: 'yes' });
  overrides.push(...authRateOverrides(spec, s));
  if (s.requireClientCert) {
    overrides.push({ name: 'smtpd_tls_ask_ccert', value: 'yes' }, { name: 'smtpd_tls_req_ccert', value: 'yes' });
  } else {
    // MUAs get no certificate request, and a main.cf requirement meant for port 25 does not lock them out.
    if (certificatesAskedOnSmtp(spec)) overrides.push({ name: 'smtpd_tls_ask_ccert', value: 'no' });
    if (spec.clientCerts?.require) overrides.push({ name: 'smtpd_tls_req_ccert', value: 'no' });
  }
  const permits = [...(s.saslAuth ? ['permit_sasl_authenticated'] : []), ...(s.requireClientCert ? certPermits : [])];
  const binding = senderBinding(name, s);
  // As upstream's and Debian's master.cf: the MX's checks of strangers do not apply to authenticated
  // users, recipients are not checked against local tables, and milters see ORIGINATING mail.
  overrides.push(
    ...MUA_OVERRIDES.filter((o) => !binding.overrides.some((b) => b.name === o.name)),
    ...binding.overrides,
    restrictionOverride('smtpd_relay_restrictions', [...permits, 'reject']),
  );
  return {
    service: { name, type: 'inet', private: false, chroot: spec.chrootSmtpd, command: 'smtpd', overrides },
    tables: binding.tables,
  };
}

function throwOnErrors(spec: ServerSpec, diagnostics: readonly Diagnostic[]): void {
  const errors = diagnostics.filter((d) => d.severity === Severity.ERROR);
  if (errors.length > 0) {
    throw new ConfigError(
      `server ${spec.id} cannot be rendered:\n${errors.map((e) => `  - [${e.rule}] ${e.message}`).join('\n')}`,
    );
  }
}

/** Validates and renders a server; throws a ConfigError listing every error. */
export function renderServer(spec: ServerSpec): RenderedServer {
  const diagnostics = validateServer(spec);
  throwOnErrors(spec, diagnostics);

  const myhostname = hostname('hostname', spec.hostname);
  const clientCerts = clientCertRendering(spec);
  const smtpClient = smtpClientRendering(spec, spec.smtpClient);
  const relayRestrictions = [
    ...(spec.trustedNetworks.length > 0 ? ['permit_mynetworks'] : []),
    // Without a certificate request on port 25 the certificate permits would never match there.
    ...(certificatesAskedOnSmtp(spec) ? clientCerts.permits : []),
    'reject_unauth_destination',
  ];
  const sections: MainCfSection[] = [
    {
      title: 'Identity, local delivery and logging',
      parameters: [
        param('compatibility_level', COMPATIBILITY_LEVEL),
        param('myhostname', myhostname),
        param('mydestination', [reference('myhostname'), 'localhost', ...spec.localDomains.map((d) => hostname('local domain', d))].join(', ')),
        param('alias_maps', aliasMap(spec)),
        param('alias_database', ''),
        param('maillog_file', absolutePath('maillog file', spec.maillogFile)),
      ],
    },
    { title: 'Server certificates (key first, then its certificate chain)', parameters: spec.tls ? certificateParameters(spec.tls) : [] },
    { title: 'TLS policy of the SMTP server', parameters: spec.tls ? tlsPolicyParameters(spec.tls) : [] },
    { title: 'Protocols and ciphers', parameters: spec.tls ? cipherParameters(spec.tls) : [] },
    { title: 'Client certificates', parameters: clientCerts.parameters },
    { title: 'TLS session resumption', parameters: sessionCacheParameters(spec) },
    {
      title: 'SASL authentication (enabled per submission service in master.cf)',
      parameters: spec.sasl
        ? [
            param('smtpd_sasl_type', spec.sasl.type),
            param('smtpd_sasl_path', word('SASL path', spec.sasl.path)),
            // Where the shipped smtpd.conf is: Debian 12's Postfix looks there by itself, Debian 13's (3.10) does not.
            ...(spec.sasl.type === 'cyrus' ? [param('cyrus_sasl_config_path', SASL_CONFIG_DIRECTORY)] : []),
          ]
        : [],
    },
    {
      title: 'Relay control',
      parameters: [
        ...(spec.trustedNetworks.length > 0 ? [param('mynetworks', commaList('trusted network', spec.trustedNetworks))] : []),
        param('smtpd_relay_restrictions', relayRestrictions.join(', ')),
      ],
    },
    {
      title: 'Capacity',
      parameters: [
        ...(spec.capacity.processLimit !== undefined ? [param('default_process_limit', integer('process limit', spec.capacity.processLimit, 1, 100000))] : []),
        ...(spec.capacity.maxUse !== undefined ? [param('max_use', integer('max use', spec.capacity.maxUse, 1, 1000000))] : []),
        ...(spec.capacity.clientConnectionLimit !== undefined
          ? [param('smtpd_client_connection_count_limit', integer('client connection limit', spec.capacity.clientConnectionLimit, 0, 100000))]
          : []),
      ],
    },
    { title: 'TLS of the smtp client (outbound mail, also relayed for SASL and certificate clients)', parameters: smtpClient.parameters },
    { title: 'SMTP protocol hygiene', parameters: unlessSet(spec, PROTOCOL_DEFAULTS) },
    { title: 'Additional parameters', parameters: spec.additionalParameters.map(({ name, value }) => param(name, value)) },
  ];

  const smtpServices: MasterService[] = [];
  if (spec.smtp) {
    const overrides = smtpOverrides(spec);
    smtpServices.push({
      ...(overrides.length > 0 ? { overrides } : {}),
      name: listenerName('smtp', 25, spec.smtp.port, spec.smtp.listenAddress),
      type: 'inet',
      private: false,
      chroot: spec.chrootSmtpd,
      command: 'smtpd',
    });
  }
  const submissionTables: LookupTable[] = [];
  for (const submission of spec.submissions) {
    const { service, tables } = submissionService(spec, submission, clientCerts.permits);
    smtpServices.push(service);
    submissionTables.push(...tables);
  }

  const header = `Rendered by postfix-tls-cdktf for server ${spec.id}; do not edit by hand.`;
  return {
    mainCf: renderMainCf(header, sections),
    masterCf: renderMasterCf(header, [...smtpServices, ...internalServices(spec.chrootSmtpd)]),
    tables: [...clientCerts.tables, ...smtpClient.tables, ...submissionTables].flatMap((t) => (t.file ? [t.file] : [])),
    warnings: diagnostics,
  };
}
