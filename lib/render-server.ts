import { ConfigError, Diagnostic, Severity } from './diagnostics';
import { lookupTable, LookupTable } from './lookup-table';
import { MainCfParameter, MainCfSection, renderMainCf } from './main-cf';
import { MasterOverride, MasterService, renderMasterCf } from './master-cf';
import { internalServices } from './postfix-services';
import type { ClientCertSpec, ServerSpec, SubmissionSpec, TlsSpec } from './server-spec';
import { TLS_PROFILES } from './tls-profile';
import { validateServer } from './validate-server';
import { absolutePath, commaList, duration, hostname, integer, reference, word, yesNo } from './values';

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

function certificateParameters(tls: TlsSpec): MainCfParameter[] {
  if (tls.certificateless) return [param('smtpd_tls_cert_file', 'none')];
  if (tls.certificates.length === 0) return [];
  // A combined file (key, then its chain) is listed once.
  const files = tls.certificates.flatMap((c) => [
    absolutePath('certificate key path', c.keyPath),
    ...(c.chainPath === c.keyPath ? [] : [absolutePath('certificate chain path', c.chainPath)]),
  ]);
  return [param('smtpd_tls_chain_files', files.join(', '))];
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

function cipherParameters(tls: TlsSpec): MainCfParameter[] {
  const profile = TLS_PROFILES[tls.profile];
  const out: MainCfParameter[] = [];
  const floor = tls.minimumProtocol ?? profile.minimumProtocol;
  if (floor) {
    out.push(param('smtpd_tls_protocols', `>=${floor}`), param('smtpd_tls_mandatory_protocols', `>=${floor}`));
  }
  if (tls.cipherGrade) out.push(param('smtpd_tls_ciphers', tls.cipherGrade));
  const mandatoryGrade = tls.mandatoryCipherGrade ?? profile.mandatoryCipherGrade;
  if (mandatoryGrade) out.push(param('smtpd_tls_mandatory_ciphers', mandatoryGrade));
  if (profile.mediumCipherList) out.push(param('tls_medium_cipherlist', profile.mediumCipherList));
  if (profile.preferServerCiphers !== undefined) {
    out.push(param('tls_preempt_cipherlist', yesNo(profile.preferServerCiphers)));
  }
  if (tls.excludeCiphers.length > 0) {
    out.push(param('smtpd_tls_exclude_ciphers', commaList('excluded cipher', tls.excludeCiphers)));
  }
  if (tls.mandatoryExcludeCiphers.length > 0) {
    out.push(param('smtpd_tls_mandatory_exclude_ciphers', commaList('excluded cipher', tls.mandatoryExcludeCiphers)));
  }
  if (tls.dhParamFile) out.push(param('smtpd_tls_dh1024_param_file', absolutePath('DH parameter file', tls.dhParamFile)));
  return out;
}

interface ClientCertRendering {
  readonly parameters: MainCfParameter[];
  readonly tables: LookupTable[];
  /** Restrictions that grant relay to clients by certificate, in evaluation order. */
  readonly permits: string[];
}

function clientCertRendering(cc: ClientCertSpec | undefined): ClientCertRendering {
  if (!cc) return { parameters: [], tables: [], permits: [] };
  const parameters: MainCfParameter[] = [];
  const tables: LookupTable[] = [];
  const permits: string[] = [];
  if (cc.caFile) parameters.push(param('smtpd_tls_CAfile', absolutePath('CAfile', cc.caFile)));
  if (cc.caPath) parameters.push(param('smtpd_tls_CApath', absolutePath('CApath', cc.caPath)));
  parameters.push(param('tls_append_default_CA', yesNo(cc.appendDefaultCa)));
  if (cc.ask || cc.require) parameters.push(param('smtpd_tls_ask_ccert', yesNo(true)));
  if (cc.require) parameters.push(param('smtpd_tls_req_ccert', yesNo(true)));
  if (cc.verifyDepth !== undefined) {
    parameters.push(param('smtpd_tls_ccert_verifydepth', integer('client certificate verify depth', cc.verifyDepth, 1, 100)));
  }
  parameters.push(param('smtpd_tls_fingerprint_digest', cc.fingerprintDigest));
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

function submissionService(spec: ServerSpec, s: SubmissionSpec, certPermits: readonly string[]): MasterService {
  const wrapper = s.mode === 'wrapper';
  const standardName = wrapper ? 'submissions' : 'submission';
  const overrides: MasterOverride[] = [
    { name: 'syslog_name', value: `postfix/${standardName}` },
    { name: 'smtpd_tls_security_level', value: 'encrypt' },
  ];
  if (wrapper) overrides.push({ name: 'smtpd_tls_wrappermode', value: 'yes' });
  if (s.saslAuth) overrides.push({ name: 'smtpd_sasl_auth_enable', value: 'yes' });
  if (s.authOnly) overrides.push({ name: 'smtpd_tls_auth_only', value: 'yes' });
  if (s.requireClientCert) {
    overrides.push({ name: 'smtpd_tls_ask_ccert', value: 'yes' }, { name: 'smtpd_tls_req_ccert', value: 'yes' });
  }
  const permits = [...(s.saslAuth ? ['permit_sasl_authenticated'] : []), ...(s.requireClientCert ? certPermits : [])];
  overrides.push(restrictionOverride('smtpd_relay_restrictions', [...permits, 'reject']));
  return {
    name: listenerName(standardName, wrapper ? 465 : 587, s.port, s.listenAddress),
    type: 'inet',
    private: false,
    chroot: spec.chrootSmtpd,
    command: 'smtpd',
    overrides,
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
  const clientCerts = clientCertRendering(spec.clientCerts);
  const relayRestrictions = [
    ...(spec.trustedNetworks.length > 0 ? ['permit_mynetworks'] : []),
    ...clientCerts.permits,
    'reject_unauth_destination',
  ];
  const sections: MainCfSection[] = [
    {
      title: 'Identity, local delivery and logging',
      parameters: [
        param('compatibility_level', COMPATIBILITY_LEVEL),
        param('myhostname', myhostname),
        param('mydestination', [reference('myhostname'), 'localhost', ...spec.localDomains.map((d) => hostname('local domain', d))].join(', ')),
        param('alias_maps', 'inline:{ postmaster=root, abuse=root }'),
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
        ? [param('smtpd_sasl_type', spec.sasl.type), param('smtpd_sasl_path', word('SASL path', spec.sasl.path))]
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
    { title: 'Additional parameters', parameters: spec.additionalParameters.map(({ name, value }) => param(name, value)) },
  ];

  const smtpServices: MasterService[] = [];
  if (spec.smtp) {
    smtpServices.push({
      name: listenerName('smtp', 25, spec.smtp.port, spec.smtp.listenAddress),
      type: 'inet',
      private: false,
      chroot: spec.chrootSmtpd,
      command: 'smtpd',
    });
  }
  for (const submission of spec.submissions) smtpServices.push(submissionService(spec, submission, clientCerts.permits));

  const header = `Rendered by postfix-tls-cdktf for server ${spec.id}; do not edit by hand.`;
  return {
    mainCf: renderMainCf(header, sections),
    masterCf: renderMasterCf(header, [...smtpServices, ...internalServices(spec.chrootSmtpd)]),
    tables: clientCerts.tables.flatMap((t) => (t.file ? [t.file] : [])),
    warnings: diagnostics,
  };
}
