import fc from 'fast-check';
import {
  hostileText,
  listOf,
  listWithHostile,
  mutated,
  validAbsolutePath,
  validAccessAction,
  validCipher,
  validClientName,
  validFingerprint,
  validHostname,
  validListenAddress,
  validNetwork,
  validParameterName,
  validSaslPath,
  validText,
  withHostile,
} from './arbitraries';
import { Problem, kindOf, Verdict } from './harness';
import { clearErrorProblem, isCleanNetwork } from './oracle';
import { attempt, BASE, checkRendered, Config, expectedFor, Rendered, TableType } from './server-model';

/** One prop (or group of props) of the constructs, with the generator of its values. */
export interface ConstructCase {
  readonly id: string;
  readonly arbitrary: fc.Arbitrary<Partial<Config>>;
  /** What a clear error about this prop mentions. */
  readonly mentions: RegExp;
}

const tableType = fc.constantFrom(TableType.HASH, TableType.TEXTHASH, TableType.LMDB, TableType.BTREE, TableType.INLINE);
const fingerprint = fc.oneof({ weight: 8, arbitrary: withHostile(validFingerprint) }, { weight: 1, arbitrary: fc.constantFrom('AA:BB:CC:DD', 'aa:bb:cc:dd') });
const cacheType = fc.constantFrom('btree', 'lmdb', 'hash', 'texthash');

function sessionStoreArbitrary(type: fc.Arbitrary<string>, path: fc.Arbitrary<string>): fc.Arbitrary<Config['sessionStore']> {
  const optionalPath = fc.option(path, { nil: undefined });
  return fc.oneof(
    fc.constant({ kind: 'tickets' as const }),
    optionalPath.map((p) => ({ kind: 'btree' as const, path: p })),
    optionalPath.map((p) => ({ kind: 'lmdb' as const, path: p })),
    fc.tuple(type, optionalPath).map(([t, p]) => ({ kind: 'of' as const, type: t, path: p })),
  );
}

function saslArbitrary(path: fc.Arbitrary<string>): fc.Arbitrary<Config['sasl']> {
  return fc.record({ kind: fc.constantFrom('dovecot' as const, 'cyrus' as const), path: fc.option(path, { nil: undefined }) });
}

const additional = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<[string, string][]> =>
  fc.uniqueArray(fc.tuple(name, value), { maxLength: 3, selector: ([n]) => n });

export const CONSTRUCT_CASES: readonly ConstructCase[] = [
  { id: 'PostfixServer hostname', arbitrary: withHostile(validHostname).map((hostname) => ({ hostname })), mentions: /hostname/ },
  {
    id: 'PostfixServer listenAddress',
    arbitrary: withHostile(validListenAddress).map((listenAddress) => ({ listenAddress })),
    mentions: /listenAddress|service/,
  },
  { id: 'PostfixServer localDomains', arbitrary: listWithHostile(validHostname, withHostile(validHostname)).map((localDomains) => ({ localDomains })), mentions: /local domain/ },
  {
    id: 'PostfixServer trustedNetworks',
    arbitrary: listWithHostile(validNetwork, withHostile(validNetwork)).map((trustedNetworks) => ({ trustedNetworks })),
    mentions: /trusted network/,
  },
  { id: 'PostfixServer maillogFile', arbitrary: withHostile(validAbsolutePath).map((maillogFile) => ({ maillogFile })), mentions: /maillog/i },
  {
    id: 'PostfixServer additionalParameters names+values',
    arbitrary: additional(withHostile(validParameterName), withHostile(validText)).map((additionalParameters) => ({ additionalParameters })),
    mentions: /parameter/,
  },
  {
    id: 'TlsServer excludeCiphers+mandatoryExcludeCiphers',
    arbitrary: fc.record({
      excludeCiphers: listWithHostile(validCipher, withHostile(validCipher)),
      mandatoryExcludeCiphers: listWithHostile(validCipher, withHostile(validCipher)),
    }),
    mentions: /cipher/,
  },
  {
    id: 'ClientIdentity.fromFingerprint fingerprint (relayClients)',
    arbitrary: fc.record({
      relayClients: listWithHostile(fc.record({ fingerprint: validFingerprint, name: validClientName }), fc.record({ fingerprint, name: validClientName })),
      tableType,
      certSubmission: fc.boolean(),
    }),
    mentions: /fingerprint|relay_clientcerts/,
  },
  {
    id: 'ClientIdentity.fromFingerprint name (relay_clientcerts value)',
    arbitrary: fc.record({
      relayClients: listWithHostile(
        fc.record({ fingerprint: validFingerprint, name: validClientName }),
        fc.record({ fingerprint: validFingerprint, name: withHostile(validClientName) }),
      ),
      tableType,
      certSubmission: fc.boolean(),
    }),
    mentions: /client name|relay_clientcerts/,
  },
  {
    id: 'ClientCertPolicy accessRules action',
    arbitrary: fc.record({
      accessRules: listWithHostile(
        fc.record({ fingerprint: validFingerprint, action: validAccessAction }),
        fc.record({ fingerprint: validFingerprint, action: withHostile(validAccessAction) }),
      ),
      tableType,
      certSubmission: fc.boolean(),
    }),
    mentions: /access action|ccert_access/,
  },
  {
    id: 'SessionStore lmdb/btree/of type+path',
    arbitrary: sessionStoreArbitrary(withHostile(cacheType), withHostile(validAbsolutePath)).map((sessionStore) => ({ sessionStore })),
    mentions: /session.cache|type|path/,
  },
  {
    id: 'SubmissionPort listenAddress',
    arbitrary: withHostile(validListenAddress).map((submissionListenAddress) => ({ submissionListenAddress })),
    mentions: /listenAddress|service/,
  },
  { id: 'SaslBackend dovecot path / cyrus name', arbitrary: saslArbitrary(withHostile(validSaslPath)).map((sasl) => ({ sasl })), mentions: /SASL|Cyrus|[Dd]ovecot/ },
];

/** Mostly valid, sometimes hostile: for the property that sets every prop at once. */
function mostlyValid<T extends string>(valid: fc.Arbitrary<T>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 24, arbitrary: valid }, { weight: 1, arbitrary: mutated(valid) }, { weight: 1, arbitrary: hostileText });
}

export const EVERY_PROP_AT_ONCE: ConstructCase = {
  id: 'every prop of every construct at once',
  arbitrary: fc.record({
    hostname: mostlyValid(validHostname),
    listenAddress: fc.option(mostlyValid(validListenAddress), { nil: undefined }),
    localDomains: listOf(mostlyValid(validHostname), 2),
    trustedNetworks: listOf(mostlyValid(fc.constantFrom('127.0.0.0/8', '192.0.2.0/24', '[::1]/128', '[2001:db8::]/32')), 2),
    // Valid log files are within maillog_file_prefixes (/var, /dev/stdout).
    maillogFile: fc.option(mostlyValid(validAbsolutePath.map((p) => (p.startsWith('/var/') || p === '/dev/stdout' ? p : `/var/log${p}`))), { nil: undefined }),
    // Parameters whose values are free text (typed values are checked by test/lib/parameter-types.test.ts).
    // notify_classes is not: it is a list of keywords, and any other word stops every smtpd (the relay oracle
    // found it; its type is checked now).
    additionalParameters: additional(mostlyValid(fc.constantFrom('smtpd_banner', 'mail_name', 'smtpd_reject_footer')), mostlyValid(validText)),
    excludeCiphers: listOf(mostlyValid(validCipher), 2),
    mandatoryExcludeCiphers: listOf(mostlyValid(validCipher), 2),
    relayClients: fc.option(fc.array(fc.record({ fingerprint: mostlyValid(validFingerprint), name: mostlyValid(validClientName) }), { maxLength: 2 }), {
      nil: undefined,
    }),
    accessRules: fc.option(fc.array(fc.record({ fingerprint: mostlyValid(validFingerprint), action: mostlyValid(validAccessAction) }), { maxLength: 2 }), {
      nil: undefined,
    }),
    tableType,
    certSubmission: fc.boolean(),
    sessionStore: sessionStoreArbitrary(mostlyValid(fc.constantFrom('btree', 'lmdb', 'hash')), mostlyValid(validAbsolutePath)),
    sasl: saslArbitrary(mostlyValid(validSaslPath)),
    submissionListenAddress: fc.option(mostlyValid(fc.constantFrom('127.0.0.1', '::1', 'submit.example.com')), { nil: undefined }),
  }),
  mentions: /hostname|listenAddress|service|local domain|trusted network|maillog|parameter|cipher|fingerprint|client|table|action|access|session.cache|type|path|SASL|Cyrus|[Dd]ovecot/,
};

/** Reasons a configuration must not render even though every file would read back as written. */
export function semanticProblem(config: Config): string | undefined {
  const network = config.trustedNetworks.find((n) => !isCleanNetwork(n));
  if (network !== undefined) return `trustedNetworks holds ${JSON.stringify(network)}, which Postfix's CIDR parser rejects or skips`;
  const store = config.sessionStore;
  if (store.kind === 'of' && !['btree', 'lmdb', 'hash'].includes(store.type as string)) {
    return `SessionStore.of type ${JSON.stringify(store.type)} is not a cache database type tlsmgr can use (btree, lmdb, hash)`;
  }
  return undefined;
}

export type CaseResult = { readonly verdict: 'refused' } | { readonly verdict: 'rendered'; readonly config: Config; readonly rendered: Rendered };

/** Runs one case in-process: a clear error, or files that read back as intended. Throws a Problem otherwise. */
export function evaluateConstructCase(partial: Partial<Config>, mentions: RegExp): CaseResult {
  const config: Config = { ...BASE, ...partial };
  const outcome = attempt(config);
  if (outcome.kind === 'error') {
    const problem = clearErrorProblem(outcome.error, mentions);
    if (problem) throw new Problem(`unclear error: ${kindOf(problem)}`, problem);
    return { verdict: 'refused' };
  }
  const semantic = semanticProblem(config);
  if (semantic) throw new Problem(`rendered although ${kindOf(semantic)}`, semantic);
  try {
    checkRendered(outcome.rendered, expectedFor(config));
  } catch (e) {
    const message = (e as Error).message;
    throw new Problem(`rendered into something Postfix reads differently: ${kindOf(message)}`, message);
  }
  return { verdict: 'rendered', config, rendered: outcome.rendered };
}

export function verdictOf(result: CaseResult): Verdict {
  return result.verdict;
}
