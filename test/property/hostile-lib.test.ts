import fc from 'fast-check';
import { ConfigError } from '../../lib/diagnostics';
import { renderMainCf } from '../../lib/main-cf';
import {
  absolutePath,
  commaList,
  duration,
  hostname,
  integer,
  literal,
  parameterName,
  postfixSyntax,
  reference,
  safeText,
  word,
} from '../../lib/values';
import {
  listWithHostile,
  validAbsolutePath,
  validHostname,
  validParameterName,
  validText,
  validWord,
  withHostile,
} from './arbitraries';
import { explore, kindOf, Problem, problemsOf, summary, Tally, Verdict } from './harness';
import { evaluateMainCf, evaluateMasterCf, evaluateTable, mainCfInput, MASTER_CF_CASES, TABLE_CASES } from './lib-cases';
import { clearErrorProblem, expansions, onDisk, parseMainCf, postfixTrim, runs, SEED, tokenize } from './oracle';

/**
 * Hostile input into the pure lib functions every construct prop passes through: the value helpers of
 * lib/values.ts, renderMainCf, renderMasterCf and lookupTable. Reproduce with PROPERTY_SEED=<seed>.
 */

const RUNS = runs(3000);
const tallies: Tally[] = [];

afterAll(() => {
  console.log(`hostile input into lib functions\n${summary(tallies)}`);
});

const WHAT = 'probe value';

/** The helper's result as main.cf reads it back: `probe = result`. */
function readBack(result: string): string | undefined {
  return parseMainCf(renderMainCf('probe', [{ title: 'probe', parameters: [{ name: 'probe', value: result }] }])).get('probe');
}

interface HelperCase {
  readonly id: string;
  readonly arbitrary: fc.Arbitrary<string>;
  readonly apply: (value: string) => string;
  readonly mentions: RegExp;
  /** Problems with a returned result, or undefined. */
  readonly check: (input: string, result: string) => string | undefined;
}

const noStructure = (result: string): string | undefined => {
  if (expansions(result).length > 0) return `result holds ${expansions(result).join(' ')}, which Postfix expands`;
  if (/[{}]/.test(result)) return 'result holds a brace';
  if (result.startsWith('#')) return "result starts with '#'";
  return undefined;
};
const oneWord = (result: string): string | undefined =>
  JSON.stringify(tokenize(result, ', \t\r\n')) === JSON.stringify([result]) ? undefined : `Postfix splits ${JSON.stringify(result)} into several list items`;
const renders = (result: string, intended: string): string | undefined => {
  const back = readBack(result);
  return back === intended ? undefined : `main.cf reads back ${JSON.stringify(back)}, intended ${JSON.stringify(intended)}`;
};
const first = (...checks: (string | undefined)[]): string | undefined => checks.find((c) => c !== undefined);

const HELPERS: readonly HelperCase[] = [
  {
    id: 'values.safeText',
    arbitrary: withHostile(validText),
    apply: (v) => safeText(WHAT, v),
    mentions: /probe value/,
    check: (input, result) =>
      first(
        result === input ? undefined : 'result differs from input',
        onDisk(result) === result ? undefined : 'result cannot be written as UTF-8 (lone surrogate)',
        /[\u0000-\u001f\u007f]/.test(result) ? 'result holds a control character' : undefined,
        postfixTrim(result) === result ? undefined : 'Postfix would trim the result',
      ),
  },
  {
    id: 'values.literal',
    arbitrary: withHostile(validText),
    apply: (v) => literal(WHAT, v),
    mentions: /probe value/,
    check: (input, result) => first(result === input ? undefined : 'result differs from input', noStructure(result), renders(result, input)),
  },
  {
    id: 'values.word',
    arbitrary: withHostile(validWord),
    apply: (v) => word(WHAT, v),
    mentions: /probe value/,
    check: (input, result) => first(result === input ? undefined : 'result differs from input', noStructure(result), oneWord(result), renders(result, input)),
  },
  {
    id: 'values.absolutePath',
    arbitrary: withHostile(validAbsolutePath),
    apply: (v) => absolutePath(WHAT, v),
    mentions: /probe value/,
    check: (input, result) =>
      first(
        result === input ? undefined : 'result differs from input',
        result.startsWith('/') ? undefined : 'not absolute',
        result.split('/').includes('..') ? "holds '..'" : undefined,
        noStructure(result),
        oneWord(result),
        renders(result, input),
      ),
  },
  {
    id: 'values.hostname',
    arbitrary: withHostile(validHostname),
    apply: (v) => hostname(WHAT, v),
    mentions: /probe value/,
    check: (input, result) =>
      first(
        result === input.toLowerCase() ? undefined : 'result is not the input in lower case',
        /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]*[a-z][a-z0-9-]*$/.test(result) ? undefined : 'not an RFC 1123 name',
        noStructure(result),
        oneWord(result),
        renders(result, result),
      ),
  },
  {
    id: 'values.parameterName',
    arbitrary: withHostile(validParameterName),
    apply: (v) => parameterName(v),
    mentions: /parameter name/,
    check: (input, result) => (result === input && /^[A-Za-z][A-Za-z0-9_]*$/.test(result) ? undefined : 'not a plain identifier'),
  },
  {
    id: 'values.reference',
    arbitrary: withHostile(validParameterName),
    apply: (v) => reference(v),
    mentions: /parameter name/,
    check: (input, result) => (result === `$${input}` && expansions(result).length === 1 && expansions(result)[0] === result ? undefined : 'not one $name reference'),
  },
  {
    id: 'values.postfixSyntax',
    arbitrary: withHostile(validText),
    apply: (v) => postfixSyntax(WHAT, v),
    mentions: /probe value/,
    check: (input, result) => (result === input ? undefined : 'result differs from input'),
  },
];

function evaluateHelper(c: HelperCase, input: string): Verdict {
  let result: string;
  try {
    result = c.apply(input);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw new Problem(`threw ${(e as Error)?.name} instead of a ConfigError`, String(e));
    const problem = clearErrorProblem(e, c.mentions);
    if (problem) throw new Problem(`unclear error: ${kindOf(problem)}`, problem);
    return 'refused';
  }
  let problem: string | undefined;
  try {
    problem = c.check(input, result);
  } catch (e) {
    problem = `result does not render: ${(e as Error).message}`;
  }
  if (problem) throw new Problem(`accepted a value it should refuse: ${kindOf(problem)}`, `${JSON.stringify(input)} -> ${JSON.stringify(result)}: ${problem}`);
  return 'rendered';
}

const hostileNumber = fc.oneof(
  fc.integer({ min: -10, max: 200000 }),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, 1e21, 2 ** 53, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 604800, 86400, 3600, 60),
);

describe(`hostile input into lib functions (fast-check seed ${SEED})`, () => {
  for (const c of HELPERS) {
    test(`${c.id}: ${RUNS} values end in a clear ConfigError or in a value main.cf reads back unchanged`, () => {
      const tally = explore(c.id, c.arbitrary, RUNS, (input) => evaluateHelper(c, input));
      tallies.push(tally);
      expect(problemsOf(tally)).toEqual([]);
      expect(tally.rendered).toBeGreaterThan(0.15 * tally.runs);
    });
  }

  test(`values.commaList: ${RUNS} lists end in a clear ConfigError or in a list Postfix splits into exactly the items`, () => {
    const tally = explore('values.commaList', listWithHostile(validWord, withHostile(validWord)), RUNS, (items) => {
      let result: string;
      try {
        result = commaList(WHAT, items);
      } catch (e) {
        const problem = clearErrorProblem(e, /probe value/);
        if (problem || !(e instanceof ConfigError)) throw new Problem(`unclear error: ${kindOf(problem ?? 'not a ConfigError')}`, problem ?? String(e));
        return 'refused';
      }
      let back: string;
      try {
        back = readBack(result) ?? '';
      } catch (e) {
        throw new Problem(`accepted a list that does not render: ${kindOf((e as Error).message)}`, `${JSON.stringify(items)}: ${(e as Error).message}`);
      }
      if (JSON.stringify(tokenize(back, ', \t\r\n')) !== JSON.stringify(items)) {
        throw new Problem('list reads back as other items', `${JSON.stringify(items)} -> ${JSON.stringify(back)}`);
      }
      return 'rendered';
    });
    tallies.push(tally);
    expect(problemsOf(tally)).toEqual([]);
    expect(tally.rendered).toBeGreaterThan(0.15 * tally.runs);
  });

  test(`values.integer and values.duration: ${RUNS} numbers end in a clear ConfigError or in the exact number`, () => {
    const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    const tally = explore('values.integer/duration', fc.tuple(hostileNumber, fc.integer({ min: -5, max: 10 }), fc.integer({ min: 0, max: 100000 })), RUNS, ([n, min, span]) => {
      const max = min + span;
      let verdict: Verdict = 'refused';
      try {
        const text = integer(WHAT, n, min, max);
        if (!/^-?\d+$/.test(text) || Number(text) !== n || n < min || n > max) throw new Problem('integer renders another number', `${n} in [${min}, ${max}] -> ${text}`);
        verdict = 'rendered';
      } catch (e) {
        if (e instanceof Problem) throw e;
        const problem = clearErrorProblem(e, /probe value/);
        if (problem || !(e instanceof ConfigError)) throw new Problem(`integer: unclear error: ${kindOf(problem ?? 'not a ConfigError')}`, problem ?? String(e));
      }
      try {
        const text = duration(WHAT, n);
        const match = /^(\d+)([smhdw])$/.exec(text);
        if (!match || Number(match[1]) * units[match[2]] !== n) throw new Problem('duration renders another time', `${n} -> ${text}`);
      } catch (e) {
        if (e instanceof Problem) throw e;
        const problem = clearErrorProblem(e, /probe value/);
        if (problem || !(e instanceof ConfigError)) throw new Problem(`duration: unclear error: ${kindOf(problem ?? 'not a ConfigError')}`, problem ?? String(e));
      }
      return verdict;
    });
    tallies.push(tally);
    expect(problemsOf(tally)).toEqual([]);
  });

  test(`renderMainCf: ${RUNS} header/title/name/value sets end in a clear ConfigError or in exactly those parameters`, () => {
    const tally = explore('renderMainCf', mainCfInput, RUNS, evaluateMainCf);
    tallies.push(tally);
    expect(problemsOf(tally)).toEqual([]);
    expect(tally.rendered).toBeGreaterThan(0.15 * tally.runs);
  });

  for (const c of MASTER_CF_CASES) {
    test(`${c.id}: ${RUNS} service sets end in a clear ConfigError or in exactly those services and -o overrides`, () => {
      const tally = explore(c.id, c.arbitrary, RUNS, evaluateMasterCf);
      tallies.push(tally);
      expect(problemsOf(tally)).toEqual([]);
      expect(tally.rendered).toBeGreaterThan(0.15 * tally.runs);
    });
  }

  for (const c of TABLE_CASES) {
    test(`${c.id}: ${RUNS} tables end in a clear ConfigError or in exactly those entries`, () => {
      const tally = explore(c.id, c.arbitrary, RUNS, evaluateTable);
      tallies.push(tally);
      expect(problemsOf(tally)).toEqual([]);
      expect(tally.rendered).toBeGreaterThan(0.15 * tally.runs);
    });
  }
});
