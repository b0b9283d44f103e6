import { ConfigError } from './diagnostics';
import type { TableEntry } from './lookup-table';
import { hostname, mailAddress, quote, word } from './values';

/** Characters of a SASL login the owner lists of smtpd_sender_login_maps can hold (no list separators). */
const LOGIN = /^[A-Za-z0-9._%+@-]{1,255}$/;

/** A SASL login as smtpd compares it with the owners of a sender address (case-insensitively). */
export function saslLogin(what: string, value: string): string {
  word(what, value);
  if (!LOGIN.test(value)) {
    throw new ConfigError(`${what} ${quote(value)} must be a login of letters, digits and . _ % + - @, at most 255 characters`);
  }
  return value;
}

/** `local@domain` or `@domain`, lower-cased as Postfix folds table keys. */
function senderKey(what: string, value: unknown): string {
  if (typeof value !== 'string') throw new ConfigError(`${what} ${String(value)} is not a string: give an address or @domain`);
  if (value.startsWith('@')) return `@${hostname(what, value.slice(1))}`;
  return mailAddress(what, value).toLowerCase();
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `smtpd_sender_login_maps` entries from `login -> sender addresses`: each address (or `@domain`) with the
 * comma-separated logins that own it. Postfix looks up `user@domain`, then `@domain` (postconf(5)); the
 * library never renders bare `user` keys, which would also match that user at every local domain.
 */
export function senderLoginEntries(prop: string, bindings: Readonly<Record<string, readonly string[]>>): TableEntry[] {
  if (bindings === null || typeof bindings !== 'object' || Array.isArray(bindings)) {
    throw new ConfigError(`${prop} must map each SASL login to its sender addresses, e.g. { alice: ['alice@example.com'] }`);
  }
  const logins = Object.keys(bindings);
  if (logins.length === 0) {
    throw new ConfigError(`${prop} is empty, so every authenticated sender would be refused: list each login with its addresses, or leave ${prop} unset`);
  }
  const owners = new Map<string, string[]>();
  const folded = new Map<string, string>();
  for (const login of logins) {
    saslLogin(`${prop} login`, login);
    const other = folded.get(login.toLowerCase());
    if (other !== undefined) throw new ConfigError(`${prop} lists the logins ${quote(other)} and ${quote(login)}, which smtpd compares without case: merge them`);
    folded.set(login.toLowerCase(), login);
    const addresses: unknown = bindings[login];
    if (!Array.isArray(addresses) || addresses.length === 0) {
      throw new ConfigError(`${prop} login ${quote(login)} has no sender address: give at least one (an address or @domain), or remove the login`);
    }
    const own = new Set<string>();
    for (const address of addresses) {
      const key = senderKey(`${prop} address of ${login}`, address);
      if (own.has(key)) throw new ConfigError(`${prop} login ${quote(login)} lists ${quote(key)} twice (addresses fold case): remove one`);
      own.add(key);
      owners.set(key, [...(owners.get(key) ?? []), login]);
    }
  }
  return [...owners.keys()].sort(byCodeUnit).map((key) => ({ key, value: owners.get(key)!.join(',') }));
}
