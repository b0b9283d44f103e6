import { ConfigError, Severity } from '../../lib/diagnostics';
import { TABLE_TYPES } from '../../lib/lookup-table';
import { renderServer } from '../../lib/render-server';
import type { ServerSpec, SubmissionSpec } from '../../lib/server-spec';
import { validateServer } from '../../lib/validate-server';
import { describeIfPostconf, postconfCheck } from '../helpers/postconf';
import { baselineSpec, certificatelessSpec, clientCerts, server, sessionCache, SMTP_CA_FILE, smtpClient, submissions, tls } from './baseline-spec';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTERMEDIATE_EXCLUSIONS as INTERMEDIATE_EXCLUSION_LIST, MUA_OVERRIDES } from '../helpers/expected-postfix';

// ---- independent readers of the rendered text -------------------------------------------------------------------

/** main.cf as Postfix reads it: `name = value` lines; comments and blank lines skipped; a name twice is an error. */
function parseMainCf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z][A-Za-z0-9_]*) =(?: (.*))?$/.exec(line);
    if (!match) throw new Error(`unexpected main.cf line ${JSON.stringify(line)}`);
    if (match[1] in out) throw new Error(`${match[1]} set twice`);
    out[match[1]] = match[2] ?? '';
  }
  return out;
}

interface ParsedService {
  readonly name: string;
  readonly type: string;
  readonly columns: string[];
  readonly overrides: Record<string, string>;
}

/** master.cf services with their `-o` overrides, both `-o n=v` and `-o { n = v }`. */
function parseMasterCf(text: string): ParsedService[] {
  const logical: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (/^\s/.test(line)) logical[logical.length - 1] += ` ${line.trim()}`;
    else logical.push(line);
  }
  return logical.map((line) => {
    const columns = line.split(/\s+/).slice(0, 8);
    const rest = line.split(/\s+/).slice(8).join(' ');
    const overrides: Record<string, string> = {};
    for (const m of rest.matchAll(/-o \{ ([A-Za-z0-9_]+) = (.*?) ?\}|-o ([A-Za-z0-9_]+)=(\S*)/g)) {
      overrides[m[1] ?? m[3]] = (m[2] ?? m[4]).trim();
    }
    return { name: columns[0], type: columns[1], columns, overrides };
  });
}

function service(masterCf: string, name: string): ParsedService {
  const found = parseMasterCf(masterCf).filter((s) => s.name === name && s.type === 'inet');
  expect(found).toHaveLength(1);
  return found[0];
}

// ---- what the renderer is meant to produce, stated from the spec --------------------------------------------------

/** The intermediate profile's exclusions as main.cf lists them. */
const INTERMEDIATE_EXCLUSIONS = INTERMEDIATE_EXCLUSION_LIST.join(', ');

const BASELINE_MAIN_CF: Record<string, string> = {
  compatibility_level: '3.6',
  myhostname: 'mx.example.com',
  mydestination: '$myhostname, localhost, example.com',
  alias_maps: 'inline:{ postmaster=root, abuse=root, mailer-daemon=root }',
  alias_database: '',
  maillog_file: '/dev/stdout',
  smtpd_tls_chain_files:
    '/etc/postfix/tls/private/ecdsa.key.pem, /etc/postfix/tls/ecdsa.chain.pem, /etc/postfix/tls/private/rsa.key.pem, /etc/postfix/tls/rsa.chain.pem',
  smtpd_tls_security_level: 'may',
  smtpd_tls_loglevel: '1',
  smtpd_tls_mandatory_protocols: '>=TLSv1.2',
  smtpd_tls_mandatory_ciphers: 'medium',
  smtpd_tls_mandatory_exclude_ciphers: INTERMEDIATE_EXCLUSIONS,
  smtpd_tls_CAfile: '/etc/postfix/tls/client-ca.pem',
  tls_append_default_CA: 'no',
  smtpd_tls_ask_ccert: 'yes',
  smtpd_tls_fingerprint_digest: 'sha256',
  relay_clientcerts: 'hash:/etc/postfix/tables/relay_clientcerts',
  smtpd_tls_session_cache_timeout: '1h',
  smtpd_sasl_type: 'cyrus',
  smtpd_sasl_path: 'smtpd',
  cyrus_sasl_config_path: '/etc/postfix/sasl',
  smtpd_relay_restrictions: 'permit_tls_clientcerts, reject_unauth_destination',
  smtp_tls_security_level: 'may',
  smtp_tls_loglevel: '1',
  smtpd_forbid_bare_newline: 'yes',
  disable_vrfy_command: 'yes',
};

function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** The master.cf name of a submission service: the standard name on its standard port, else [ADDRESS:]PORT. */
function submissionName(s: SubmissionSpec): string {
  const standard = s.mode === 'wrapper' ? 'submissions' : 'submission';
  if (s.listenAddress !== undefined) return `${bracket(s.listenAddress)}:${s.port}`;
  return s.port === (s.mode === 'wrapper' ? 465 : 587) ? standard : String(s.port);
}

function smtpName(spec: ServerSpec): string | undefined {
  if (!spec.smtp) return undefined;
  if (spec.smtp.listenAddress !== undefined) return `${bracket(spec.smtp.listenAddress)}:${spec.smtp.port}`;
  return spec.smtp.port === 25 ? 'smtp' : String(spec.smtp.port);
}

/**
 * The `-o` overrides every submission port must carry (Debian's submission/submissions examples), plus the one
 * internal override (relay's syslog_name). `relay` gives a port's smtpd_relay_restrictions when it is not the
 * plain SASL one.
 */
/** The internet-nl profile's OpenSSL file, named by -o tls_config_file on each smtpd service the profile governs. */
const INTERNET_NL_OPENSSL = '/etc/postfix/tls/openssl-internet-nl.cnf';
/** The baseline's certificates with key sizes that meet the internet-nl profile (ECDSA P-256, RSA 3072). */
const NCSC_CERTIFICATES = baselineSpec().tls!.certificates.map((c) => ({ ...c, publicKey: { subject: 'CN=mx.example.com', ...(c.algorithm === 'rsa' ? { rsaBits: 3072 } : { curve: 'prime256v1' }) } }));

function intendedOverrides(spec: ServerSpec, relay: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of spec.submissions) {
    const p = `${submissionName(s)}/inet/`;
    out[`${p}syslog_name`] = `postfix/${s.mode === 'wrapper' ? 'submissions' : 'submission'}`;
    out[`${p}smtpd_tls_security_level`] = 'encrypt';
    if (s.mode === 'wrapper') out[`${p}smtpd_tls_wrappermode`] = 'yes';
    if (s.saslAuth) out[`${p}smtpd_sasl_auth_enable`] = 'yes';
    if (s.requireClientCert) {
      out[`${p}smtpd_tls_ask_ccert`] = 'yes';
      out[`${p}smtpd_tls_req_ccert`] = 'yes';
    } else {
      // A certificate request meant for port 25 is withdrawn from MUAs; so is a requirement.
      const portAsks = parseMainCf(renderServer(spec).mainCf).smtpd_tls_ask_ccert === 'yes';
      if (portAsks) out[`${p}smtpd_tls_ask_ccert`] = 'no';
      if (spec.clientCerts?.require) out[`${p}smtpd_tls_req_ccert`] = 'no';
    }
    for (const [name, value] of MUA_OVERRIDES) out[`${p}${name}`] = value;
    out[`${p}smtpd_relay_restrictions`] = relay[s.id] ?? 'permit_sasl_authenticated,reject';
    if (spec.tls?.profile === 'internet-nl') out[`${p}tls_config_file`] = INTERNET_NL_OPENSSL;
  }
  // The SMTP service is governed by the mandatory profile at encrypt, the opportunistic one at may.
  const smtpProfile = spec.tls?.securityLevel === 'encrypt' ? spec.tls.profile : spec.tls?.securityLevel === 'may' ? spec.tls.opportunisticProfile : undefined;
  if (spec.smtp && smtpProfile === 'internet-nl') out[`${smtpName(spec)}/inet/tls_config_file`] = INTERNET_NL_OPENSSL;
  out['relay/unix/syslog_name'] = 'postfix/$service_name';
  return out;
}

// ---- tests --------------------------------------------------------------------------------------------------------

describe('renderServer: baseline main.cf', () => {
  const rendered = renderServer(baselineSpec());

  test('exactly the expected parameters and values, nothing else', () => {
    expect(parseMainCf(rendered.mainCf)).toEqual(BASELINE_MAIN_CF);
  });

  test('sections in order under their comments, parameters in the intended order', () => {
    const titles = rendered.mainCf.split('\n').filter((l) => l.startsWith('# ')).map((l) => l.slice(2));
    expect(titles).toEqual([
      'Rendered by postfix-tls-cdktf for server mx; do not edit by hand.',
      'Identity, local delivery and logging',
      'Server certificates (key first, then its certificate chain)',
      'TLS policy of the SMTP server',
      'Protocols and ciphers',
      'Client certificates',
      'TLS session resumption',
      'SASL authentication (enabled per submission service in master.cf)',
      'Relay control',
      'TLS of the smtp client (outbound mail, also relayed for SASL and certificate clients)',
      'SMTP protocol hygiene',
    ]);
    expect(Object.keys(parseMainCf(rendered.mainCf))).toEqual(Object.keys(BASELINE_MAIN_CF));
  });

  test('the empty "Additional parameters" section is left out', () => {
    expect(rendered.mainCf).not.toContain('Additional parameters');
  });

  test('no obsolete or forbidden parameter, and wrapper mode never in main.cf', () => {
    for (const name of ['smtpd_use_tls', 'smtpd_enforce_tls', 'smtpd_tls_wrappermode', 'smtpd_tls_dh512_param_file', 'smtpd_tls_cert_file', 'smtpd_tls_key_file']) {
      expect(rendered.mainCf).not.toContain(name);
    }
  });

  test('one relay_clientcerts table file, no warnings', () => {
    expect(rendered.tables).toEqual([{ path: '/etc/postfix/tables/relay_clientcerts', content: 'D7:04:2F:A7 lutzpc\n' }]);
    expect(rendered.warnings).toEqual([]);
  });
});

describe('renderServer: baseline master.cf', () => {
  const { masterCf, mainCf } = renderServer(baselineSpec());

  test('port 25 smtpd without overrides, unchrooted, public', () => {
    const smtp = service(masterCf, 'smtp');
    expect(smtp.columns).toEqual(['smtp', 'inet', 'n', '-', 'n', '-', '-', 'smtpd']);
    expect(smtp.overrides).toEqual({});
  });

  test('submission (587): STARTTLS required, SASL, AUTH only after TLS, relay only for authenticated clients', () => {
    const sub = service(masterCf, 'submission');
    expect(sub.columns).toEqual(['submission', 'inet', 'n', '-', 'n', '-', '-', 'smtpd']);
    expect(sub.overrides).toEqual({
      syslog_name: 'postfix/submission',
      smtpd_tls_security_level: 'encrypt',
      smtpd_sasl_auth_enable: 'yes',
      // Port 25 asks for client certificates; MUAs are not asked.
      smtpd_tls_ask_ccert: 'no',
      ...Object.fromEntries(MUA_OVERRIDES),
      smtpd_relay_restrictions: 'permit_sasl_authenticated,reject',
    });
    expect(masterCf).toContain('  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=yes\n');
    // Implied by encrypt (smtpd.c sets auth_only whenever TLS is enforced).
    expect(masterCf).not.toContain('smtpd_tls_auth_only');
  });

  test('submissions (465): wrapper mode as a master.cf override only', () => {
    const subs = service(masterCf, 'submissions');
    expect(subs.overrides).toEqual({
      syslog_name: 'postfix/submissions',
      smtpd_tls_security_level: 'encrypt',
      smtpd_tls_wrappermode: 'yes',
      smtpd_sasl_auth_enable: 'yes',
      smtpd_tls_ask_ccert: 'no',
      ...Object.fromEntries(MUA_OVERRIDES),
      smtpd_relay_restrictions: 'permit_sasl_authenticated,reject',
    });
    expect(masterCf.match(/smtpd_tls_wrappermode/g)).toHaveLength(1);
    expect(mainCf).not.toMatch(/wrappermode/);
  });

  test('the internal Debian services follow, each once; tlsmgr wakes up "1000?"', () => {
    const services = parseMasterCf(masterCf);
    const keys = services.map((s) => `${s.name}/${s.type}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.slice(0, 3)).toEqual(['smtp/inet', 'submission/inet', 'submissions/inet']);
    for (const name of ['pickup', 'cleanup', 'qmgr', 'tlsmgr', 'rewrite', 'bounce', 'defer', 'trace', 'verify', 'flush', 'proxymap', 'smtp', 'relay', 'local', 'virtual', 'lmtp', 'anvil', 'scache']) {
      expect(keys).toContain(`${name}/unix`);
    }
    expect(keys).toContain('postlog/unix-dgram');
    expect(services.find((s) => s.name === 'tlsmgr')?.columns[5]).toBe('1000?');
  });
});

describe('renderServer: certificates', () => {
  test('dual ECDSA + RSA: smtpd_tls_chain_files is key, chain, key, chain in the given order', () => {
    const files = parseMainCf(renderServer(baselineSpec()).mainCf).smtpd_tls_chain_files.split(', ');
    expect(files).toEqual([
      '/etc/postfix/tls/private/ecdsa.key.pem',
      '/etc/postfix/tls/ecdsa.chain.pem',
      '/etc/postfix/tls/private/rsa.key.pem',
      '/etc/postfix/tls/rsa.chain.pem',
    ]);
    const [ecdsa, rsa] = baselineSpec().tls!.certificates;
    const swapped = parseMainCf(renderServer(tls({ certificates: [rsa, ecdsa] })).mainCf).smtpd_tls_chain_files.split(', ');
    expect(swapped).toEqual([rsa.keyPath, rsa.chainPath, ecdsa.keyPath, ecdsa.chainPath]);
  });

  test('one certificate: one key and its chain', () => {
    const [ecdsa] = baselineSpec().tls!.certificates;
    expect(parseMainCf(renderServer(tls({ certificates: [ecdsa] })).mainCf).smtpd_tls_chain_files).toBe(
      `${ecdsa.keyPath}, ${ecdsa.chainPath}`,
    );
  });

  test('certificateless renders smtpd_tls_cert_file = none and no chain files', () => {
    const main = parseMainCf(renderServer(certificatelessSpec()).mainCf);
    expect(main.smtpd_tls_cert_file).toBe('none');
    expect(main.smtpd_tls_chain_files).toBeUndefined();
    expect(main.smtpd_tls_key_file).toBeUndefined();
  });

  test.each([
    ['a relative key path', { keyPath: 'tls/private/rsa.key.pem' }],
    ['a chain path with ..', { chainPath: '/etc/postfix/../rsa.chain.pem' }],
    ['a chain path with a comma', { chainPath: '/etc/postfix/tls/a,b.pem' }],
    ['a key path with a line break', { keyPath: '/etc/postfix/tls/k.pem\nrelayhost = evil' }],
  ])('refuses %s', (_, patch) => {
    const [ecdsa, rsa] = baselineSpec().tls!.certificates;
    expect(() => renderServer(tls({ certificates: [ecdsa, { ...rsa, ...patch }] }))).toThrow(ConfigError);
  });
});

describe('renderServer: other settings', () => {
  test('trusted networks render mynetworks and put permit_mynetworks first', () => {
    const main = parseMainCf(renderServer(server({ trustedNetworks: ['127.0.0.0/8', '[::1]/128'] })).mainCf);
    expect(main.mynetworks).toBe('127.0.0.0/8, [::1]/128');
    expect(main.smtpd_relay_restrictions).toBe('permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination');
  });

  test('no trusted networks: no mynetworks (Postfix would default to the local subnets)', () => {
    expect(parseMainCf(renderServer(baselineSpec()).mainCf).mynetworks).toBeUndefined();
  });

  test('port 25 keeps Postfix\'s opportunistic protocols and ciphers; profiles govern mandatory TLS only', () => {
    const opportunisticNames = ['smtpd_tls_protocols', 'smtpd_tls_ciphers', 'smtpd_tls_exclude_ciphers'];
    const globalNames = ['tls_medium_cipherlist', 'tls_high_cipherlist', 'tls_preempt_cipherlist'];
    for (const profile of ['intermediate', 'modern', 'postfix-default'] as const) {
      const main = parseMainCf(renderServer(tls({ profile })).mainCf);
      for (const name of [...opportunisticNames, ...globalNames]) expect([profile, name, main[name]]).toEqual([profile, name, undefined]);
    }
    const modern = parseMainCf(renderServer(tls({ profile: 'modern' })).mainCf);
    expect(modern.smtpd_tls_mandatory_protocols).toBe('>=TLSv1.3');
    for (const name of ['smtpd_tls_mandatory_ciphers', 'smtpd_tls_mandatory_exclude_ciphers']) expect(modern[name]).toBeUndefined();
    const pfDefault = parseMainCf(renderServer(tls({ profile: 'postfix-default' })).mainCf);
    for (const name of ['smtpd_tls_mandatory_protocols', 'smtpd_tls_mandatory_ciphers', 'smtpd_tls_mandatory_exclude_ciphers']) expect(pfDefault[name]).toBeUndefined();
  });

  test('an opted-in strict opportunistic profile narrows port 25 too, and mandatory TLS does not repeat its exclusions', () => {
    const main = parseMainCf(renderServer(tls({ opportunisticProfile: 'intermediate' })).mainCf);
    expect(main.smtpd_tls_protocols).toBe('>=TLSv1.2');
    expect(main.smtpd_tls_exclude_ciphers).toBe(INTERMEDIATE_EXCLUSIONS);
    expect(main.smtpd_tls_mandatory_exclude_ciphers).toBeUndefined();
    expect(main.tls_medium_cipherlist).toBeUndefined();
  });

  test('internet-nl: the intermediate exclusions, and its OpenSSL file only on the smtpd services it governs, never in main.cf', () => {
    const overrides = (spec: ServerSpec): Record<string, string | undefined> =>
      Object.fromEntries(parseMasterCf(renderServer(spec).masterCf).filter((s) => s.type === 'inet').map((s) => [s.name, s.overrides.tls_config_file]));
    const mandatory = tls({ profile: 'internet-nl', certificates: NCSC_CERTIFICATES });
    expect(overrides(mandatory)).toEqual({ smtp: undefined, submission: INTERNET_NL_OPENSSL, submissions: INTERNET_NL_OPENSSL });
    expect(overrides(tls({ opportunisticProfile: 'internet-nl', certificates: NCSC_CERTIFICATES }))).toEqual({ smtp: INTERNET_NL_OPENSSL, submission: undefined, submissions: undefined });
    expect(overrides(tls({ profile: 'internet-nl', securityLevel: 'encrypt', certificates: NCSC_CERTIFICATES }, { publicMx: false }))).toEqual({ smtp: INTERNET_NL_OPENSSL, submission: INTERNET_NL_OPENSSL, submissions: INTERNET_NL_OPENSSL });
    expect(overrides(tls({ opportunisticProfile: 'internet-nl', securityLevel: 'none', certificates: NCSC_CERTIFICATES }))).toMatchObject({ smtp: undefined });
    const main = parseMainCf(renderServer(mandatory).mainCf);
    expect(main).toMatchObject({ smtpd_tls_mandatory_protocols: '>=TLSv1.2', smtpd_tls_mandatory_ciphers: 'medium', smtpd_tls_mandatory_exclude_ciphers: INTERMEDIATE_EXCLUSIONS });
    for (const name of ['tls_config_file', 'tls_config_name', 'tls_medium_cipherlist', 'smtpd_tls_protocols']) expect([name, main[name]]).toEqual([name, undefined]);
  });

  test('outbound TLS and protocol hygiene defaults give way to additionalParameters', () => {
    const spec = { ...baselineSpec(), additionalParameters: [{ name: 'smtp_tls_security_level', value: 'dane' }, { name: 'disable_vrfy_command', value: 'no' }] };
    const main = parseMainCf(renderServer(spec).mainCf);
    expect(main).toMatchObject({ smtp_tls_security_level: 'dane', disable_vrfy_command: 'no', smtp_tls_loglevel: '1', smtpd_forbid_bare_newline: 'yes' });
    expect(renderServer(spec).mainCf.match(/^smtp_tls_security_level =/gm)).toHaveLength(1);
  });

  test('explicit settings override the profile', () => {
    const main = parseMainCf(
      renderServer(tls({ minimumProtocol: 'TLSv1.3', cipherGrade: 'high', mandatoryCipherGrade: 'high', excludeCiphers: ['aNULL', 'RC4'], mandatoryExcludeCiphers: ['3DES'], receivedHeader: true, starttlsTimeoutSeconds: 300 }, { publicMx: false })).mainCf,
    );
    expect(main).toMatchObject({
      smtpd_tls_mandatory_protocols: '>=TLSv1.3',
      smtpd_tls_ciphers: 'high',
      smtpd_tls_mandatory_ciphers: 'high',
      smtpd_tls_exclude_ciphers: 'aNULL, RC4',
      smtpd_tls_mandatory_exclude_ciphers: 'kRSA, kDHE, PSK, SHA1, SHA256, SHA384, CAMELLIA, ARIA, AESCCM, 3DES',
      smtpd_tls_received_header: 'yes',
      smtpd_starttls_timeout: '5m',
    });
    expect(main.smtpd_tls_protocols).toBeUndefined();
  });

  test('listen addresses: ADDRESS:PORT service names, IPv6 in brackets, non-standard ports by number', () => {
    const spec = {
      ...submissions({ listenAddress: '::1' }, { port: 4465 }),
      smtp: { port: 2525, listenAddress: '127.0.0.1' },
    };
    const names = parseMasterCf(renderServer(spec).masterCf).filter((s) => s.columns[7] === 'smtpd').map((s) => s.name);
    expect(names).toEqual(['127.0.0.1:2525', '[::1]:587', '4465']);
  });

  test('chroot true puts smtpd and the Debian-chrooted services in the chroot, but not qmgr/local/virtual/proxymap', () => {
    const services = parseMasterCf(renderServer(server({ chrootSmtpd: true })).masterCf);
    const chroot = (name: string, type = 'unix') => services.find((s) => s.name === name && s.type === type)?.columns[4];
    expect(chroot('smtp', 'inet')).toBe('y');
    expect(chroot('submission', 'inet')).toBe('y');
    expect(chroot('cleanup')).toBe('y');
    expect(chroot('tlsmgr')).toBe('y');
    for (const name of ['qmgr', 'local', 'virtual', 'proxymap', 'proxywrite']) expect(chroot(name)).toBe('n');
    expect(chroot('postlog', 'unix-dgram')).toBe('n');
  });

  test('a submission port requiring client certificates asks, requires, and relays for the certificate permits', () => {
    const sub = service(renderServer(submissions({ requireClientCert: true })).masterCf, 'submission');
    expect(sub.overrides).toMatchObject({
      smtpd_tls_ask_ccert: 'yes',
      smtpd_tls_req_ccert: 'yes',
      smtpd_relay_restrictions: 'permit_sasl_authenticated,permit_tls_clientcerts,reject',
    });
  });

  test('check_ccert_access comes before permit_tls_clientcerts, with its own table', () => {
    const rendered = renderServer(clientCerts({ ccertAccess: [{ key: 'AB:CD', value: 'OK' }] }));
    expect(parseMainCf(rendered.mainCf).smtpd_relay_restrictions).toBe(
      'check_ccert_access hash:/etc/postfix/tables/ccert_access, permit_tls_clientcerts, reject_unauth_destination',
    );
    expect(rendered.tables.map((t) => t.path)).toEqual(['/etc/postfix/tables/ccert_access', '/etc/postfix/tables/relay_clientcerts']);
  });

  test('inline tables render no files', () => {
    const rendered = renderServer(clientCerts({ tableType: 'inline' }));
    expect(rendered.tables).toEqual([]);
    expect(parseMainCf(rendered.mainCf).relay_clientcerts).toBe('inline:{ D7:04:2F:A7=lutzpc }');
  });

  test('additional parameters come last, in their own section', () => {
    const text = renderServer(server({ additionalParameters: [{ name: 'smtpd_banner', value: '$myhostname ESMTP' }] })).mainCf;
    expect(text.trimEnd().split('\n').slice(-2)).toEqual(['# Additional parameters', 'smtpd_banner = $myhostname ESMTP']);
  });

  test('hostname and local domains are lowercased; a bad hostname is refused', () => {
    const main = parseMainCf(renderServer(server({ hostname: 'MX.Example.COM', localDomains: ['Example.COM'] })).mainCf);
    expect(main.myhostname).toBe('mx.example.com');
    expect(main.mydestination).toBe('$myhostname, localhost, example.com');
    expect(() => renderServer(server({ hostname: 'mx.example.com\nrelayhost = evil' }))).toThrow(ConfigError);
    expect(() => renderServer(server({ localDomains: ['example.com, evil.example'] }))).toThrow(ConfigError);
  });

  test('warnings are returned, not thrown', () => {
    const spec = tls({ logLevel: 3 });
    const rendered = renderServer(spec);
    expect(rendered.warnings).toEqual(validateServer(spec));
    expect(rendered.warnings.map((w) => [w.severity, w.rule])).toEqual([[Severity.WARNING, 'tls-loglevel-verbose']]);
  });
});

/** The smtp_* and smtp client related parameters of a rendered main.cf. */
function smtpParameters(spec: ServerSpec): Record<string, string> {
  return Object.fromEntries(Object.entries(parseMainCf(renderServer(spec).mainCf)).filter(([name]) => name.startsWith('smtp_') || name.startsWith('tls_')));
}

const CLIENT_CERT = { algorithm: 'ecdsa' as const, keyPath: '/etc/postfix/tls/private/smtp-ecdsa.key.pem', chainPath: '/etc/postfix/tls/smtp-ecdsa.chain.pem' };
const VERIFY_POLICIES = [
  { destination: '[192.0.2.1]:2525', level: 'verify' as const, match: ['mx.example.net', '.example.net'], minimumProtocol: 'TLSv1.3' as const, cipherGrade: 'high' as const },
  { destination: '.example.org', level: 'secure' as const },
  { destination: 'legacy.example', level: 'none' as const },
];

describe('renderServer: smtp client (SmtpClientTls)', () => {
  test('at its defaults: may and log level 1, nothing else of the smtp client', () => {
    expect(smtpParameters(smtpClient())).toEqual({ smtp_tls_security_level: 'may', smtp_tls_loglevel: '1', tls_append_default_CA: 'no' });
  });

  test('verify with a CA, a client certificate and policies: exactly these parameters, and the policy table file', () => {
    const spec = smtpClient({ securityLevel: 'verify', logLevel: 2, caFile: SMTP_CA_FILE, certificates: [CLIENT_CERT], policies: VERIFY_POLICIES });
    expect(smtpParameters(spec)).toEqual({
      smtp_tls_security_level: 'verify',
      smtp_tls_loglevel: '2',
      smtp_tls_CAfile: SMTP_CA_FILE,
      smtp_tls_chain_files: '/etc/postfix/tls/private/smtp-ecdsa.key.pem, /etc/postfix/tls/smtp-ecdsa.chain.pem',
      smtp_tls_mandatory_protocols: '>=TLSv1.2',
      smtp_tls_policy_maps: 'hash:/etc/postfix/tables/smtp_tls_policy',
      tls_append_default_CA: 'no',
    });
    expect(renderServer(spec).tables).toContainEqual({
      path: '/etc/postfix/tables/smtp_tls_policy',
      content: '[192.0.2.1]:2525 verify match=mx.example.net:.example.net protocols=>=TLSv1.3 ciphers=high\n.example.org secure\nlegacy.example none\n',
    });
  });

  test('dane, globally or in one policy entry, renders smtp_dns_support_level = dnssec; other levels do not', () => {
    expect(smtpParameters(smtpClient({ securityLevel: 'dane' })).smtp_dns_support_level).toBe('dnssec');
    expect(smtpParameters(smtpClient({ policies: [{ destination: 'example.net', level: 'dane' }] })).smtp_dns_support_level).toBe('dnssec');
    for (const securityLevel of ['none', 'may', 'encrypt'] as const) expect(smtpParameters(smtpClient({ securityLevel })).smtp_dns_support_level).toBeUndefined();
  });

  test('the mandatory protocol floor comes from the profile or minimumProtocol, only where some level is mandatory', () => {
    expect(smtpParameters(smtpClient({ securityLevel: 'encrypt' })).smtp_tls_mandatory_protocols).toBe('>=TLSv1.2');
    expect(smtpParameters(smtpClient({ securityLevel: 'encrypt', profile: 'modern' })).smtp_tls_mandatory_protocols).toBe('>=TLSv1.3');
    expect(smtpParameters(smtpClient({ securityLevel: 'encrypt', profile: 'postfix-default' })).smtp_tls_mandatory_protocols).toBeUndefined();
    expect(smtpParameters(smtpClient({ securityLevel: 'dane', profile: 'postfix-default', minimumProtocol: 'TLSv1.3' })).smtp_tls_mandatory_protocols).toBe('>=TLSv1.3');
    expect(smtpParameters(smtpClient({ policies: [{ destination: 'example.net', level: 'encrypt' }] })).smtp_tls_mandatory_protocols).toBe('>=TLSv1.2');
    expect(smtpParameters(smtpClient({ securityLevel: 'may', profile: 'modern' })).smtp_tls_mandatory_protocols).toBeUndefined();
  });

  test('the profile never changes cipher lists, global or of the smtp client', () => {
    for (const profile of ['intermediate', 'modern', 'postfix-default'] as const) {
      const main = parseMainCf(renderServer(smtpClient({ securityLevel: 'secure', caFile: SMTP_CA_FILE, profile })).mainCf);
      for (const name of ['tls_medium_cipherlist', 'tls_high_cipherlist', 'smtp_tls_ciphers', 'smtp_tls_mandatory_ciphers', 'smtp_tls_exclude_ciphers', 'smtp_tls_mandatory_exclude_ciphers']) {
        expect([profile, name, main[name]]).toEqual([profile, name, undefined]);
      }
    }
  });

  test('an inline policy table holds one-word policies; attributes need a file-based table', () => {
    const inline = smtpClient({ tableType: 'inline', policies: [{ destination: 'example.net', level: 'encrypt' }] });
    expect(smtpParameters(inline).smtp_tls_policy_maps).toBe('inline:{ example.net=encrypt }');
    expect(() => renderServer(smtpClient({ tableType: 'inline', caFile: SMTP_CA_FILE, policies: [VERIFY_POLICIES[0]] }))).toThrow(/use a file-based table/);
  });

  test('the typed client replaces the outbound defaults; without it, the defaults stay', () => {
    expect(renderServer(smtpClient({ securityLevel: 'encrypt' })).mainCf.match(/^smtp_tls_security_level = .*$/gm)).toEqual(['smtp_tls_security_level = encrypt']);
    expect(renderServer(baselineSpec()).mainCf.match(/^smtp_tls_security_level = .*$/gm)).toEqual(['smtp_tls_security_level = may']);
  });
});

describeIfPostconf('the smtp policy table built by the real postmap', () => {
  test('postmap builds it and finds each destination with its policy; a destination not listed is not found', () => {
    const table = renderServer(smtpClient({ caFile: SMTP_CA_FILE, policies: VERIFY_POLICIES })).tables.find((t) => t.path.endsWith('/smtp_tls_policy'))!;
    const dir = mkdtempSync(join(tmpdir(), 'smtp-policy-'));
    try {
      const file = join(dir, 'smtp_tls_policy');
      writeFileSync(file, table.content);
      // An empty main.cf: postmap reads one before it opens the table.
      writeFileSync(join(dir, 'main.cf'), '');
      execFileSync('postmap', ['-c', dir, `hash:${file}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      const query = (key: string): string => execFileSync('postmap', ['-c', dir, '-q', key, `hash:${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      expect(query('[192.0.2.1]:2525')).toBe('verify match=mx.example.net:.example.net protocols=>=TLSv1.3 ciphers=high');
      expect(query('.example.org')).toBe('secure');
      expect(() => query('[192.0.2.1]:25')).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderServer: errors', () => {
  const broken: ServerSpec = {
    ...baselineSpec(),
    tls: { ...baselineSpec().tls!, securityLevel: 'encrypt', logLevel: 3 },
    sasl: undefined,
    additionalParameters: [{ name: 'smtpd_use_tls', value: 'yes' }],
  };

  test('throws one ConfigError listing every error with its rule id, and no warnings', () => {
    const errors = validateServer(broken).filter((d) => d.severity === Severity.ERROR);
    expect(errors.map((e) => e.rule)).toEqual(['tls-required-on-public-mx', 'sasl-without-backend', 'sasl-without-backend', 'forbidden-parameter']);
    let thrown: unknown;
    try {
      renderServer(broken);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const lines = (thrown as ConfigError).message.split('\n');
    expect(lines[0]).toBe('server mx cannot be rendered:');
    expect(lines.slice(1)).toEqual(errors.map((e) => `  - [${e.rule}] ${e.message}`));
    expect((thrown as ConfigError).message).not.toContain('tls-loglevel-verbose');
  });

  test('a spec that validates but has an out-of-range value still throws a ConfigError', () => {
    expect(() => renderServer(tls({ logLevel: 5 }))).toThrow(/TLS log level 5 must be a whole number from 0 to 4/);
    expect(() => renderServer(clientCerts({ verifyDepth: 0 }))).toThrow(/verify depth 0/);
    expect(() => renderServer(submissions({ port: 70000 }))).toThrow(/port 70000/);
  });
});

describe('renderServer: determinism', () => {
  test('rendering twice gives identical strings', () => {
    const a = renderServer(baselineSpec());
    const b = renderServer(baselineSpec());
    expect(b.mainCf).toBe(a.mainCf);
    expect(b.masterCf).toBe(a.masterCf);
    expect(b.tables).toEqual(a.tables);
  });

  test('the same spec object rendered twice, and a JSON round-tripped copy, give identical strings', () => {
    const spec = clientCerts({ ccertAccess: [{ key: 'AB:CD', value: 'OK' }] }, { trustedNetworks: ['10.0.0.0/8'] });
    const first = renderServer(spec);
    expect(renderServer(spec)).toEqual(first);
    expect(renderServer(JSON.parse(JSON.stringify(spec)) as ServerSpec)).toEqual(first);
  });
});

describe('renderServer: known bugs (fail until lib/ is fixed)', () => {
  test('BUG: a submission port requiring client certificates with an inline check_ccert_access table', () => {
    // render-server.ts restrictionOverride() splits every restriction on ' ' and joins with ',', turning
    // "check_ccert_access inline:{ AB:CD=OK }" into "check_ccert_access,inline:{,AB:CD=OK,}", which renderOverride
    // then refuses because of the braces. The same table works in main.cf.
    const spec = {
      ...submissions({ requireClientCert: true }),
      clientCerts: { ...baselineSpec().clientCerts!, tableType: 'inline' as const, ccertAccess: [{ key: 'AB:CD', value: 'OK' }] },
    };
    expect(() => renderServer(spec)).not.toThrow();
  });

  test('BUG: an additional parameter with a malformed $ reference renders, and Postfix stops at start', () => {
    // postconf: 'warning: empty macro name: "ESMTP$"' then 'fatal: macro processing error'.
    expect(() => renderServer(server({ additionalParameters: [{ name: 'smtpd_banner', value: 'ESMTP$' }] }))).toThrow(ConfigError);
  });
});

// ---- the real postconf ----------------------------------------------------------------------------------------------

interface Variant {
  readonly name: string;
  readonly spec: ServerSpec;
  /** main.cf values this variant is about: a value must be rendered, undefined must be absent. */
  readonly main: Record<string, string | undefined>;
  /** smtpd_relay_restrictions per submission id, when not the plain SASL one. */
  readonly relay?: Record<string, string>;
}

const CAPATH_IN_CHROOT = '/var/spool/postfix/etc/postfix/tls/capath';

const VARIANTS: Variant[] = [
  { name: 'baseline', spec: baselineSpec(), main: BASELINE_MAIN_CF },
  {
    name: 'modern profile',
    spec: tls({ profile: 'modern' }),
    main: { smtpd_tls_protocols: undefined, smtpd_tls_mandatory_protocols: '>=TLSv1.3', tls_medium_cipherlist: undefined, smtpd_tls_mandatory_ciphers: undefined },
  },
  {
    name: 'internet-nl profile, also on port 25',
    spec: tls({ profile: 'internet-nl', opportunisticProfile: 'internet-nl', certificates: NCSC_CERTIFICATES }),
    main: { smtpd_tls_protocols: '>=TLSv1.2', smtpd_tls_exclude_ciphers: INTERMEDIATE_EXCLUSIONS, smtpd_tls_mandatory_protocols: '>=TLSv1.2', smtpd_tls_mandatory_exclude_ciphers: undefined, tls_config_file: undefined },
  },
  {
    name: 'internet-nl profile on a non-public SMTP service at encrypt',
    spec: tls({ profile: 'internet-nl', securityLevel: 'encrypt', certificates: NCSC_CERTIFICATES }, { publicMx: false }),
    main: { smtpd_tls_protocols: undefined, smtpd_tls_mandatory_protocols: '>=TLSv1.2', smtpd_tls_mandatory_exclude_ciphers: INTERMEDIATE_EXCLUSIONS, tls_config_file: undefined },
  },
  {
    name: 'postfix-default profile with a DH parameter file',
    spec: tls({ profile: 'postfix-default', dhParamFile: '/etc/postfix/tls/dh2048.pem' }),
    main: { smtpd_tls_dh1024_param_file: '/etc/postfix/tls/dh2048.pem', smtpd_tls_mandatory_protocols: undefined, smtpd_tls_mandatory_exclude_ciphers: undefined },
  },
  {
    name: 'certificate-less non-public server',
    spec: certificatelessSpec(),
    main: { smtpd_tls_cert_file: 'none', smtpd_tls_chain_files: undefined, smtpd_tls_CAfile: undefined, smtpd_tls_ask_ccert: undefined },
  },
  {
    name: 'lmdb session cache',
    spec: sessionCache({ database: { type: 'lmdb', path: '/var/lib/postfix/smtpd_scache' }, alwaysIssueSessionIds: true }),
    main: { smtpd_tls_session_cache_database: 'lmdb:/var/lib/postfix/smtpd_scache', smtpd_tls_always_issue_session_ids: 'yes', smtpd_tls_session_cache_timeout: '1h' },
  },
  {
    name: 'btree session cache, 2h timeout',
    spec: sessionCache({ database: { type: 'btree', path: '/var/lib/postfix/smtpd_scache' }, timeoutSeconds: 7200 }),
    main: { smtpd_tls_session_cache_database: 'btree:/var/lib/postfix/smtpd_scache', smtpd_tls_session_cache_timeout: '2h' },
  },
  {
    name: 'permit_tls_all_clientcerts',
    spec: clientCerts({ permitAllClientCerts: true, relayClientCerts: undefined }),
    main: { smtpd_relay_restrictions: 'permit_tls_all_clientcerts, reject_unauth_destination', relay_clientcerts: undefined, tls_append_default_CA: 'no' },
  },
  {
    name: 'check_ccert_access',
    spec: clientCerts({ ccertAccess: [{ key: 'AB:CD:EF', value: 'OK' }] }),
    main: { smtpd_relay_restrictions: 'check_ccert_access hash:/etc/postfix/tables/ccert_access, permit_tls_clientcerts, reject_unauth_destination' },
  },
  {
    name: 'CApath, smtpd not chrooted',
    spec: clientCerts({ caPath: '/etc/postfix/tls/capath', caFile: undefined }),
    main: { smtpd_tls_CApath: '/etc/postfix/tls/capath', smtpd_tls_CAfile: undefined },
  },
  {
    name: 'chroot with the CApath under /var/spool/postfix',
    spec: clientCerts({ caPath: CAPATH_IN_CHROOT }, { chrootSmtpd: true }),
    main: { smtpd_tls_CApath: CAPATH_IN_CHROOT, smtpd_tls_CAfile: '/etc/postfix/tls/client-ca.pem' },
  },
  {
    name: 'listen addresses 127.0.0.1:2525, [::1]:587, 127.0.0.1:465',
    spec: { ...submissions({ listenAddress: '::1' }, { listenAddress: '127.0.0.1' }), smtp: { port: 2525, listenAddress: '127.0.0.1' } },
    main: {},
  },
  {
    name: 'submission requiring client certificates, with check_ccert_access',
    spec: { ...submissions({ requireClientCert: true }), clientCerts: { ...baselineSpec().clientCerts!, ccertAccess: [{ key: 'AB:CD', value: 'OK' }] } },
    main: {},
    relay: { sub: 'permit_sasl_authenticated,check_ccert_access,hash:/etc/postfix/tables/ccert_access,permit_tls_clientcerts,reject' },
  },
  {
    name: 'non-public submission-only server at encrypt requiring certificates',
    spec: {
      ...clientCerts({ require: true }, { publicMx: false, smtp: undefined }),
      tls: { ...baselineSpec().tls!, securityLevel: 'encrypt' },
    },
    main: { smtpd_tls_security_level: 'encrypt', smtpd_tls_req_ccert: 'yes', smtpd_tls_ask_ccert: 'yes' },
  },
  {
    name: 'everything else: networks, exclusions, grades, timeouts, depth, received header, additional parameter',
    spec: {
      ...tls(
        { cipherGrade: 'medium', mandatoryCipherGrade: 'high', excludeCiphers: ['aNULL', 'RC4'], mandatoryExcludeCiphers: ['3DES'], receivedHeader: true, starttlsTimeoutSeconds: 300, logLevel: 0 },
        { trustedNetworks: ['127.0.0.0/8', '[::1]/128'], additionalParameters: [{ name: 'smtpd_banner', value: '$myhostname ESMTP' }] },
      ),
      clientCerts: { ...baselineSpec().clientCerts!, verifyDepth: 2 },
    },
    main: {
      mynetworks: '127.0.0.0/8, [::1]/128',
      smtpd_tls_exclude_ciphers: 'aNULL, RC4',
      smtpd_tls_mandatory_exclude_ciphers: 'kRSA, kDHE, PSK, SHA1, SHA256, SHA384, CAMELLIA, ARIA, AESCCM, 3DES',
      smtpd_tls_ccert_verifydepth: '2',
      smtpd_starttls_timeout: '5m',
      smtpd_banner: '$myhostname ESMTP',
    },
  },
  {
    name: 'smtp client: verify with a CA, a client certificate and a policy table; dane in one entry',
    spec: smtpClient({ securityLevel: 'verify', caFile: SMTP_CA_FILE, certificates: [CLIENT_CERT], policies: [...VERIFY_POLICIES, { destination: 'dane.example', level: 'dane' }] }),
    main: { smtp_tls_security_level: 'verify', smtp_dns_support_level: 'dnssec', smtp_tls_policy_maps: 'hash:/etc/postfix/tables/smtp_tls_policy', smtp_tls_mandatory_protocols: '>=TLSv1.2' },
  },
  ...TABLE_TYPES.map(
    (type): Variant => ({
      name: `${type} tables for relay_clientcerts and check_ccert_access`,
      spec: clientCerts({ tableType: type, ccertAccess: [{ key: 'AB:CD:EF', value: 'OK' }, { key: '01:02:03', value: 'REJECT' }] }),
      main: {
        relay_clientcerts: type === 'inline' ? 'inline:{ D7:04:2F:A7=lutzpc }' : `${type}:/etc/postfix/tables/relay_clientcerts`,
        smtpd_relay_restrictions:
          type === 'inline'
            ? 'check_ccert_access inline:{ AB:CD:EF=OK, 01:02:03=REJECT }, permit_tls_clientcerts, reject_unauth_destination'
            : `check_ccert_access ${type}:/etc/postfix/tables/ccert_access, permit_tls_clientcerts, reject_unauth_destination`,
      },
    }),
  ),
];

describeIfPostconf('renderServer output read back by the real postconf 3.7', () => {
  test.each(VARIANTS.map((v) => [v.name, v] as const))('%s', (_, variant) => {
    const rendered = renderServer(variant.spec);
    const emitted = parseMainCf(rendered.mainCf);
    for (const [name, value] of Object.entries(variant.main)) expect({ [name]: emitted[name] }).toEqual({ [name]: value });

    const result = postconfCheck(rendered);
    expect(result.warnings).toEqual([]);
    // main.cf: postconf reads back exactly what the renderer emitted, same names and values, nothing extra.
    expect(result.mainParameters).toEqual(emitted);
    // master.cf: exactly the intended -o overrides, on the intended services.
    expect(result.masterOverrides).toEqual(intendedOverrides(variant.spec, variant.relay));
    const smtpdServices = result.masterServices.filter((line) => line.split(' ')[7] === 'smtpd').map((line) => line.split(' ').slice(0, 5).join(' '));
    const chroot = variant.spec.chrootSmtpd ? 'y' : 'n';
    expect(smtpdServices).toEqual(
      [smtpName(variant.spec), ...variant.spec.submissions.map(submissionName)]
        .filter((name): name is string => name !== undefined)
        .map((name) => `${name} inet n - ${chroot}`),
    );
    expect(result.masterServices).toHaveLength(parseMasterCf(rendered.masterCf).length);
  });

  test('the variants cover every table type, both profiles other than the baseline, and chroot', () => {
    const specs = VARIANTS.map((v) => v.spec);
    expect(new Set(specs.map((s) => s.clientCerts?.tableType))).toEqual(new Set([...TABLE_TYPES, undefined]));
    expect(new Set(specs.map((s) => s.tls?.profile))).toEqual(new Set(['intermediate', 'modern', 'postfix-default', 'internet-nl']));
    expect(specs.some((s) => s.chrootSmtpd)).toBe(true);
  });
});
