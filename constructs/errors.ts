import { quote } from '../lib/values';
import { Annotations, Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { ConfigError, Diagnostic, Severity } from '../lib/diagnostics';

/** An error that names the construct path, for props that can never work. */
export function constructError(scope: IConstruct, message: string): Error {
  return new Error(`[${scope.node.path}] ${message}`);
}

/** Runs a pure-core check and prefixes its ConfigError with the construct path. */
export function checked<T>(scope: IConstruct, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ConfigError) throw constructError(scope, e.message);
    throw e;
  }
}

/** True for values only known at deploy time; eager validation skips them. */
export function isUnresolved(value: unknown): boolean {
  return Token.isUnresolved(value);
}

/** Throws every error of a check at once (with the construct path); warnings become annotations. */
export function reportDiagnostics(scope: IConstruct, diagnostics: readonly Diagnostic[]): void {
  const errors = diagnostics.filter((d) => d.severity === Severity.ERROR);
  if (errors.length > 0) {
    throw constructError(scope, errors.map((e) => `[${e.rule}] ${e.message}`).join('\n  '));
  }
  for (const w of diagnostics) Annotations.of(scope).addWarning(`[${w.rule}] ${w.message}`);
}

/** Refuses a value outside an enum, for callers without TypeScript's checks (JavaScript, jsii languages). */
export function oneOf<T extends string>(what: string, value: T, members: Record<string, T>): T {
  const allowed = Object.values(members);
  if (!allowed.includes(value)) {
    throw new ConfigError(`${what} ${quote(value)} is not one of ${allowed.join(', ')}`);
  }
  return value;
}
