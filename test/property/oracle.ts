/**
 * Independent readers of rendered Postfix files for the hostile-input properties. They follow how Postfix
 * itself reads main.cf, master.cf, lookup table sources and inline tables (Postfix 3.7: readllines(),
 * split_nameval(), mystrtokq() with `{}` grouping, extpar()), and they are strict: anything Postfix would
 * read differently from the plain line structure the library means to write is an error here.
 *
 * The text is first turned into the bytes that land on disk (UTF-8) and back, so a string that cannot be
 * written as it is (a lone UTF-16 surrogate becomes U+FFFD) is caught in-process.
 */

import { isIP } from 'node:net';

/** Seed of every property; print it, and override it with PROPERTY_SEED=... to explore. */
export const SEED: number = process.env.PROPERTY_SEED !== undefined ? Number(process.env.PROPERTY_SEED) : 20250605;

/** Scales the run counts (PROPERTY_RUNS_SCALE=0.1 for a quick pass, 5 for a soak). */
export function runs(n: number): number {
  const scale = process.env.PROPERTY_RUNS_SCALE !== undefined ? Number(process.env.PROPERTY_RUNS_SCALE) : 1;
  return Math.max(1, Math.round(n * scale));
}

/** The text Postfix reads after Node wrote `text` to a file as UTF-8. */
export function onDisk(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** Postfix trims with isspace() in the C locale. */
const POSTFIX_SPACE = ' \t\n\v\f\r';
export function postfixTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && POSTFIX_SPACE.includes(value[start])) start++;
  while (end > start && POSTFIX_SPACE.includes(value[end - 1])) end--;
  return value.slice(start, end);
}

const LINE_BREAKING_OR_TRUNCATING = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function at(what: string, line: number, text: string): string {
  return `${what} line ${line}: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text)}`;
}

/**
 * Reads main.cf the way Postfix does, refusing anything but `# comment`, blank lines and `name = value` /
 * `name =` lines (no continuation lines, no value Postfix would trim, no name twice).
 */
export function parseMainCf(text: string): Map<string, string> {
  if (onDisk(text) !== text) throw new Error('main.cf holds characters that UTF-8 cannot encode (lone surrogates)');
  if (!text.endsWith('\n')) throw new Error('main.cf does not end with a newline');
  const bad = LINE_BREAKING_OR_TRUNCATING.exec(text);
  if (bad) throw new Error(`main.cf holds control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  const out = new Map<string, string>();
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      if (line === '' || line.startsWith('#')) return;
      if (/^[ \t]/.test(line)) throw new Error(at('main.cf continuation', i + 1, line));
      if (/^[ \t]*#/.test(line)) throw new Error(at('main.cf indented comment', i + 1, line));
      const match = /^([^ =]+) =(?: (.*))?$/s.exec(line);
      if (!match || !NAME.test(match[1])) throw new Error(at('main.cf malformed', i + 1, line));
      const [, name, raw] = match;
      if (raw === '') throw new Error(at('main.cf "name = " with a trailing space', i + 1, line));
      const value = raw ?? '';
      if (postfixTrim(value) !== value) throw new Error(at('main.cf value that Postfix trims', i + 1, line));
      if (out.has(name)) throw new Error(at(`main.cf sets ${name} twice`, i + 1, line));
      out.set(name, value);
    });
  return out;
}

/** mystrtokq(): the next token up to a separator outside `{...}`; braces may appear anywhere in a token. */
export function tokenize(text: string, separators: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && separators.includes(text[i])) i++;
    if (i >= text.length) break;
    const start = i;
    let level = 0;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (ch === '{') level++;
      else if (level > 0 && ch === '}') level--;
      else if (level === 0 && separators.includes(ch)) break;
    }
    tokens.push(text.slice(start, i));
  }
  return tokens;
}

/** extpar() with EXTPAR_FLAG_STRIP: `{ text }` -> `text`; an unbalanced group is an error. */
function stripBraces(token: string, what: string): string {
  if (!token.endsWith('}')) throw new Error(`${what}: unbalanced '{' in ${JSON.stringify(token)}`);
  return postfixTrim(token.slice(1, -1));
}

export interface ParsedService {
  readonly name: string;
  readonly type: string;
  readonly private: string;
  readonly unprivileged: string;
  readonly chroot: string;
  readonly wakeup: string;
  readonly maxProcesses: string;
  readonly command: string;
  readonly overrides: readonly (readonly [string, string])[];
  readonly args: readonly string[];
}

/** Reads master.cf: logical lines (continuations start with whitespace, comment lines vanish), 8 columns, `-o`s. */
export function parseMasterCf(text: string): ParsedService[] {
  if (onDisk(text) !== text) throw new Error('master.cf holds characters that UTF-8 cannot encode (lone surrogates)');
  if (!text.endsWith('\n')) throw new Error('master.cf does not end with a newline');
  const bad = LINE_BREAKING_OR_TRUNCATING.exec(text);
  if (bad) throw new Error(`master.cf holds control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  const logical: string[] = [];
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      if (postfixTrim(line) === '' || postfixTrim(line).startsWith('#')) return;
      if (/^[ \t]/.test(line)) {
        if (logical.length === 0) throw new Error(at('master.cf continuation before any service', i + 1, line));
        logical[logical.length - 1] += ` ${line}`;
      } else {
        logical.push(line);
      }
    });
  return logical.map((line) => {
    const tokens = tokenize(line, ' \t\r\n');
    if (tokens.length < 8) throw new Error(`master.cf service line has ${tokens.length} fields: ${JSON.stringify(line)}`);
    const [name, type, priv, unpriv, chroot, wakeup, maxProcesses, command, ...rest] = tokens;
    const overrides: [string, string][] = [];
    const args: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '-o') {
        const next = rest[++i];
        if (next === undefined) throw new Error(`master.cf: -o without a value in ${JSON.stringify(line)}`);
        const braced = next.startsWith('{');
        const nameValue = braced ? stripBraces(next, 'master.cf -o') : next;
        const eq = nameValue.indexOf('=');
        if (eq < 0) throw new Error(`master.cf: -o ${JSON.stringify(next)} has no '='`);
        const [n, v] = [nameValue.slice(0, eq), nameValue.slice(eq + 1)];
        overrides.push(braced ? [postfixTrim(n), postfixTrim(v)] : [n, v]);
      } else {
        args.push(rest[i].startsWith('{') ? stripBraces(rest[i], 'master.cf argument') : rest[i]);
      }
    }
    return { name, type, private: priv, unprivileged: unpriv, chroot, wakeup, maxProcesses, command, overrides, args };
  });
}

/** Reads a lookup table source file as postmap/texthash do: `key value`, comments, continuation lines. */
export function parseTableSource(text: string): [string, string][] {
  if (onDisk(text) !== text) throw new Error('table holds characters that UTF-8 cannot encode (lone surrogates)');
  const bad = LINE_BREAKING_OR_TRUNCATING.exec(text);
  if (bad) throw new Error(`table holds control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (text !== '' && !text.endsWith('\n')) throw new Error('table does not end with a newline');
  const logical: string[] = [];
  for (const line of text.split('\n')) {
    if (postfixTrim(line) === '' || postfixTrim(line).startsWith('#')) continue;
    if (/^[ \t]/.test(line)) {
      if (logical.length === 0) throw new Error('table starts with a continuation line');
      logical[logical.length - 1] += ` ${postfixTrim(line)}`;
    } else logical.push(line);
  }
  return logical.map((line) => {
    const match = /^([^ \t]+)(?:[ \t]+(.*))?$/s.exec(line);
    if (!match) throw new Error(`table line ${JSON.stringify(line)}`);
    return [match[1], postfixTrim(match[2] ?? '')];
  });
}

/** Reads `inline:{ k=v, { k = v }, ... }` as dict_inline does; null when the value is not an inline table. */
export function parseInlineTable(value: string): [string, string][] | null {
  if (!value.startsWith('inline:')) return null;
  const body = value.slice('inline:'.length);
  if (!body.startsWith('{')) throw new Error(`inline table without braces: ${JSON.stringify(value)}`);
  const inner = stripBraces(body, 'inline table');
  return tokenize(inner, ', \t\r\n').map((token) => {
    const braced = token.startsWith('{');
    const nameValue = braced ? stripBraces(token, 'inline table entry') : token;
    const eq = nameValue.indexOf('=');
    if (eq < 0) throw new Error(`inline table entry ${JSON.stringify(token)} has no '='`);
    return [postfixTrim(nameValue.slice(0, eq)), postfixTrim(nameValue.slice(eq + 1))];
  });
}

/** `$name`, `${name}`, `$(name)` references Postfix expands in a main.cf value or a master.cf `-o` value. */
export function expansions(value: string): string[] {
  return value.match(/\$(?:[A-Za-z0-9_]+|\{[^}]*\}?|\([^)]*\)?)?/g) ?? [];
}

/** What a clear error looks like: an Error (not a TypeError-style crash), naming what is wrong, readable. */
export function clearErrorProblem(error: unknown, mentions: RegExp): string | undefined {
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error)}`;
  if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError) {
    return `crashed with ${error.name}: ${error.message}`;
  }
  const message = error.message;
  // The construct path prefix ("[stack/mx/Tls] ") is context, not the explanation.
  const body = message.replace(/^\[[^\]]*\] /, '');
  if (body.trim() === '') return 'empty error message';
  if (/\bundefined\b|Cannot read propert|is not a function|is not iterable|Maximum call stack/.test(message)) {
    return `error message looks like a crash: ${message.slice(0, 300)}`;
  }
  if (!mentions.test(body)) return `error message does not say what is wrong (expected ${mentions}): ${message.slice(0, 300)}`;
  if (message.length > 2000) return `error message is ${message.length} characters long (it copies the input instead of quoting it)`;
  if (onDisk(message) !== message) return 'error message holds lone surrogates copied from the input';
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u2029]/.exec(message);
  if (raw) return `error message holds raw control character U+${raw[0].charCodeAt(0).toString(16).padStart(4, '0')} copied from the input`;
  return undefined;
}

/** Whether a network is what Postfix's CIDR parser accepts without "skipping this rule". */
export function isCleanNetwork(network: string): boolean {
  const v6 = /^\[([^\]]+)\](?:\/(\d+))?$/.exec(network);
  const v4 = /^([0-9.]+)(?:\/(\d+))?$/.exec(network);
  const match = v6 ?? v4;
  if (!match) return false;
  const family = v6 ? 6 : 4;
  const [, address, prefixText] = match;
  if (address.includes('%') || isIP(address) !== family) return false;
  if (family === 4 && address.split('.').some((octet) => octet.length > 1 && octet.startsWith('0'))) return false;
  const bits = family === 4 ? 32 : 128;
  if (prefixText === undefined) return true;
  if (!/^(0|[1-9]\d*)$/.test(prefixText)) return false;
  const prefix = Number(prefixText);
  if (prefix > bits) return false;
  const value = family === 4 ? ipv4Bits(address) : ipv6Bits(address);
  const hostMask = prefix === bits ? 0n : (1n << BigInt(bits - prefix)) - 1n;
  return (value & hostMask) === 0n;
}

function ipv4Bits(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Bits(address: string): bigint {
  let text = address;
  const tail4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail4) {
    const v = ipv4Bits(tail4[1]);
    text = `${text.slice(0, -tail4[1].length)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
