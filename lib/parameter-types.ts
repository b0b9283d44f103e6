import { DEFAULT_POSTFIX_VERSION, POSTFIX_RELEASES, PostfixVersion } from './postfix-versions';
import { quote } from './values';

/**
 * Checks a main.cf value against the type of its parameter in the generated table (postconf(5) of the target
 * Postfix). Postfix itself only finds a bad value when a daemon reads it: `smtpd_helo_required = maybe` passes
 * `postfix check`, then every smtpd dies with "bad boolean configuration".
 */

const INT_MAX = 2 ** 31 - 1;
const LONG_MAX = 2n ** 63n - 1n;

/** What a value of each type looks like, for the message. */
const EXPECTED: Readonly<Record<string, string>> = {
  boolean: 'a boolean: yes or no',
  integer: `an integer (-${INT_MAX} to ${INT_MAX})`,
  size: 'a size in bytes: a non-negative integer without a unit (e.g. 10240000)',
  time: 'a time: an integer with an optional unit s, m, h, d or w (e.g. 300s)',
};

/** Words of a list value; a `{ ... }` group stays one word with what precedes it (`inline:{ a=b, c=d }`). */
export function listWords(value: string): string[] {
  return value.match(/[^\s,{}]*\{[^}]*\}|[^\s,{}]+/g) ?? [];
}

/**
 * Why `value` is not a valid value of parameter `name`, or undefined (also for unknown names, `text`
 * parameters and values with `$` expansion, which are only known when Postfix runs). `classes` are the
 * names declared in smtpd_restriction_classes, which restriction lists may use.
 */
export function parameterValueProblem(name: string, value: string, classes: ReadonlySet<string> = new Set(), version: PostfixVersion = DEFAULT_POSTFIX_VERSION): string | undefined {
  const type = POSTFIX_RELEASES[version].parameterTypes[name];
  if (type === undefined || type === 'text' || value.includes('$')) return undefined;
  switch (type) {
    case 'boolean':
      return /^(yes|no)$/i.test(value) ? undefined : EXPECTED.boolean;
    case 'integer':
      return /^-?\d{1,10}$/.test(value) && Math.abs(Number(value)) <= INT_MAX ? undefined : EXPECTED.integer;
    case 'size':
      return /^\d{1,19}$/.test(value) && BigInt(value) <= LONG_MAX ? undefined : EXPECTED.size;
    case 'time':
      return /^\d{1,9}[smhdw]?$/.test(value) ? undefined : EXPECTED.time;
    case 'restrictions':
      return restrictionProblem(value, classes, POSTFIX_RELEASES[version].restrictions);
    default: {
      if (type.startsWith('keywords:')) {
        // name_mask(3): exact, case-sensitive words; an unknown one is fatal when a daemon reads the parameter.
        const members = type.slice('keywords:'.length).split('|');
        const unknown = value.split(/[\s,]+/).filter((w) => w !== '' && !members.includes(w));
        return unknown.length === 0 ? undefined : `a list of ${members.join(', ')} (zero or more), but ${quote(unknown[0])} is not one of them`;
      }
      const members = type.slice('enum:'.length).split('|');
      return value === '' || members.includes(value.toLowerCase()) ? undefined : `one of ${members.join(', ')}`;
    }
  }
}

function restrictionProblem(value: string, classes: ReadonlySet<string>, restrictions: Readonly<Record<string, boolean>>): string | undefined {
  const words = listWords(value);
  for (let i = 0; i < words.length; i++) {
    const takesArgument = restrictions[words[i]];
    if (takesArgument === undefined && !classes.has(words[i])) {
      return `a list of SMTP access restrictions (postconf(5)), but ${quote(words[i])} is neither a restriction nor a class in smtpd_restriction_classes`;
    }
    if (takesArgument) {
      if (i + 1 >= words.length) return `a list of SMTP access restrictions, but ${words[i]} lacks its argument (a table, domain or service)`;
      i++;
    }
  }
  return undefined;
}
