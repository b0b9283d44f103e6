import { CONSTRUCT_CASES, evaluateConstructCase, EVERY_PROP_AT_ONCE, verdictOf } from './construct-cases';
import { explore, problemsOf, summary, Tally } from './harness';
import { parseMainCf, parseMasterCf, runs, SEED } from './oracle';
import { BASE, baseRender, checkRendered, Config, expectedFor, renderConfig, TableType } from './server-model';

/**
 * Hostile input into every string and string-list prop of every construct (issue 5, item 3). Each generated
 * case must end in a clear error, or in files that Postfix reads back as exactly the intended parameters,
 * services, overrides and table entries (checked in-process here with the readers in oracle.ts; a sample is
 * checked with the real postconf in hostile-postconf.test.ts). Reproduce with PROPERTY_SEED=<seed>.
 */

const RUNS_PER_PROP = runs(3000);
const RUNS_ALL_AT_ONCE = runs(2000);
const MIN_RENDERED_SHARE = 0.15;

const tallies: Tally[] = [];

afterAll(() => {
  console.log(`hostile input into construct props\n${summary(tallies)}`);
});

describe(`hostile input into construct props (fast-check seed ${SEED})`, () => {
  test('the model of intended output reproduces the render of valid configurations', () => {
    const base = baseRender();
    // Anchor the model to the rendering the library documents, not only to itself.
    expect(base.main.get('myhostname')).toBe('mx.example.com');
    expect(base.main.get('smtpd_relay_restrictions')).toBe(
      'check_ccert_access hash:/etc/postfix/tables/ccert_access, permit_tls_clientcerts, reject_unauth_destination',
    );
    expect(base.main.get('relay_clientcerts')).toBe('hash:/etc/postfix/tables/relay_clientcerts');
    expect(base.services.map((s) => `${s.name}/${s.type}`).slice(0, 2)).toEqual(['smtp/inet', 'submission/inet']);
    const valid: Config[] = [
      BASE,
      { ...BASE, certSubmission: true },
      { ...BASE, tableType: TableType.INLINE, relayClients: [{ fingerprint: Array(32).fill('ab').join(':'), name: 'lutzpc' }] },
      { ...BASE, tableType: TableType.TEXTHASH, accessRules: undefined, relayClients: [] },
      {
        ...BASE,
        hostname: 'MX.Example.org',
        listenAddress: '::1',
        submissionListenAddress: '127.0.0.1',
        localDomains: ['Example.org', 'example.net'],
        trustedNetworks: ['192.0.2.0/24', '[2001:db8::]/32'],
        maillogFile: '/var/log/mail#1.log',
        additionalParameters: [['smtpd_banner', 'hello # not a comment = still the value']],
        excludeCiphers: ['aNULL', 'MD5'],
        mandatoryExcludeCiphers: ['3DES'],
        sessionStore: { kind: 'lmdb', path: '/var/lib/postfix/cache' },
        sasl: { kind: 'cyrus', path: 'smtpd-sub' },
      },
      { ...BASE, sessionStore: { kind: 'tickets' } },
    ];
    for (const config of valid) {
      const rendered = renderConfig(config);
      parseMainCf(rendered.mainCf);
      parseMasterCf(rendered.masterCf);
      checkRendered(rendered, expectedFor(config));
    }
  });

  for (const c of CONSTRUCT_CASES) {
    test(`${c.id}: ${RUNS_PER_PROP} generated values end in a clear error or in files read back exactly as intended`, () => {
      const tally = explore(c.id, c.arbitrary, RUNS_PER_PROP, (partial) => verdictOf(evaluateConstructCase(partial, c.mentions)));
      tallies.push(tally);
      expect(problemsOf(tally)).toEqual([]);
      expect(tally.rendered).toBeGreaterThanOrEqual(MIN_RENDERED_SHARE * tally.runs);
    });
  }

  test(`${EVERY_PROP_AT_ONCE.id}: ${RUNS_ALL_AT_ONCE} generated servers`, () => {
    const c = EVERY_PROP_AT_ONCE;
    const tally = explore(c.id, c.arbitrary, RUNS_ALL_AT_ONCE, (partial) => verdictOf(evaluateConstructCase(partial, c.mentions)), 1);
    tallies.push(tally);
    expect(problemsOf(tally)).toEqual([]);
    expect(tally.rendered).toBeGreaterThanOrEqual(MIN_RENDERED_SHARE * tally.runs);
  });
});
