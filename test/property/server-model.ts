import { App, ref, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { isIP } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ClientCertPolicy,
  ClientIdentity,
  KeyAlgorithm,
  PostfixServer,
  PostfixVersion,
  SaslBackend,
  ServerCertificate,
  SessionCache,
  SessionStore,
  SubmissionPort,
  TableType,
  TlsServer,
} from '../../index';
import { expansions, parseInlineTable, parseMainCf, parseMasterCf, parseTableSource, ParsedService, tokenize } from './oracle';
import { INTERMEDIATE_EXCLUSIONS, MUA_OVERRIDES } from '../helpers/expected-postfix';

/**
 * One whole server as the user means it: every string and list prop of every construct, as plain data. The
 * properties build constructs from it (`renderConfig`) and compute, independently of the renderer, what
 * Postfix must read back (`expectedFor`): the prop-driven parameters, service names, overrides and tables are
 * modelled here; the rest (TLS profile lines, internal services) is taken from a render of the valid BASE.
 */
export interface Config {
  readonly hostname: string;
  readonly listenAddress?: string;
  readonly localDomains: readonly string[];
  readonly trustedNetworks: readonly string[];
  readonly maillogFile?: string;
  readonly additionalParameters: readonly (readonly [string, string])[];
  readonly excludeCiphers: readonly string[];
  readonly mandatoryExcludeCiphers: readonly string[];
  readonly relayClients?: readonly { readonly fingerprint: string; readonly name: string }[];
  readonly accessRules?: readonly { readonly fingerprint: string; readonly action: string }[];
  readonly tableType: TableType;
  /** A SubmissionPort with requireClientCertificate, which carries the certificate permits into master.cf. */
  readonly certSubmission: boolean;
  readonly sessionStore: { readonly kind: 'tickets' | 'btree' | 'lmdb' | 'of'; readonly type?: string; readonly path?: string };
  readonly sasl: { readonly kind: 'dovecot' | 'cyrus'; readonly path?: string };
  readonly submissionListenAddress?: string;
}

export const BASE: Config = {
  hostname: 'mx.example.com',
  localDomains: ['example.com'],
  trustedNetworks: [],
  additionalParameters: [],
  excludeCiphers: [],
  mandatoryExcludeCiphers: [],
  relayClients: [{ fingerprint: Array(32).fill('AA').join(':'), name: 'control-client' }],
  accessRules: [{ fingerprint: Array(32).fill('11').join(':'), action: 'OK' }],
  tableType: TableType.HASH,
  certSubmission: false,
  sessionStore: { kind: 'btree' },
  sasl: { kind: 'dovecot' },
};

export interface Rendered {
  readonly mainCf: string;
  readonly masterCf: string;
  readonly tables: readonly { readonly path: string; readonly content: string }[];
  /** Warning diagnostics of the render (`[rule] message`). */
  readonly warnings: readonly string[];
}

// One fixed directory for every worker: an App creates its outdir, and nothing is synthesized into it.
const OUTDIR = path.join(os.tmpdir(), 'hostile-input-cdktf.out');

function deployTimeCertificate(): ServerCertificate {
  // A deploy-time key (a token): the certificate is not read at synth, so any hostname can be tried.
  return ServerCertificate.fromDeployTimePem({
    chainPem: 'CHAIN',
    privateKeyPem: Token.asString(ref('tls_private_key.property.private_key_pem')),
    algorithm: KeyAlgorithm.ECDSA,
  });
}

function sessionStore(store: Config['sessionStore']): SessionStore {
  switch (store.kind) {
    case 'tickets':
      return SessionStore.TICKETS;
    case 'btree':
      return store.path === undefined ? SessionStore.btree() : SessionStore.btree(store.path);
    case 'lmdb':
      return store.path === undefined ? SessionStore.lmdb() : SessionStore.lmdb(store.path);
    case 'of':
      return store.path === undefined ? SessionStore.of(store.type as string) : SessionStore.of(store.type as string, store.path);
  }
}

function saslBackend(sasl: Config['sasl']): SaslBackend {
  if (sasl.kind === 'dovecot') return sasl.path === undefined ? SaslBackend.dovecot() : SaslBackend.dovecot(sasl.path);
  return sasl.path === undefined ? SaslBackend.cyrus() : SaslBackend.cyrus(sasl.path);
}

/** Where `buildConfig` puts the services instead of the config's own addresses (the relay oracle's loopback ports). */
export interface Placement {
  readonly address: string;
  readonly smtpPort: number;
  readonly submissionPort: number;
  /** Merged over the config's additionalParameters (e.g. NO_OUTBOUND_DELIVERY). */
  readonly additionalParameters: Readonly<Record<string, string>>;
}

/**
 * The release whose render the model of intended output describes (and the host's postconf, Debian 12's, reads
 * back): Postfix 3.7. The default release, 3.10, differs only in what the 3.10 prop cases and postconf-3.10.test.ts prove.
 */
export const MODEL_RELEASE = PostfixVersion.V3_7;

/** Builds the constructs of `config` under `scope` with `certificate` for MODEL_RELEASE; every throw propagates. */
export function buildConfig(scope: Construct, config: Config, certificate: ServerCertificate, placement?: Placement): PostfixServer {
  const server = new PostfixServer(scope, 'mx', {
    hostname: config.hostname,
    postfixVersion: MODEL_RELEASE,
    ...(placement ? { listenAddress: placement.address, smtpPort: placement.smtpPort } : config.listenAddress !== undefined ? { listenAddress: config.listenAddress } : {}),
    localDomains: [...config.localDomains],
    trustedNetworks: [...config.trustedNetworks],
    ...(config.maillogFile !== undefined ? { maillogFile: config.maillogFile } : {}),
    sasl: saslBackend(config.sasl),
    additionalParameters: { ...Object.fromEntries(config.additionalParameters), ...placement?.additionalParameters },
  });
  new TlsServer(server, 'Tls', {
    certificates: [certificate],
    excludeCiphers: [...config.excludeCiphers],
    mandatoryExcludeCiphers: [...config.mandatoryExcludeCiphers],
  });
  new ClientCertPolicy(server, 'ClientCerts', {
    ...(config.relayClients ? { relayClients: config.relayClients.map((c) => ClientIdentity.fromFingerprint(c.fingerprint, c.name)) } : {}),
    ...(config.accessRules
      ? { accessRules: config.accessRules.map((r) => ({ client: ClientIdentity.fromFingerprint(r.fingerprint, 'rule'), action: r.action })) }
      : {}),
    tableType: config.tableType,
  });
  new SessionCache(server, 'SessionCache', { store: sessionStore(config.sessionStore) });
  new SubmissionPort(server, 'Submission', {
    ...(placement ? { listenAddress: placement.address, port: placement.submissionPort } : config.submissionListenAddress !== undefined ? { listenAddress: config.submissionListenAddress } : {}),
    requireClientCertificate: config.certSubmission,
  });
  return server;
}

/** Builds the constructs and renders; every throw (construct or render time) propagates. */
export function renderConfig(config: Config): Rendered {
  const app = new App({ outdir: OUTDIR, skipValidation: true });
  const server = buildConfig(new TerraformStack(app, 'stack'), config, deployTimeCertificate());
  const rendered = server.render();
  return {
    mainCf: rendered.mainCf,
    masterCf: rendered.masterCf,
    tables: rendered.tables.map((t) => ({ path: t.path, content: t.content })),
    warnings: rendered.warnings.map((d) => `[${d.rule}] ${d.message}`),
  };
}

export type Entries = readonly (readonly [string, string])[];

export interface Expected {
  readonly main: ReadonlyMap<string, string>;
  readonly services: readonly ParsedService[];
  /** Table source path -> entries (keys compared case-folded, as lookups fold case). */
  readonly tables: ReadonlyMap<string, Entries>;
  /** main.cf parameters holding an inline table, with the entries Postfix must read from it. */
  readonly inlineTables: ReadonlyMap<string, Entries>;
}

const TABLE_DIRECTORY = '/etc/postfix/tables';

function tableReference(type: TableType, name: string, entries: Entries): string {
  if (type === TableType.INLINE) return `inline:{ ${entries.map(([k, v]) => `${k}=${v}`).join(', ')} }`;
  return `${type}:${TABLE_DIRECTORY}/${name}`;
}

function listenerName(address: string | undefined, standardName: string, port: number): string {
  if (address === undefined) return standardName;
  return `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/** Names whose value the model computes; every other parameter must be as in the render of BASE. */
const MODELLED = new Set([
  'myhostname', 'mydestination', 'maillog_file', 'mynetworks', 'smtpd_relay_restrictions', 'relay_clientcerts',
  'smtpd_tls_exclude_ciphers', 'smtpd_tls_mandatory_exclude_ciphers', 'smtpd_tls_session_cache_database',
  'smtpd_sasl_type', 'smtpd_sasl_path', 'cyrus_sasl_config_path', 'smtpd_tls_ask_ccert',
]);

interface Control {
  readonly main: ReadonlyMap<string, string>;
  readonly services: readonly ParsedService[];
}

let control: Control | undefined;

/** The render of BASE, parsed; the model must reproduce it exactly (checked by `checkModelAgainstBase`). */
export function baseRender(): Control {
  if (!control) {
    const rendered = renderConfig(BASE);
    control = { main: parseMainCf(rendered.mainCf), services: parseMasterCf(rendered.masterCf) };
  }
  return control;
}

/** What Postfix must read back for `config`. */
export function expectedFor(config: Config): Expected {
  const base = baseRender();
  const main = new Map<string, string>();
  for (const [name, value] of base.main) if (!MODELLED.has(name)) main.set(name, value);
  const tables = new Map<string, Entries>();
  const inlineTables = new Map<string, Entries>();
  const set = (name: string, value: string): void => {
    main.set(name, value);
  };
  set('myhostname', config.hostname.toLowerCase());
  set('mydestination', ['$myhostname', 'localhost', ...config.localDomains.map((d) => d.toLowerCase())].join(', '));
  set('maillog_file', config.maillogFile ?? '/dev/stdout');
  if (config.trustedNetworks.length > 0) set('mynetworks', config.trustedNetworks.join(', '));
  // Port 25 asks whenever an access mode is set (even with an empty list), unless the certificate-requiring
  // submission port is where the modes are used: then port 25 neither asks nor lists the certificate permits.
  const portAsks = (config.relayClients !== undefined || config.accessRules !== undefined) && !config.certSubmission;
  const permits: string[] = [];
  if (config.accessRules) {
    const entries: Entries = config.accessRules.map((r) => [r.fingerprint.toUpperCase(), r.action]);
    permits.push(`check_ccert_access ${tableReference(config.tableType, 'ccert_access', entries)}`);
    // An inline table lives where check_ccert_access is listed: main.cf only when port 25 asks.
    if (config.tableType !== TableType.INLINE) tables.set(`${TABLE_DIRECTORY}/ccert_access`, entries);
    else if (portAsks) inlineTables.set('smtpd_relay_restrictions', entries);
  }
  if (config.relayClients) {
    const entries: Entries = config.relayClients.map((c) => [c.fingerprint.toUpperCase(), c.name]);
    set('relay_clientcerts', tableReference(config.tableType, 'relay_clientcerts', entries));
    permits.push('permit_tls_clientcerts');
    if (config.tableType === TableType.INLINE) inlineTables.set('relay_clientcerts', entries);
    else tables.set(`${TABLE_DIRECTORY}/relay_clientcerts`, entries);
  }
  if (portAsks) set('smtpd_tls_ask_ccert', 'yes');
  set('smtpd_relay_restrictions', [...(config.trustedNetworks.length > 0 ? ['permit_mynetworks'] : []), ...(portAsks ? permits : []), 'reject_unauth_destination'].join(', '));
  if (config.excludeCiphers.length > 0) set('smtpd_tls_exclude_ciphers', config.excludeCiphers.join(', '));
  // The intermediate profile narrows mandatory TLS to ECDHE + AEAD; what smtpd_tls_exclude_ciphers already
  // excludes (at every level) is not repeated.
  const mandatoryExcluded = [...INTERMEDIATE_EXCLUSIONS, ...config.mandatoryExcludeCiphers].filter((c) => !config.excludeCiphers.includes(c));
  if (mandatoryExcluded.length > 0) set('smtpd_tls_mandatory_exclude_ciphers', mandatoryExcluded.join(', '));
  const store = config.sessionStore;
  if (store.kind !== 'tickets') {
    const type = store.kind === 'of' ? store.type : store.kind;
    set('smtpd_tls_session_cache_database', `${type}:${store.path ?? '/var/lib/postfix/smtpd_scache'}`);
  }
  set('smtpd_sasl_type', config.sasl.kind);
  set('smtpd_sasl_path', config.sasl.path ?? (config.sasl.kind === 'dovecot' ? 'private/auth' : 'smtpd'));
  if (config.sasl.kind === 'cyrus') set('cyrus_sasl_config_path', '/etc/postfix/sasl');
  for (const [name, value] of config.additionalParameters) set(name, value);

  const services = base.services.map((service): ParsedService => {
    if (service.type !== 'inet') return service;
    if (service.name === 'smtp') return { ...service, name: listenerName(config.listenAddress, 'smtp', 25) };
    if (service.name === 'submission') {
      const overrides: [string, string][] = [
        ['syslog_name', 'postfix/submission'],
        ['smtpd_tls_security_level', 'encrypt'],
        ['smtpd_sasl_auth_enable', 'yes'],
        // SubmissionPort authRateLimit's default; only trustedNetworks are exempt.
        ['smtpd_client_auth_rate_limit', '30'],
        ['smtpd_client_event_limit_exceptions', config.trustedNetworks.length > 0 ? '$mynetworks' : ''],
        ...(config.certSubmission ? ([['smtpd_tls_ask_ccert', 'yes'], ['smtpd_tls_req_ccert', 'yes']] as [string, string][]) : []),
        ...(portAsks ? ([['smtpd_tls_ask_ccert', 'no']] as [string, string][]) : []),
        ...MUA_OVERRIDES,
        ['smtpd_relay_restrictions', ['permit_sasl_authenticated', ...(config.certSubmission ? permits : []), 'reject'].join(', ')],
      ];
      return { ...service, name: listenerName(config.submissionListenAddress, 'submission', 587), overrides };
    }
    return service;
  });
  return { main, services, tables, inlineTables };
}

/** A restriction list as Postfix reads it: tokens, an inline table by its entries. */
export function restrictionTokens(value: string): string[] {
  return tokenize(value, ', \t\r\n').map((token) => {
    const inline = parseInlineTable(token);
    return inline ? `inline:${JSON.stringify(inline)}` : token;
  });
}

/** References the library itself writes; any other `$` in a value would be expanded by Postfix. */
const ALLOWED_MAIN_EXPANSIONS: Readonly<Record<string, readonly string[]>> = { mydestination: ['$myhostname'] };
const ALLOWED_OVERRIDE_EXPANSIONS: Readonly<Record<string, readonly string[]>> = { syslog_name: ['$service_name'], smtpd_client_event_limit_exceptions: ['$mynetworks'] };

function describeMap(map: ReadonlyMap<string, string>): string {
  return JSON.stringify(Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), null, 1);
}

function overridesMap(service: ParsedService): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of service.overrides) {
    if (map.has(name)) throw new Error(`service ${service.name}/${service.type} has -o ${name} twice: Postfix keeps only the last`);
    map.set(name, name === 'smtpd_relay_restrictions' ? JSON.stringify(restrictionTokens(value)) : value);
  }
  return map;
}

function sameEntries(actual: Entries, expected: Entries): boolean {
  const fold = (entries: Entries): string => JSON.stringify(entries.map(([k, v]) => [k.toLowerCase(), v]));
  return fold(actual) === fold(expected);
}

/**
 * Throws unless the rendered files read back, the way Postfix reads them, as exactly `expected`: the same
 * parameters with byte-identical values, the same services, columns, arguments and `-o` overrides, the same
 * table entries, and no `$` that Postfix would expand other than the library's own references.
 */
export function checkRendered(rendered: Rendered, expected: Expected): void {
  const main = parseMainCf(rendered.mainCf);
  const names = new Set([...main.keys(), ...expected.main.keys()]);
  for (const name of names) {
    if (main.get(name) !== expected.main.get(name)) {
      throw new Error(
        `main.cf ${name}: read back ${JSON.stringify(main.get(name))}, intended ${JSON.stringify(expected.main.get(name))}\n` +
          `read back: ${describeMap(main)}`,
      );
    }
  }
  for (const [name, value] of main) {
    const unexpected = expansions(value).filter((ref) => !(ALLOWED_MAIN_EXPANSIONS[name] ?? []).includes(ref));
    if (unexpected.length > 0) throw new Error(`main.cf ${name} = ${JSON.stringify(value)}: Postfix expands ${unexpected.join(' ')}`);
  }
  for (const [name, entries] of expected.inlineTables) {
    const value = main.get(name) ?? '';
    const inline = tokenize(value, ', \t\r\n').map(parseInlineTable).find((t) => t !== null);
    if (!inline || !sameEntries(inline, entries)) {
      throw new Error(`inline table in ${name}: Postfix reads ${JSON.stringify(inline)}, intended ${JSON.stringify(entries)}`);
    }
  }

  const services = parseMasterCf(rendered.masterCf);
  const describeService = (s: ParsedService): string =>
    JSON.stringify([s.name, s.type, s.private, s.unprivileged, s.chroot, s.wakeup, s.maxProcesses, s.command, s.args]);
  if (services.length !== expected.services.length) {
    throw new Error(`master.cf has ${services.length} services, intended ${expected.services.length}: ${services.map((s) => s.name).join(' ')}`);
  }
  services.forEach((service, i) => {
    const want = expected.services[i];
    if (describeService(service) !== describeService(want)) {
      throw new Error(`master.cf service ${i}: read back ${describeService(service)}, intended ${describeService(want)}`);
    }
    const [got, intended] = [overridesMap(service), overridesMap(want)];
    if (describeMap(got) !== describeMap(intended)) {
      throw new Error(`master.cf ${service.name}/${service.type} overrides: read back ${describeMap(got)}, intended ${describeMap(intended)}`);
    }
    for (const [name, value] of service.overrides) {
      const unexpected = expansions(value).filter((ref) => !(ALLOWED_OVERRIDE_EXPANSIONS[name] ?? []).includes(ref));
      if (unexpected.length > 0) throw new Error(`master.cf -o ${name}=${JSON.stringify(value)}: Postfix expands ${unexpected.join(' ')}`);
    }
  });

  const tablePaths = new Set([...rendered.tables.map((t) => t.path), ...expected.tables.keys()]);
  for (const tablePath of tablePaths) {
    const table = rendered.tables.find((t) => t.path === tablePath);
    const want = expected.tables.get(tablePath);
    if (!table || !want) throw new Error(`table ${tablePath}: rendered ${table !== undefined}, intended ${want !== undefined}`);
    const entries = parseTableSource(table.content);
    if (!sameEntries(entries, want)) {
      throw new Error(`table ${tablePath}: Postfix reads ${JSON.stringify(entries)}, intended ${JSON.stringify(want)}`);
    }
  }
}

export type Outcome = { readonly kind: 'error'; readonly error: unknown } | { readonly kind: 'rendered'; readonly rendered: Rendered };

/** Builds and renders, turning a throw into an `error` outcome. */
export function attempt(config: Config): Outcome {
  try {
    return { kind: 'rendered', rendered: renderConfig(config) };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/** Every override of the expected master.cf as `service/type/name` -> value (the form of `postconf -P`). */
export function expectedOverrides(expected: Expected): Map<string, string> {
  const out = new Map<string, string>();
  for (const service of expected.services) for (const [name, value] of service.overrides) out.set(`${service.name}/${service.type}/${name}`, value);
  return out;
}

export { TableType };
