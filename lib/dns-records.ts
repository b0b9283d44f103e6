import { ConfigError } from './diagnostics';
import { quote } from './values';

/** Record types the library publishes for a mail domain. */
export type DnsRecordType = 'TLSA' | 'TXT' | 'CAA';

/** One resource record: absolute owner name (trailing dot), type and RDATA in zone-file presentation form. */
export interface DnsRecord {
  readonly name: string;
  readonly type: DnsRecordType;
  readonly value: string;
}

/** Longest character-string of a TXT record (RFC 1035 section 3.3: one length octet). */
const CHARACTER_STRING_MAX = 255;

/**
 * TXT RDATA in presentation form: quoted character-strings of at most 255 bytes each (a longer text is split,
 * and resolvers join the strings). Only printable ASCII: the records here are protocol text, never prose.
 */
export function txtData(what: string, text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new ConfigError(`${what} ${quote(text)} holds characters other than printable ASCII`);
  const strings: string[] = [];
  for (let i = 0; i === 0 || i < text.length; i += CHARACTER_STRING_MAX) strings.push(text.slice(i, i + CHARACTER_STRING_MAX));
  return strings.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(' ');
}

/**
 * The text of `txtData` RDATA as one string, still escaped: the form the dns provider's `txt` takes. It quotes
 * the value and its parser (miekg/dns) splits it into 255-byte character-strings again, as `txtData` did.
 */
export function txtText(value: string): string {
  return [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join('');
}

/** `name` relative to `zone` (both absolute, lower case), or undefined when it is not below the zone. */
export function nameInZone(name: string, zone: string): string | undefined {
  return name.endsWith(`.${zone}`) ? name.slice(0, -zone.length - 1) : undefined;
}

/** The absolute owner name of `labels` under `domain` ('_25._tcp' + 'mx.example.com' -> '_25._tcp.mx.example.com.'). */
export function ownerName(domain: string, ...labels: string[]): string {
  return `${[...labels, domain.toLowerCase()].join('.')}.`;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Records sorted by name, type and value, without duplicates: the same records always in the same order. */
export function sortedRecords(records: readonly DnsRecord[]): DnsRecord[] {
  const seen = new Set<string>();
  return [...records]
    .sort((a, b) => compare(a.name, b.name) || compare(a.type, b.type) || compare(a.value, b.value))
    .filter((r) => {
      const key = `${r.name} ${r.type} ${r.value}`;
      return !seen.has(key) && seen.add(key);
    });
}

/** Zone-file text, one record per line (`NAME TTL IN TYPE RDATA`), in `sortedRecords` order. */
export function renderZoneFile(records: readonly DnsRecord[], ttlSeconds: number): string {
  return sortedRecords(records).map((r) => `${r.name} ${ttlSeconds} IN ${r.type} ${r.value}\n`).join('');
}
