/**
 * The closed relay model is complete: every parameter of the installed Postfix (`postconf -d`) whose name
 * marks it as a relay, trust or AUTH parameter is rendered from a typed prop, refused, or listed as harmless
 * with a reason; and the lists name only parameters that exist.
 */
import { execFileSync } from 'node:child_process';
import { validateServer } from '../../lib/validate-server';
import { MANAGED_PARAMETERS } from '../../lib/validate-server';
import { RELAY_HARMLESS, RELAY_REFUSED } from '../../lib/relay-parameters';
import { describeIfPostconf } from '../helpers/postconf';
import { server } from './baseline-spec';

/** Names that postconf(5) describes as relay access, trust lists, XCLIENT/XFORWARD, PROXY protocol or SASL. */
const RELAY_NAME = new RegExp([
  '_restrictions$', 'restriction_classes', 'networks', 'authorized', 'xclient', 'xforward', 'proxy_protocol', 'upstream_proxy', 'sasl',
  '^relay_', 'environment$', '_clients$', 'untrusted_routing', 'percent_hack', 'bangpath', 'access_list', 'auth_only', 'permit', '_ccert',
  '^resolve_', 'parent_domain_matches', '_exceptions$', '_exclusions$', '_domains$', '^mydestination$',
].join('|'));
/** The outbound clients authenticate this server to others; they authorise no inbound client. */
const OUTBOUND = /^(?:smtp|lmtp|tlsproxy_client)_/;

describeIfPostconf('relay model against postconf -d', () => {
  const names = execFileSync('postconf', ['-d'], { encoding: 'utf8' }).split('\n').filter((l) => l !== '').map((l) => l.split(' =')[0]);

  test('postconf -d lists the parameters of Postfix 3.7 or later', () => {
    expect(execFileSync('postconf', ['-dh', 'mail_version'], { encoding: 'utf8' }).trim()).toMatch(/^3\.(?:[7-9]|\d\d)\./);
    expect(names.length).toBeGreaterThan(900);
  });

  test('every relay, trust or AUTH parameter is managed, refused or harmless', () => {
    const unclassified = names.filter((n) => RELAY_NAME.test(n) && !OUTBOUND.test(n)).filter((n) => !(n in MANAGED_PARAMETERS || n in RELAY_REFUSED || n in RELAY_HARMLESS));
    expect(unclassified).toEqual([]);
  });

  test('the refused and harmless lists name only parameters Postfix knows, each once', () => {
    const known = new Set(names);
    expect([...Object.keys(RELAY_REFUSED), ...Object.keys(RELAY_HARMLESS)].filter((n) => !known.has(n))).toEqual([]);
    expect(Object.keys(RELAY_REFUSED).filter((n) => n in RELAY_HARMLESS || n in MANAGED_PARAMETERS)).toEqual([]);
  });
});

describe('relay model in additionalParameters', () => {
  test.each(Object.keys(RELAY_REFUSED))('%s is refused with its reason', (name) => {
    const diagnostics = validateServer(server({ additionalParameters: [{ name, value: 'yes' }] }));
    expect(diagnostics.map((d) => [d.rule, d.message])).toEqual([['relay-parameter', expect.stringContaining(RELAY_REFUSED[name])]]);
  });

  test('every refusal names a typed prop or says what to leave', () => {
    for (const [name, reason] of Object.entries(RELAY_REFUSED)) {
      expect({ name, hint: /PostfixServer|ClientCertPolicy|SubmissionPort|leave it|is refused/.test(reason) }).toEqual({ name, hint: true });
    }
  });
});
