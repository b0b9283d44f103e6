import { ConfigError } from './diagnostics';
import { PRIVATE_KEY_HEADER } from './pki/pem';

/**
 * Typed Postfix parameter values. Every string that reaches main.cf or master.cf passes through one of
 * these functions, so a value can never start a new parameter, a new master.cf line or an unintended
 * `$name` expansion.
 */

const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
// Postfix ignores trailing and leading blanks, and a line break in a value starts a new parameter.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/u;

/** A user value quoted for an error message: JSON, at most 80 characters, invisible and line-breaking characters escaped. */
export function quote(value: string): string {
  // Error messages show the bad value, but never key material that arrived through a wrong prop.
  if (PRIVATE_KEY_HEADER.test(value)) return '"[a value holding a private key, not shown]"';
  const short = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(short).replace(/[\u007f-\u009f\u2028\u2029]|\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const describe = quote;

/** Refuses a parameter name that is not a plain Postfix identifier. */
export function parameterName(name: string): string {
  if (!PARAMETER_NAME.test(name) || name.length > 100) {
    throw new ConfigError(
      `invalid Postfix parameter name ${describe(name)}: use letters, digits and '_' only, starting with a letter, at most 100 characters`,
    );
  }
  return name;
}

/**
 * The last line of defence for any rendered value: no control characters (CR, LF, NUL, ...), no leading or
 * trailing whitespace (Postfix strips it, so the value read back would differ).
 */
export function safeText(what: string, value: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new ConfigError(
      `${what} ${describe(value)} contains a control character (line break, NUL, tab...) that could inject ` +
        'a new Postfix parameter or master.cf line: remove it',
    );
  }
  if (/\p{Cs}/u.test(value)) {
    throw new ConfigError(`${what} ${describe(value)} contains an unpaired UTF-16 surrogate, which cannot be written as UTF-8: remove it`);
  }
  if (value !== value.trim()) {
    throw new ConfigError(`${what} ${describe(value)} has leading or trailing whitespace, which Postfix drops: trim it`);
  }
  return value;
}

/**
 * What Postfix's macro expansion and brace grouping accept: every `$` starts `$$`, `$name`, `${...}` or
 * `$(...)`, braces balance, and a value that opens with a `{...}` group continues after it only past a blank.
 * Postfix refuses anything else at start ("macro processing error", "missing '}'").
 */
export function postfixSyntax(what: string, value: string): string {
  const fail = (why: string): never => {
    throw new ConfigError(`${what} ${describe(value)} ${why}, which Postfix refuses at start: fix or remove it`);
  };
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '$') continue;
    const next = value[i + 1];
    if (next === '$') i++;
    else if (next === '{' || next === '(') {
      const close = value.indexOf(next === '{' ? '}' : ')', i + 2);
      if (close < 0 || close === i + 2) fail(`has an unterminated or empty ${next === '{' ? '${...}' : '$(...)'} reference`);
    } else if (next === undefined || !/[A-Za-z0-9_]/.test(next)) fail("has a '$' that starts no parameter reference");
  }
  let depth = 0;
  for (const c of value) {
    depth += c === '{' ? 1 : c === '}' ? -1 : 0;
    if (depth < 0) fail("closes a '}' it never opened");
  }
  if (depth !== 0) fail("opens a '{' it never closes");
  if (value.startsWith('{')) {
    let level = 0;
    for (let i = 0; i < value.length; i++) {
      level += value[i] === '{' ? 1 : value[i] === '}' ? -1 : 0;
      if (level === 0) {
        if (i + 1 < value.length && !/\s/.test(value[i + 1])) fail("continues right after its leading '{...}' group");
        break;
      }
    }
  }
  return value;
}

/** A literal string that must reach Postfix unchanged: no `$` expansion, no line structure. */
export function literal(what: string, value: string): string {
  safeText(what, value);
  if (value.includes('$')) {
    throw new ConfigError(
      `${what} ${describe(value)} contains '$', which Postfix expands as a parameter reference: remove it ` +
        '(references are only rendered where the library means them)',
    );
  }
  if (value.startsWith('#')) {
    throw new ConfigError(`${what} ${describe(value)} starts with '#', which Postfix reads as a comment: remove it`);
  }
  if (/[{}]/.test(value)) {
    throw new ConfigError(
      `${what} ${describe(value)} contains '{' or '}', which Postfix reads as grouping in lists and master.cf: remove it`,
    );
  }
  return value;
}

/** One item of a Postfix list: no separators (comma, whitespace) inside. */
export function word(what: string, value: string): string {
  literal(what, value);
  if (value === '' || /[\s,]/.test(value)) {
    throw new ConfigError(
      `${what} ${describe(value)} must be one non-empty word without spaces or commas (Postfix splits lists on them)`,
    );
  }
  return value;
}

/** An absolute file or directory path, as Postfix reads it: one word, starting with '/'. */
export function absolutePath(what: string, value: string): string {
  word(what, value);
  if (!value.startsWith('/') || value.includes('/../') || value.endsWith('/..')) {
    throw new ConfigError(`${what} ${describe(value)} must be an absolute path without '..' (e.g. /etc/postfix/tls/ca.pem)`);
  }
  return value;
}

const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A fully qualified host or domain name (RFC 1123), as used in myhostname and mydestination. */
export function hostname(what: string, value: string): string {
  safeText(what, value);
  const labels = value.split('.');
  const numericTopLabel = /^[0-9]+$/.test(labels[labels.length - 1]);
  if (value.length > 253 || labels.length < 2 || numericTopLabel || !labels.every((label) => HOSTNAME_LABEL.test(label))) {
    throw new ConfigError(
      `${what} ${describe(value)} is not a fully qualified host name: use letters, digits and '-' in dot-separated labels, e.g. mx.example.com`,
    );
  }
  return value.toLowerCase();
}

const LOCAL_PART = /^[A-Za-z0-9._%+-]{1,64}$/;

/** An email address `local@domain`; the local part is limited to characters no Postfix table syntax reads specially. */
export function mailAddress(what: string, value: string): string {
  safeText(what, value);
  const at = value.lastIndexOf('@');
  if (at < 1 || !LOCAL_PART.test(value.slice(0, at))) {
    throw new ConfigError(`${what} ${describe(value)} is not an address local@domain: use letters, digits and . _ % + - before the @`);
  }
  return `${value.slice(0, at)}@${hostname(what, value.slice(at + 1))}`;
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** A comma-separated Postfix list; items are checked as words. */
export function commaList(what: string, items: readonly string[]): string {
  return items.map((item) => word(what, item)).join(', ');
}

/** A whole number within bounds. */
export function integer(what: string, value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${what} ${value} must be a whole number from ${min} to ${max}`);
  }
  return String(value);
}

/** A Postfix time value in seconds, rendered with the largest exact unit (`3600s` is rendered `1h`). */
export function duration(what: string, seconds: number): string {
  integer(what, seconds, 0, Number.MAX_SAFE_INTEGER);
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** An explicit `$name` reference, the only way a `$` reaches a rendered file. */
export function reference(name: string): string {
  return `$${parameterName(name)}`;
}
