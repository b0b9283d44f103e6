import { isIP } from 'node:net';

/** IP networks and listen addresses as Postfix reads them (mynetworks entries, master.cf service addresses). */

/** The address as a number of 32 (IPv4) or 128 (IPv6) bits; any IPv6 spelling gives the same number. */
export function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
  let text = address;
  const tail4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail4) {
    const v = addressBits(tail4[1], 4);
    text = `${text.slice(0, -tail4[1].length)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** A mynetworks entry: `192.0.2.0/24` or `[2001:db8::]/32`; no prefix means one host. */
export interface Network {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefix: number;
}

/** The network, or why Postfix's CIDR parser would reject or skip the entry. */
export function parseNetwork(network: string): Network | string {
  const match = /^\[([^\]]+)\](?:\/(\d+))?$/.exec(network) ?? /^([^/[\]]+)(?:\/(\d+))?$/.exec(network);
  if (!match) return 'is not an address or CIDR block';
  const [, address, prefixText] = match;
  const family = network.startsWith('[') ? 6 : 4;
  if (isIP(address) !== family || address.includes('%')) return `is not an IPv${family} ${family === 6 ? 'address in brackets' : 'address'}`;
  const width = family === 4 ? 32 : 128;
  if (prefixText !== undefined && (!/^(0|[1-9]\d*)$/.test(prefixText) || Number(prefixText) > width)) return `has a prefix length outside 0-${width}`;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  const bits = addressBits(address, family);
  const hostMask = prefix === width ? 0n : (1n << BigInt(width - prefix)) - 1n;
  if ((bits & hostMask) !== 0n) return 'has host bits set below its prefix length, so Postfix skips it';
  return { family, bits, prefix };
}

/** Shortest prefix a trusted network may have: anything wider trusts a large part of the Internet. */
export const MIN_TRUSTED_PREFIX: Readonly<Record<4 | 6, number>> = { 4: 8, 6: 16 };

/**
 * Ranges not routed on the Internet: private, loopback, link-local and shared (RFC 1918, 6598, 3927, 4193,
 * 4291) and documentation (RFC 5737, 3849).
 */
const PRIVATE_RANGES: readonly string[] = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16',
  '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24',
  '[fc00::]/7', '[fe80::]/10', '[::1]/128', '[2001:db8::]/32',
];

function contains(outer: Network, inner: Network): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const width = outer.family === 4 ? 32 : 128;
  return inner.bits >> BigInt(width - outer.prefix) === outer.bits >> BigInt(width - outer.prefix);
}

/** Whether every address of the network is private (not reachable from the Internet). */
export function isPrivateNetwork(network: Network): boolean {
  return PRIVATE_RANGES.some((range) => contains(parseNetwork(range) as Network, network));
}

/**
 * The socket a master.cf service binds, in a form where two spellings of one address are equal: `*` for
 * all addresses of both families, `0.0.0.0` and `::` for all of one family, otherwise the canonical address
 * (IPv6 as its 128-bit number) or the lower-cased host name.
 */
function bindAddress(address: string | undefined): { family?: 4 | 6; any: boolean; key: string } {
  if (address === undefined || address === '*') return { any: true, key: '*' };
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  if (family === 4) return { family, any: bare === '0.0.0.0', key: `4:${addressBits(bare, 4)}` };
  if (family === 6) {
    const bits = addressBits(bare, 6);
    return { family, any: bits === 0n, key: `6:${bits}` };
  }
  return { any: false, key: `name:${address.toLowerCase()}` };
}

/** Whether two listeners on the same port would fail to bind together (EADDRINUSE). */
export function listenersOverlap(a: string | undefined, b: string | undefined): boolean {
  const claims = new SocketClaims<true>();
  claims.claim(0, a, true);
  return claims.claim(0, b, true) !== undefined;
}

type Claim<T> = { readonly owner: T; readonly order: number };
interface PortClaims<T> {
  first?: Claim<T>;
  everything?: Claim<T>;
  readonly firstOfFamily: { 4?: Claim<T>; 6?: Claim<T> };
  readonly anyOfFamily: { 4?: Claim<T>; 6?: Claim<T> };
  readonly byKey: Map<string, Claim<T>>;
}

/**
 * Sockets claimed in order, each checked against the earlier ones in constant time (a stack of a thousand
 * servers would otherwise compare every pair): `*` overlaps everything on its port, `0.0.0.0`/`::` every
 * address of their family, any other address its own spellings.
 */
export class SocketClaims<T> {
  private readonly ports = new Map<number, PortClaims<T>>();
  private count = 0;

  /** Claims the socket for `owner`; returns the owner of the earliest claim it overlaps, if any. */
  claim(port: number, address: string | undefined, owner: T): T | undefined {
    let claims = this.ports.get(port);
    if (!claims) this.ports.set(port, (claims = { firstOfFamily: {}, anyOfFamily: {}, byKey: new Map() }));
    const bind = bindAddress(address);
    const family = bind.family;
    const candidates = [
      claims.everything,
      bind.key === '*' ? claims.first : undefined,
      claims.byKey.get(bind.key),
      family !== undefined && bind.any ? claims.firstOfFamily[family] : undefined,
      family !== undefined ? claims.anyOfFamily[family] : undefined,
    ].filter((c): c is Claim<T> => c !== undefined);
    const mine = { owner, order: this.count++ };
    claims.first ??= mine;
    if (bind.key === '*') claims.everything ??= mine;
    if (!claims.byKey.has(bind.key)) claims.byKey.set(bind.key, mine);
    if (family !== undefined) {
      claims.firstOfFamily[family] ??= mine;
      if (bind.any) claims.anyOfFamily[family] ??= mine;
    }
    if (candidates.length === 0) return undefined;
    return candidates.reduce((a, b) => (b.order < a.order ? b : a)).owner;
  }
}
