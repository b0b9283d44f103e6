import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { ConfigError } from '../lib/diagnostics';

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
