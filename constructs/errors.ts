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

/**
 * Refuses deploy-time tokens anywhere in plain props (nested arrays and objects; class instances such as
 * certificates are left to their own checks). main.cf, master.cf and lookup tables are rendered and
 * checked at synth: a token would reach them unchecked at deploy time, where a line break in its value
 * could inject a parameter. `except` names props that only become file contents (e.g. CA PEMs).
 */
export function refuseTokens(scope: IConstruct, props: object, except: readonly string[] = []): void {
  const visit = (value: unknown, path: string): void => {
    if (Token.isUnresolved(value)) {
      throw constructError(scope, `${path} is only known at deploy time, but it is rendered into the Postfix configuration, which is checked at synth: pass a literal value`);
    }
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${path}[${i}]`));
    else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
    }
  };
  for (const [key, value] of Object.entries(props)) if (!except.includes(key)) visit(value, key);
}

/** Throws every error of a check at once, one line each with the construct path; warnings become annotations. */
export function reportDiagnostics(scope: IConstruct, diagnostics: readonly Diagnostic[]): void {
  const errors = diagnostics.filter((d) => d.severity === Severity.ERROR);
  if (errors.length > 0) {
    throw new Error(errors.map((e) => `[${scope.node.path}] [${e.rule}] ${e.message}`).join('\n'));
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

/** The run-time type of a boolean or number prop. */
export type PropType = 'boolean' | 'number';

/**
 * Refuses boolean and number props of another run-time type, for callers without TypeScript's checks
 * (JavaScript, jsii languages): the string 'false' is truthy and would switch a feature on.
 */
export function typedProps(scope: IConstruct, props: object, types: Readonly<Record<string, PropType>>): void {
  for (const [name, type] of Object.entries(types)) {
    const value: unknown = (props as Record<string, unknown>)[name];
    if (value === undefined || (typeof value === type && !Number.isNaN(value))) continue;
    const shown = typeof value === 'string' ? quote(value) : String(value);
    throw constructError(scope, `${name} ${shown} is ${Number.isNaN(value) ? 'NaN' : `a ${value === null ? 'null' : typeof value}`}, not a ${type}: pass ${type === 'boolean' ? 'true or false' : 'a number'}, without quotes`);
  }
}
