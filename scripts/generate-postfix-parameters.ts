/**
 * Generates lib/postfix-parameters.ts from the installed Postfix: the parameter names (`postconf -d` with the
 * library's master.cf, so per-transport parameters of its services are included), the type of each value
 * (from its postconf(5) section and its default) and the names of SMTP access restrictions.
 *
 *   npx ts-node --swc --transpile-only scripts/generate-postfix-parameters.ts [OUTPUT]
 *
 * Types: boolean (default yes/no), time (the section speaks of a time unit), size (an integer default and a
 * section about bytes, or a name with "size"), integer (an integer default), enum (the section lists "one of the following" single
 * words), keywords (a list of the section's keywords, "The list of ..." with a default of several of them),
 * restrictions (`*_restrictions` lists), text (everything else, not checked).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { renderMasterCf } from '../lib/master-cf';
import { internalServices } from '../lib/postfix-services';

/** Where to write: the checked-in table, or the path given (the tests compare a fresh run with it). */
const OUT = resolve(process.argv[2] ?? resolve(__dirname, '..', 'lib', 'postfix-parameters.ts'));
const MAN = '/usr/share/man/man5/postconf.5.gz';

function postconfDefaults(): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'postconf-gen-'));
  try {
    writeFileSync(join(dir, 'main.cf'), '');
    writeFileSync(join(dir, 'master.cf'), renderMasterCf('# generator', internalServices(false)));
    const out = execFileSync('postconf', ['-c', dir, '-d'], { encoding: 'utf8' });
    // `name = value`, or `name =` for an empty default.
    return new Map(out.split('\n').filter(Boolean).map((line) => {
      const [, name, value] = /^(\S+) =(?: (.*))?$/.exec(line) ?? [];
      return [name, value ?? ''] as [string, string];
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** postconf(5) sections by parameter name (the `.SH name (default: ...)` headings, troff source). */
function manSections(): Map<string, string> {
  const text = gunzipSync(readFileSync(MAN)).toString('utf8');
  const sections = new Map<string, string>();
  for (const part of text.split(/^\.SH /m).slice(1)) {
    const name = /^(\S+) \(default/.exec(part)?.[1];
    if (name) sections.set(name, part);
  }
  return sections;
}

/**
 * `.IP "\fBname \fIargument\fR"` entries: the word, whether an argument follows it, and the older name
 * Postfix still accepts (`.IP "\fBreject_unknown_client_hostname\fR (with Postfix < 2.3: reject_unknown_client)"`).
 */
function ipEntries(section: string): { word: string; argument: boolean; alias?: string }[] {
  return [...section.matchAll(/^\.IP "\\fB([a-z0-9_]+)(?:\\fR)?( ?\\fI)?[^"]*?(?:\(with Postfix[^:]*: ([a-z0-9_]+)\))?"$/gm)].map((m) => ({
    word: m[1],
    argument: m[2] !== undefined,
    alias: m[3],
  }));
}

const defaults = postconfDefaults();
const sections = manSections();
const version = defaults.get('mail_version');

function typeOf(name: string, seen = new Set<string>()): string {
  const value = defaults.get(name) ?? '';
  const section = sections.get(name);
  if (section === undefined) {
    // A per-transport parameter (smtp_destination_concurrency_limit) has the type of its default_ form.
    const generic = [...sections.keys()].find((n) => n.startsWith('default_') && name.endsWith(n.slice('default'.length)));
    if (generic && !seen.has(name)) return typeOf(generic, seen.add(name));
  }
  return typeFrom(name, value, section ?? '', seen);
}

function typeFrom(name: string, value: string, section: string, seen: Set<string>): string {
  // A plain default, or one that depends on compatibility_level or stress (`${stress?{10}:{300}}s`).
  if (/^(yes|no)$/.test(value) || /\? ?\{(yes|no)\} ?: ?\{(yes|no)\}\}$/.test(value)) return 'boolean';
  if (name.endsWith('_restrictions')) return 'restrictions';
  // A port may be a service name; a feedback may be a fraction (1/8, 1/concurrency).
  if (name.endsWith('_port') || /fraction|floating|Feedback values/i.test(section)) return 'text';
  if (/^\d+[smhdw]$/.test(value)) return 'time';
  if (/time unit/i.test(section) && /^(\d+[smhdw]?|\$\{stress\?\{\d+\}:\{\d+\}\}[smhdw]|\$\w+|\$\{\w+\}|)$/.test(value)) return 'time';
  if (/^\d+$/.test(value) || /^\$\{stress\?\{\d+\}:\{\d+\}\}$/.test(value)) return /\bbytes\b/i.test(section) || /size/.test(name) ? 'size' : 'integer';
  const alias = /^\$(\w+)$|^\$\{(\w+)\}$/.exec(value);
  if (alias && !seen.has(name)) return typeOf(alias[1] ?? alias[2], seen.add(name));
  if (/one of the following/i.test(section)) {
    const words = ipEntries(section).filter((e) => !e.argument).map((e) => e.word);
    if (words.length > 1 && (value === '' || words.includes(value))) return `enum:${[...new Set(words)].join('|')}`;
  }
  // A list of keywords (notify_classes = resource, software): "The list of ..." with one .IP entry per keyword
  // and a default made of several of them. Postfix parses these with name_mask(3), which is fatal on an unknown
  // word when the daemon starts ("fatal: unknown notify_classes value").
  const keywords = ipEntries(section).filter((e) => !e.argument).map((e) => e.word);
  const defaultWords = value.split(/[\s,]+/).filter(Boolean);
  if (/^The list of\b/m.test(section) && keywords.length > 1 && defaultWords.length > 1 && defaultWords.every((w) => keywords.includes(w))) {
    return `keywords:${[...new Set(keywords)].join('|')}`;
  }
  return 'text';
}

/**
 * Where the man page does not say enough: compatibility_level takes a level such as 3.6, not an integer;
 * smtp_host_lookup takes a list (dns, native), not one word.
 */
const OVERRIDES: Readonly<Record<string, string>> = { compatibility_level: 'text', smtp_host_lookup: 'text' };

const names = [...defaults.keys()].sort();
const restrictions = new Map<string, boolean>();
for (const [name, section] of sections) {
  if (!name.endsWith('_restrictions')) continue;
  for (const entry of ipEntries(section)) {
    for (const word of [entry.word, entry.alias]) if (word) restrictions.set(word, entry.argument || restrictions.get(word) === true);
  }
}

const lines = [
  '/**',
  ` * Parameters of Postfix ${version} and the type of their values, and the SMTP access restriction names.`,
  ' * Generated by scripts/generate-postfix-parameters.ts from postconf(5) and `postconf -d`: do not edit.',
  ' * Types: boolean, integer, size (bytes), time (an integer with an optional s/m/h/d/w unit), enum:a|b|...,',
  ' * keywords:a|b|... (a list of those words), restrictions (an SMTP access restriction list), text (not checked).',
  ' */',
  '',
  `export const POSTFIX_VERSION = ${JSON.stringify(version)};`,
  '',
  '/** Parameter name -> type of its value. */',
  'export const PARAMETER_TYPES: Readonly<Record<string, string>> = {',
  ...names.map((name) => `  ${JSON.stringify(name)}: ${JSON.stringify(OVERRIDES[name] ?? typeOf(name))},`),
  '};',
  '',
  '/** Restriction name -> whether it takes an argument (a table, a domain, a service). */',
  'export const RESTRICTIONS: Readonly<Record<string, boolean>> = {',
  ...[...restrictions.keys()].sort().map((word) => `  ${JSON.stringify(word)}: ${restrictions.get(word)},`),
  '};',
  '',
  `/** Default of maillog_file_prefixes: maillog_file must start with one of these. */`,
  `export const MAILLOG_FILE_PREFIXES: readonly string[] = ${JSON.stringify((defaults.get('maillog_file_prefixes') ?? '').split(/[\s,]+/).filter(Boolean))};`,
  '',
  '/** Parameter names of this Postfix (postconf -d with the library\'s master.cf). */',
  'export const POSTFIX_PARAMETERS: ReadonlySet<string> = new Set(Object.keys(PARAMETER_TYPES));',
  '',
];
writeFileSync(OUT, lines.join('\n'));
console.log(`${OUT}: ${names.length} parameters, ${restrictions.size} restrictions (Postfix ${version})`);
