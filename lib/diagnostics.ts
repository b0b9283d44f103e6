/** Severity of a problem found while validating a configuration. */
export enum Severity {
  /** Postfix would reject, silently ignore, or run unsafely with this setting: synth must stop. */
  ERROR = 'error',
  /** Legal but discouraged, obsolete or surprising: synth goes on with a warning annotation. */
  WARNING = 'warning',
}

/** One finding of a validator: what is wrong, with the bad value and how to fix it in the message. */
export interface Diagnostic {
  /** Whether synth stops (error) or goes on with an annotation (warning). */
  readonly severity: Severity;
  /** Short stable identifier of the rule, e.g. `req-ccert-needs-encrypt`. */
  readonly rule: string;
  /** What is wrong, the bad value, and the fix. */
  readonly message: string;
}

export function error(rule: string, message: string): Diagnostic {
  return { severity: Severity.ERROR, rule, message };
}

export function warning(rule: string, message: string): Diagnostic {
  return { severity: Severity.WARNING, rule, message };
}

/** Thrown by pure-core code for input that can never render; constructs prefix the construct path. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
