import { ConfigError } from './diagnostics';
import { literal, quote, safeText, word } from './values';

/** Lookup table types this library renders. `texthash` and `inline` need no postmap. */
export type TableType = 'texthash' | 'hash' | 'lmdb' | 'btree' | 'inline';

export const TABLE_TYPES: readonly TableType[] = ['texthash', 'hash', 'lmdb', 'btree', 'inline'];

/** Directory inside the container where file-based tables are uploaded. */
export const TABLE_DIRECTORY = '/etc/postfix/tables';

/** One `key value` entry of a lookup table. */
export interface TableEntry {
  readonly key: string;
  readonly value: string;
}

/** A lookup table: its reference in main.cf and, for file-based types, the source file it needs. */
export interface LookupTable {
  /** e.g. `hash:/etc/postfix/tables/relay_clientcerts` or `inline:{ k=v }`. */
  readonly reference: string;
  /** Source file (path inside the container and content); absent for `inline:`. */
  readonly file?: { readonly path: string; readonly content: string };
  /** Whether `postmap` must build a database from the source file before Postfix reads it. */
  readonly needsPostmap: boolean;
}

function checkEntry(table: string, entry: TableEntry, inline: boolean): void {
  word(`key of table ${table}`, entry.key);
  safeText(`value of ${entry.key} in table ${table}`, entry.value);
  if (entry.value === '') throw new ConfigError(`value of ${entry.key} in table ${table} is empty: give a value`);
  if (inline && /[\s,{}=]/.test(entry.value)) {
    throw new ConfigError(
      `value ${quote(entry.value)} of ${entry.key} in inline table ${table} must be one word without ',', '=', braces or spaces: use a file-based table`,
    );
  }
  if (inline) literal(`value of ${entry.key} in inline table ${table}`, entry.value);
  if (inline && entry.key.includes('=')) {
    throw new ConfigError(`key ${quote(entry.key)} of inline table ${table} must not contain '='`);
  }
}

/** Builds a lookup table; entries keep their order, a key may appear once. */
export function lookupTable(name: string, type: TableType, entries: readonly TableEntry[]): LookupTable {
  word('table name', name);
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new ConfigError(`table name ${quote(name)} must use letters, digits, '.', '_' or '-' only, at most 100 characters`);
  }
  if (!TABLE_TYPES.includes(type)) {
    throw new ConfigError(`table ${name} has unsupported type ${quote(type)}: use one of ${TABLE_TYPES.join(', ')}`);
  }
  const keys = new Set<string>();
  for (const entry of entries) {
    checkEntry(name, entry, type === 'inline');
    if (entry.key.endsWith(':')) throw new ConfigError(`key ${quote(entry.key)} of table ${name} ends with ':', which postmap reads as an alias file line`);
    const folded = entry.key.toUpperCase().toLowerCase();
    if (keys.has(folded)) throw new ConfigError(`table ${name} lists key ${entry.key} twice (lookups fold case)`);
    keys.add(folded);
  }
  if (type === 'inline') {
    if (entries.length === 0) throw new ConfigError(`inline table ${name} has no entries: add one or use a file-based table`);
    return { reference: `inline:{ ${entries.map((e) => `${e.key}=${e.value}`).join(', ')} }`, needsPostmap: false };
  }
  const path = `${TABLE_DIRECTORY}/${name}`;
  const content = entries.map((e) => `${e.key} ${e.value}\n`).join('');
  return { reference: `${type}:${path}`, file: { path, content }, needsPostmap: type !== 'texthash' };
}
