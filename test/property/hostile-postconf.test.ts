import fc from 'fast-check';
import { RELAY_REFUSED } from '../../lib/relay-parameters';
import { lookupTable } from '../../lib/lookup-table';
import { renderMainCf } from '../../lib/main-cf';
import { MasterService, renderMasterCf } from '../../lib/master-cf';
import { describeIfPostconf } from '../helpers/postconf';
import { validText, withHostile } from './arbitraries';
import { CONSTRUCT_CASES, ConstructCase, EVERY_PROP_AT_ONCE } from './construct-cases';
import { showValue, summary, Tally } from './harness';
import { MASTER_CF_CASES, TABLE_CASES } from './lib-cases';
import { parseInlineTable, runs, SEED, tokenize } from './oracle';
import { cleanUp, expandedMainCf, knownParameters, postconfCheck, tableProblems } from './real-postfix';
import { attempt, BASE, Config, Expected, expectedFor, expectedOverrides, Rendered, renderConfig, restrictionTokens } from './server-model';

/**
 * A deterministic sample of successfully rendered hostile-input cases, read back by the real Postfix 3.7 tools:
 * `postconf -n` must list exactly the intended parameters with the intended values, `postconf -x -n` must not
 * change any value the library did not mean to expand, `postconf -P`/`-M` must list exactly the intended
 * overrides and services, `postmap -s` must read exactly the intended table entries, and none of them may warn.
 * Reproduce with PROPERTY_SEED=<seed>.
 */

const PER_CONSTRUCT_CASE = runs(20);
const PER_LIB_CASE = runs(12);
const SAMPLE_SEED_OFFSET = 7;

/**
 * postconf prints a value word by word (pcf_print_line), so runs of blanks come out as one space: `a  b` in main.cf
 * is printed `a b` by -n, -x and -h alike, while the daemons read `a  b`. The byte-exact comparison is the
 * in-process one (hostile-input.test.ts); against postconf's output, values compare with blank runs folded.
 */
function postconfShown(value: string | undefined): string | undefined {
  return value?.replace(/[ \t]+/g, ' ');
}

function diff(read: ReadonlyMap<string, string>, intended: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const name of new Set([...read.keys(), ...intended.keys()])) {
    if (read.get(name) !== postconfShown(intended.get(name))) out.push(`${name}: read ${showValue(read.get(name))}, intended ${showValue(intended.get(name))}`);
  }
  return out;
}

function normalizeOverrides(map: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...map].map(([k, v]) => [k, k.endsWith('/smtpd_relay_restrictions') ? JSON.stringify(restrictionTokens(v)) : v]));
}

/** Problems the real tools find with one rendered server, each starting with a stable kind. */
function realServerCheck(rendered: Rendered, expected: Expected): string[] {
  const problems: string[] = [];
  const r = postconfCheck(rendered);
  for (const w of r.warnings) problems.push(`postconf warned: ${w}`);
  for (const d of diff(new Map(Object.entries(r.mainParameters)), expected.main)) problems.push(`postconf -n: ${d}`);
  const x = expandedMainCf(rendered.mainCf, rendered.masterCf);
  const intendedExpanded = new Map(
    [...expected.main].map(([name, raw]) => [name, name === 'mydestination' ? raw.replace('$myhostname', expected.main.get('myhostname') ?? '') : raw]),
  );
  for (const d of diff(x.values, intendedExpanded)) problems.push(`postconf -x -n: ${d}`);
  for (const d of diff(normalizeOverrides(new Map(Object.entries(r.masterOverrides))), normalizeOverrides(expectedOverrides(expected)))) {
    problems.push(`postconf -P: ${d}`);
  }
  const services = r.masterServices.map((line) => tokenize(line, ' ').slice(0, 8).join(' '));
  const intendedServices = expected.services.map((s) => [s.name, s.type, s.private, s.unprivileged, s.chroot, s.wakeup, s.maxProcesses, s.command].join(' '));
  if (JSON.stringify(services) !== JSON.stringify(intendedServices)) {
    problems.push(`postconf -M: services ${showValue(services)}, intended ${showValue(intendedServices)}`);
  }
  for (const table of rendered.tables) problems.push(...tableProblems(table.path, { content: table.content }, expected.tables.get(table.path) ?? []));
  for (const [name, entries] of expected.inlineTables) {
    const inline = tokenize(expected.main.get(name) ?? '', ', \t\r\n').find((t) => parseInlineTable(t) !== null) ?? '';
    problems.push(...tableProblems(`inline table of ${name}`, { inline }, entries));
  }
  return problems;
}

const tallies: Tally[] = [];

function record(tally: Tally, problems: string[], value: unknown): void {
  for (const problem of problems) {
    const kind = problem.split(/: |"|\[/)[0];
    const seen = tally.problems.get(kind);
    const example = showValue(value);
    if (!seen) tally.problems.set(kind, { count: 1, example, detail: problem });
    else {
      seen.count++;
      if (example.length < seen.example.length) Object.assign(seen, { example, detail: problem });
    }
  }
}

function report(tally: Tally): string[] {
  return [...tally.problems].map(
    ([kind, { count, example, detail }]) =>
      `${tally.id} (seed ${SEED}): ${kind} — ${count} of ${tally.rendered} checked; shortest: ${example.length > 500 ? `${example.slice(0, 500)}...` : example}\n    ${detail.slice(0, 800)}`,
  );
}

/** The first `wanted` values of `arbitrary` (fixed seed) that render, each checked with the real tools. */
function sampleRendered<T>(
  id: string,
  arbitrary: fc.Arbitrary<T>,
  wanted: number,
  render: (value: T) => unknown | undefined,
  check: (value: T, rendered: unknown) => string[],
): Tally {
  const tally: Tally = { id, runs: 0, rendered: 0, refused: 0, problems: new Map() };
  for (const value of fc.sample(arbitrary, { seed: SEED + SAMPLE_SEED_OFFSET, numRuns: 50 * wanted })) {
    if (tally.rendered >= wanted) break;
    tally.runs++;
    const rendered = render(value);
    if (rendered === undefined) {
      tally.refused++;
      continue;
    }
    tally.rendered++;
    record(tally, check(value, rendered), value);
  }
  tallies.push(tally);
  return tally;
}

afterAll(() => {
  cleanUp();
  const checked = tallies.reduce((n, t) => n + t.rendered, 0);
  console.log(`hostile input checked with the real postconf/postmap\n${summary(tallies).replace(/rendered/, 'checked')}\nreal-tool checked cases: ${checked}`);
});

describeIfPostconf(`hostile input read back by the real postconf (fast-check seed ${SEED})`, () => {
  let defaults = new Map<string, [string, string]>();
  let known: string[] = [];
  beforeAll(() => {
    defaults = knownParameters(renderConfig(BASE).masterCf);
    known = [...defaults.keys()];
  });

  test(`construct props: ${PER_CONSTRUCT_CASE} rendered cases per prop read back exactly as intended, without warnings`, () => {
    // Names Postfix does not know render but make postconf warn "unused parameter"; that is checked on its own
    // below, so this sample draws additionalParameters names from the names Postfix knows.
    const knownNames = fc.constantFrom(...known);
    const cases: ConstructCase[] = [
      ...CONSTRUCT_CASES.map((c) =>
        c.id.startsWith('PostfixServer additionalParameters')
          ? {
              ...c,
              id: `${c.id} (names Postfix knows)`,
              arbitrary: fc
                .uniqueArray(fc.tuple(knownNames, withHostile(validText)), { maxLength: 3, selector: ([n]) => n })
                .map((additionalParameters) => ({ additionalParameters })),
            }
          : c,
      ),
      EVERY_PROP_AT_ONCE,
    ];
    const results = cases.map((c) =>
      sampleRendered(
        c.id,
        c.arbitrary,
        PER_CONSTRUCT_CASE,
        (partial) => {
          const outcome = attempt({ ...BASE, ...partial } as Config);
          return outcome.kind === 'rendered' ? outcome.rendered : undefined;
        },
        (partial, rendered) => realServerCheck(rendered as Rendered, expectedFor({ ...BASE, ...partial } as Config)),
      ),
    );
    for (const t of results) expect(t.rendered).toBe(PER_CONSTRUCT_CASE);
    expect(results.flatMap(report)).toEqual([]);
  });

  test('additionalParameters: every parameter name Postfix 3.7 knows, set to its own default, is refused clearly or reads back without warnings', () => {
    // Postfix's own default is a value Postfix accepts; where it holds `$` or braces (refused by the library), the
    // default after expansion; where that holds them too, empty (what an unset list or map means).
    const literalSafe = (v: string): boolean => !/[${}]/.test(v) && !v.startsWith('#');
    const valueFor = (name: string): string => {
      const [raw, expanded] = defaults.get(name) ?? ['', ''];
      return literalSafe(raw) ? raw : literalSafe(expanded) ? expanded : '';
    };
    const renderable = known.filter((name) => attempt({ ...BASE, additionalParameters: [[name, valueFor(name)]] }).kind === 'rendered');
    // The relay model (lib/relay-parameters.ts) refuses its names by design; of the others, nearly all render.
    const open = known.filter((name) => !(name in RELAY_REFUSED));
    expect(renderable.length).toBeGreaterThan(0.9 * open.length);
    const tally: Tally = { id: `additionalParameters: ${renderable.length} renderable known names`, runs: 0, rendered: 0, refused: known.length - renderable.length, problems: new Map() };
    tallies.push(tally);
    const problems: string[] = [];
    // All names in one server; a batch with a problem is split until each problem is pinned to one name (a fatal
    // about one value would otherwise hide the rest).
    const check = (names: readonly string[]): void => {
      const config: Config = { ...BASE, additionalParameters: names.map((name) => [name, valueFor(name)] as [string, string]) };
      const outcome = attempt(config);
      if (outcome.kind !== 'rendered') throw outcome.error;
      tally.runs++;
      const found = realServerCheck(outcome.rendered, expectedFor(config));
      if (found.length === 0) {
        tally.rendered += names.length;
        return;
      }
      if (names.length === 1) {
        tally.rendered++;
        problems.push(`${names[0]} = ${valueFor(names[0])}: ${(found.find((p) => /warned/.test(p)) ?? found[0]).slice(0, 300)}`);
        return;
      }
      check(names.slice(0, names.length >> 1));
      check(names.slice(names.length >> 1));
    };
    check(renderable);
    expect(problems).toEqual([]);
  });

  test(`lib renderMainCf/renderMasterCf/lookupTable: ${PER_LIB_CASE} rendered cases per property read back exactly as given`, () => {
    const knownSet = new Set(known);
    const mainInput = fc.record({
      header: withHostile(validText),
      parameters: fc.uniqueArray(fc.record({ name: fc.constantFrom('smtpd_banner', 'notify_classes', 'myorigin', 'smtpd_client_restrictions', 'recipient_delimiter'), value: withHostile(validText) }), {
        maxLength: 4,
        selector: (p) => p.name,
      }),
    });
    const results: Tally[] = [];
    results.push(
      sampleRendered(
        'renderMainCf (names Postfix knows)',
        mainInput,
        PER_LIB_CASE * 2,
        (input) => {
          try {
            return renderMainCf(input.header, [{ title: 'probe', parameters: input.parameters }]);
          } catch {
            return undefined;
          }
        },
        (input, text) => {
          const r = postconfCheck({ mainCf: text as string, masterCf: '' });
          return [
            ...r.warnings.map((w) => `postconf warned: ${w}`),
            ...diff(new Map(Object.entries(r.mainParameters)), new Map(input.parameters.map((p) => [p.name, p.value]))).map((d) => `postconf -n: ${d}`),
          ];
        },
      ),
    );
    for (const c of MASTER_CF_CASES) {
      results.push(
        sampleRendered(
          `${c.id} (names Postfix knows)`,
          c.arbitrary.filter((input) => input.services.every((s) => (s.overrides ?? []).every((o) => knownSet.has(o.name)))),
          PER_LIB_CASE,
          (input) => {
            try {
              return renderMasterCf(input.header, input.services);
            } catch {
              return undefined;
            }
          },
          (input, text) => {
            const r = postconfCheck({ mainCf: '', masterCf: text as string });
            const intendedOverrides = new Map<string, string>();
            const duplicates: string[] = [];
            for (const s of input.services as MasterService[]) {
              for (const o of s.overrides ?? []) {
                const key = `${s.name}/${s.type}/${o.name}`;
                if (intendedOverrides.has(key)) duplicates.push(key);
                intendedOverrides.set(key, o.value);
              }
            }
            const column = (v: boolean | undefined): string => (v === undefined ? '-' : v ? 'y' : 'n');
            const intendedServices = (input.services as MasterService[]).map((s) =>
              [s.name, s.type, column(s.private), column(s.unprivileged), column(s.chroot), s.wakeup ?? '-', s.maxProcesses === undefined ? '-' : String(s.maxProcesses), s.command].join(' '),
            );
            const services = r.masterServices.map((line) => tokenize(line, ' ').slice(0, 8).join(' '));
            return [
              ...r.warnings.map((w) => `postconf warned: ${w}`),
              ...duplicates.map((d) => `postconf -P: ${d} is set twice and reads back as the last value only`),
              ...diff(new Map(Object.entries(r.masterOverrides)), intendedOverrides).map((d) => `postconf -P: ${d}`),
              ...(JSON.stringify(services) === JSON.stringify(intendedServices) ? [] : [`postconf -M: ${showValue(services)}, intended ${showValue(intendedServices)}`]),
            ];
          },
        ),
      );
    }
    for (const c of TABLE_CASES) {
      results.push(
        sampleRendered(
          c.id,
          c.arbitrary,
          PER_LIB_CASE,
          (input) => {
            try {
              return lookupTable(input.name, input.type, input.entries);
            } catch {
              return undefined;
            }
          },
          (input, value) => {
            const table = value as ReturnType<typeof lookupTable>;
            const intended = input.entries.map((e) => [e.key, e.value] as const);
            const problems = tableProblems('table', table.file ? { content: table.file.content } : { inline: table.reference }, intended);
            if (!table.file) {
              let mainCf: string | undefined;
              try {
                mainCf = renderMainCf('probe', [{ title: 'probe', parameters: [{ name: 'relay_clientcerts', value: table.reference }] }]);
              } catch (e) {
                problems.push(`inline reference does not render into main.cf: ${(e as Error).message}`);
              }
              if (mainCf !== undefined) {
                const x = expandedMainCf(mainCf);
                problems.push(...x.warnings.map((w) => `postconf -x warned: ${w}`));
                if (x.values.get('relay_clientcerts') !== postconfShown(table.reference)) {
                  problems.push(`postconf -x -n: relay_clientcerts expands to ${showValue(x.values.get('relay_clientcerts'))}, written ${showValue(table.reference)}`);
                }
              }
            }
            return problems;
          },
        ),
      );
    }
    for (const t of results) expect(t.rendered).toBeGreaterThan(0);
    expect(results.flatMap(report)).toEqual([]);
  });
});
