import { ClientIdentity } from '../../constructs/certificates';
import { lookupTable } from '../../lib/lookup-table';
import { renderMasterCf } from '../../lib/master-cf';
import { describeIfPostconf } from '../helpers/postconf';
import { clearErrorProblem } from './oracle';
import { cleanUp, expandedMainCf, postconfCheck } from './real-postfix';
import { attempt, BASE, Config, TableType } from './server-model';

/** A fingerprint of the policy's default digest, so only the name or value under test can be refused. */
const SHA256_FINGERPRINT = Array(32).fill('AA').join(':');

/**
 * Minimal reproductions of the bugs the hostile-input properties found (seed and counterexamples in the
 * property reports). Each test states the behaviour the library should have, so it fails until the bug is fixed;
 * the comment above each names the proposed fix.
 */

afterAll(cleanUp);

function refusal(partial: Partial<Config>): Error {
  const outcome = attempt({ ...BASE, ...partial });
  if (outcome.kind === 'rendered') {
    throw new Error(`rendered instead of refusing ${JSON.stringify(partial)}:\n${outcome.rendered.mainCf}`);
  }
  return outcome.error as Error;
}

describe('bugs found by the hostile-input properties', () => {
  // Fix: lib/values.ts safeText(): also refuse /\p{Cs}/u (an unpaired UTF-16 surrogate), e.g. "... contains an
  // unpaired UTF-16 surrogate, which cannot be written as UTF-8: remove it".
  test('a lone UTF-16 surrogate is refused, not written to main.cf/tables as U+FFFD', () => {
    expect(refusal({ maillogFile: '/var/log/mail\ud800.log' }).message).toMatch(/maillogFile/);
    expect(refusal({ sasl: { kind: 'cyrus', path: 'smtpd\udfff' } }).message).toMatch(/SASL|Cyrus/);
    expect(refusal({ relayClients: [{ fingerprint: SHA256_FINGERPRINT, name: 'lutz\udc00pc' }] }).message).toMatch(/client name/);
    expect(refusal({ additionalParameters: [['smtpd_banner', 'hello \ud83d']] }).message).toMatch(/smtpd_banner/);
  });

  // Found by the properties (inline:{ FP=$myhostname } reached main.cf and postconf -x expanded it); fixed meanwhile
  // by literal() on inline values in lib/lookup-table.ts checkEntry() (commit 6fbc909). Kept as a regression test.
  test("'$' in a value of an inline table is refused (it would be expanded in main.cf)", () => {
    expect(refusal({ tableType: TableType.INLINE, relayClients: [{ fingerprint: SHA256_FINGERPRINT, name: '$myhostname' }] }).message).toMatch(/relay_clientcerts/);
    expect(refusal({ tableType: TableType.INLINE, accessRules: [{ fingerprint: SHA256_FINGERPRINT, action: '$smtpd_banner' }] }).message).toMatch(/access action|ccert_access/);
    expect(() => lookupTable('t', 'inline', [{ key: 'AA:BB', value: 'x$y' }])).toThrow(/\$/);
  });

  // Fix: constructs/session-cache.ts constructor: refuse a store type other than btree, lmdb, hash (texthash keeps
  // its validator error), e.g. checked(this, () => { if (!['btree','lmdb','hash','texthash'].includes(store._type))
  // throw new ConfigError(`SessionStore.of type ${describe(type)} is not a cache database type: use btree, lmdb or hash`) });
  // and in lib/render-server.ts sessionCacheParameters() pass the type through word().
  test.each(['', 'cdb', 'btree lmdb', 'hash,btree', '$myhostname', '#x', 'inline:{ a=b }'])('SessionStore.of(%j) is refused', (type) => {
    expect(refusal({ sessionStore: { kind: 'of', type } }).message).toMatch(/SessionStore|session cache/);
  });

  // Fix: constructs/postfix-server.ts: replace the CIDR regex by a parser: IPv4 with net.isIPv4 and prefix 0-32,
  // `[IPv6]` with net.isIPv6 and prefix 0-128, no host bits set (name the network address in the message, as
  // Postfix does: 'perhaps you should use "192.0.2.0/24"'). Postfix skips such entries ("skipping this rule").
  test.each(['.', '1.2', '999.1.1.1', '1.2.3.4/40', '192.0.2.1/24', '[::1]/129', '[2001:db8::1]/32'])('trustedNetworks %j is refused', (network) => {
    expect(refusal({ trustedNetworks: [network] }).message).toMatch(/trusted network/);
  });

  // Fix: lib/values.ts describe(): escape what JSON.stringify leaves raw: .replace(/[\u007f-\u009f\u2028\u2029]/g,
  // (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`); export it and use it for every user value quoted in
  // an error (master-cf.ts, lookup-table.ts, postfix-server.ts, tls-server.ts, certificates.ts).
  test('an error quoting a value shows the invisible control character it complains about', () => {
    for (const hostname of ['mx.example.com\u2028', 'mx.example.com\u0085', 'mx.example.com\u007f']) {
      const message = refusal({ hostname }).message;
      expect(message).toMatch(/\\u(2028|0085|007f)/);
      expect(clearErrorProblem(refusal({ hostname }), /hostname/)).toBeUndefined();
    }
  });

  // Fix: constructs/certificates.ts ClientIdentity.fromFingerprint(): quote both the fingerprint and the name with the
  // truncating describe() of lib/values.ts instead of JSON.stringify(fingerprint) and a raw ${name}; likewise
  // tls-server.ts (excluded cipher), postfix-server.ts (trusted network), master-cf.ts, lookup-table.ts,
  // values.ts literal()'s `what` (long parameter names) and the validate-server.ts messages that embed values.
  test('an error quotes a 10k-character or control-character value briefly and escaped', () => {
    const error = (() => {
      try {
        ClientIdentity.fromFingerprint('A'.repeat(10000), 'evil\r\n\u001b[31mname');
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(clearErrorProblem(error, /fingerprint/)).toBeUndefined();
    expect(clearErrorProblem(refusal({ excludeCiphers: ['x'.repeat(5000) + '~'] }), /cipher/)).toBeUndefined();
    expect(clearErrorProblem(refusal({ trustedNetworks: ['1'.repeat(5000) + 'x'] }), /trusted network/)).toBeUndefined();
  });

  // Fix: lib/master-cf.ts renderService(): refuse an argument that is not one master.cf token: empty, holding
  // whitespace, starting with '{' or '#', with unbalanced braces (postfixSyntax), or equal to '-o' (overrides go
  // through `overrides`).
  test.each([['-o', 'smtpd_tls_security_level=none'], ['{ a b }'], ['a b'], ['{x']])('master.cf argument list %j is refused', (...args) => {
    expect(() => renderMasterCf('h', [{ name: 'relay', type: 'unix', command: 'smtp', args }])).toThrow(/argument/);
  });

  // Fix: lib/master-cf.ts renderService(): refuse the same -o name twice in one service (postconf -P and the daemon
  // keep only the last), as renderMainCf does for main.cf.
  test('the same -o name twice in one service is refused', () => {
    expect(() =>
      renderMasterCf('h', [{ name: 'relay', type: 'unix', command: 'smtp', overrides: [{ name: 'syslog_name', value: 'a' }, { name: 'syslog_name', value: 'b' }] }]),
    ).toThrow(/syslog_name/);
  });

  // Fix: lib/lookup-table.ts lookupTable(): detect duplicates with the folding Postfix uses for UTF-8 keys
  // (smtputf8_enable = yes at compatibility_level 3.6): fold with key.toUpperCase().toLowerCase() (ß/SS, K/K, İ/i̇
  // collide) instead of key.toLowerCase(); and refuse keys ending in ':' (postmap warns "record is in "key: value"
  // format; is this an alias file?").
  test('table keys Postfix folds to one entry, and keys ending in ":", are refused', () => {
    expect(() => lookupTable('t', 'hash', [{ key: 'ß', value: 'a' }, { key: 'SS', value: 'b' }])).toThrow(/twice/);
    expect(() => lookupTable('t', 'hash', [{ key: 'K', value: 'a' }, { key: 'k', value: 'b' }])).toThrow(/twice/);
    expect(() => lookupTable('t', 'hash', [{ key: 'user@example.com:', value: 'OK' }])).toThrow(/:/);
  });
});

describeIfPostconf('bugs found by the hostile-input properties, confirmed with the real postconf', () => {
  // Fix: lib/validate-server.ts FORBIDDEN_PARAMETERS: add process_id, process_name, service_name ("read-only:
  // Postfix ignores the assignment") and config_directory ("the container layout fixes it; postconf overrides it").
  test.each(['process_id', 'process_name', 'service_name', 'config_directory'])('additionalParameters %s (read-only for Postfix) is refused', (name) => {
    expect(refusal({ additionalParameters: [[name, 'x']] }).message).toMatch(new RegExp(name));
  });

  // Fix: lib/validate-server.ts validateAdditionalParameters(): check the values postconf and every Postfix program
  // evaluate when they load main.cf: inet_protocols (list of all, ipv4, ipv6), mynetworks_style (host, subnet,
  // class), inet_interfaces (all, loopback-only or IP addresses: a host name is resolved at load, "host not found"
  // is fatal).
  test.each([
    ['inet_protocols', 'ipv5'],
    ['mynetworks_style', 'everything'],
    ['inet_interfaces', 'mail.example.invalid'],
  ])('additionalParameters %s = %s, which makes postconf fatal, is refused', (name, value) => {
    const outcome = attempt({ ...BASE, additionalParameters: [[name, value]] });
    if (outcome.kind === 'rendered') {
      expect(expandedMainCf(outcome.rendered.mainCf, outcome.rendered.masterCf).warnings).toEqual([]);
    } else {
      expect((outcome.error as Error).message).toMatch(new RegExp(name));
    }
  });

  // Fix: lib/validate-server.ts validateAdditionalParameters(): a warning diagnostic ("unknown-parameter") for names
  // that are not Postfix 3.7 parameters (a list generated from `postconf -d` with the library's master.cf), since
  // Postfix ignores them with only "warning: unused parameter" in its log.
  test('additionalParameters with a name Postfix does not know (a typo) is refused or reported', () => {
    const outcome = attempt({ ...BASE, additionalParameters: [['smtpd_tls_loglevle', '1']] });
    if (outcome.kind === 'error') {
      expect((outcome.error as Error).message).toMatch(/smtpd_tls_loglevle/);
      return;
    }
    expect(postconfCheck(outcome.rendered).warnings.join('\n')).toMatch(/unused parameter: smtpd_tls_loglevle/);
    expect(outcome.rendered.warnings.join('\n')).toMatch(/smtpd_tls_loglevle/);
  });
});
