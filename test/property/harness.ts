import fc from 'fast-check';
import { SEED } from './oracle';

/**
 * Runs a property over `numRuns` values generated from a fixed seed and collects every distinct kind of
 * failure (with the shortest example of each) instead of stopping at the first, so one report shows all the
 * problems a property finds. Values are JSON-encoded in the report (lone surrogates and control characters
 * escaped), so each example can be pasted back into a test.
 */

export interface Tally {
  readonly id: string;
  runs: number;
  rendered: number;
  refused: number;
  readonly problems: Map<string, { count: number; example: string; detail: string }>;
}

/** A failure with a stable kind (what went wrong, without the generated value in it). */
export class Problem extends Error {
  constructor(
    public readonly kind: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** A kind from a message: the text before the first value-looking part, digits folded. */
export function kindOf(message: string): string {
  return message
    .split(/[:"{[\n]/)[0]
    .replace(/\d+/g, 'N')
    .trim()
    .slice(0, 120);
}

/** JSON with every invisible or line-breaking character escaped (JSON.stringify leaves U+007F-U+009F, U+2028...). */
export function showValue(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).replace(
    /[\u007f-\u009f\u00a0\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u3000\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export type Verdict = 'rendered' | 'refused';

export function explore<T>(id: string, arbitrary: fc.Arbitrary<T>, numRuns: number, evaluate: (value: T) => Verdict, seedOffset = 0): Tally {
  const tally: Tally = { id, runs: 0, rendered: 0, refused: 0, problems: new Map() };
  const values = fc.sample(arbitrary, { seed: SEED + seedOffset, numRuns });
  for (const value of values) {
    tally.runs++;
    try {
      const verdict = evaluate(value);
      if (verdict === 'rendered') tally.rendered++;
      else tally.refused++;
    } catch (e) {
      const kind = e instanceof Problem ? e.kind : `unexpected failure: ${kindOf((e as Error)?.message ?? String(e))}`;
      const detail = (e as Error)?.message ?? String(e);
      const example = showValue(value);
      const seen = tally.problems.get(kind);
      if (!seen) tally.problems.set(kind, { count: 1, example, detail });
      else {
        seen.count++;
        if (example.length < seen.example.length) Object.assign(seen, { example, detail });
      }
    }
  }
  return tally;
}

/** The failure report of a tally, empty when it found nothing. */
export function problemsOf(tally: Tally): string[] {
  return [...tally.problems].map(
    ([kind, { count, example, detail }]) =>
      `${tally.id} (seed ${SEED}): ${kind} — ${count} of ${tally.runs} cases; shortest: ${example.length > 600 ? `${example.slice(0, 600)}...` : example}\n    ${detail.slice(0, 700)}`,
  );
}

export function summary(tallies: readonly Tally[]): string {
  const rows = tallies.map(
    (t) => `${t.id.padEnd(58)} ${String(t.runs).padStart(6)} ${String(t.rendered).padStart(8)} ${String(t.refused).padStart(8)} ${String(t.problems.size).padStart(8)}`,
  );
  const total = tallies.reduce((n, t) => n + t.runs, 0);
  return [`fast-check seed ${SEED}`, `${'property'.padEnd(58)} ${'cases'.padStart(6)} ${'rendered'.padStart(8)} ${'refused'.padStart(8)} ${'problems'.padStart(8)}`, ...rows, `total cases: ${total}`].join('\n');
}
