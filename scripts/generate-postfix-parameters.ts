/**
 * Generates lib/postfix-parameters-<major>.<minor>.ts from one Postfix: the parameter names (`postconf -d` with
 * the library's master.cf, so per-transport parameters of its services are included), the type of each value
 * (from its postconf(5) section and its default), the names of SMTP access restrictions, and the parameters that
 * postconf warns about as deprecated ("support for parameter X will be removed", Postfix 3.9+).
 *
 *   npx ts-node --swc --transpile-only scripts/generate-postfix-parameters.ts [OUTPUT]
 *       the host's Postfix (/usr/sbin/postconf, /usr/share/man/man5/postconf.5.gz): Debian 12, 3.7
 *   npx ts-node --swc --transpile-only scripts/generate-postfix-parameters.ts --image postfix-tls-cdktf:trixie [OUTPUT]
 *       the Postfix of an image (postconf and postconf(5) inside `docker run --network host --rm`): Debian 13, 3.10
 *
 * OUTPUT defaults to lib/postfix-parameters-<major>.<minor>.ts of the version found.
 *
 * Types: boolean (default yes/no), time (the section speaks of a time unit), size (an integer default and a
 * section about bytes, or a name with "size"), integer (an integer default), enum (the section lists "one of the following" single
 * words), keywords (a list of the section's keywords, "The list of ..." with a default of several of them),
 * restrictions (`*_restrictions` lists), text (everything else, not checked).
 *
 * Deprecations are measured, not listed by hand: postconf -n reads a main.cf that sets every parameter to its
 * default, and each "support for parameter ... will be removed; instead, ..." warning it prints is recorded
 * (its table is pcf_depr_param_info in src/postconf/postconf_unused.c, new in 3.9; 3.7 prints none).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { renderMasterCf } from '../lib/master-cf';
import { internalServices } from '../lib/postfix-services';

const args = process.argv.slice(2);
const imageFlag = args.indexOf('--image');
/** The image whose Postfix is read, or undefined for the host's. */
const IMAGE = imageFlag >= 0 ? args.splice(imageFlag, 2)[1] : undefined;
if (imageFlag >= 0 && !IMAGE) throw new Error('--image needs an image name (e.g. postfix-tls-cdktf:trixie)');
const MAN = '/usr/share/man/man5/postconf.5.gz';

/** What the generator reads from one Postfix. */
interface PostfixFacts {
  /** `postconf -d` with the library's master.cf. */
  readonly defaults: string;
  /** postconf(5), troff source. */
  readonly man: string;
  /** stderr of `postconf -n` over a main.cf that sets every parameter to its default. */
  readonly probeWarnings: string;
}

/** `mainCf` and the library's master.cf in DIR, both back-dated (Postfix re-reads files younger than its start). */
function writeConfig(dir: string, mainCf: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.cf'), mainCf);
  writeFileSync(join(dir, 'master.cf'), renderMasterCf('# generator', internalServices(false)));
  const past = new Date(Date.now() - 3600 * 1000);
  for (const name of ['main.cf', 'master.cf']) utimesSync(join(dir, name), past, past);
}

/** A main.cf that sets every parameter of `postconf -d` output to its default. */
function everyParameterMainCf(defaults: string): string {
  return defaults.split('\n').filter((line) => line !== '' && !/^config_directory =/.test(line)).join('\n') + '\n';
}

/** stderr of a command that must succeed. */
function stderrOf(file: string, argv: string[]): string {
  const result = spawnSync(file, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LANG: 'C', LC_ALL: 'C' } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${file} ${argv.join(' ')} failed (status ${result.status}): ${result.stderr}`);
  return result.stderr;
}

function hostFacts(scratch: string): PostfixFacts {
  const dir = join(scratch, 'etc');
  writeConfig(dir, '');
  const defaults = execFileSync('postconf', ['-c', dir, '-d'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  writeConfig(dir, everyParameterMainCf(defaults));
  const probeWarnings = stderrOf('postconf', ['-c', dir, '-n']);
  return { defaults, man: gunzipSync(readFileSync(MAN)).toString('utf8'), probeWarnings };
}

/**
 * The same facts from inside IMAGE (host network, removed afterwards): scratch is mounted at /probe, postconf runs
 * with `-c /probe/etc` as the caller's user, so the files it writes can be removed.
 */
function imageFacts(image: string, scratch: string): PostfixFacts {
  const dir = join(scratch, 'etc');
  const user = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
  const docker = (script: string): string => stderrOf('docker', ['run', '--rm', '--network', 'host', '--user', user, '-v', `${scratch}:/probe`, '--entrypoint', '/bin/sh', image, '-c', script]);
  writeConfig(dir, '');
  docker('postconf -c /probe/etc -d > /probe/defaults && gzip -dc /usr/share/man/man5/postconf.5.gz > /probe/postconf.5');
  const defaults = readFileSync(join(scratch, 'defaults'), 'utf8');
  writeConfig(dir, everyParameterMainCf(defaults));
  const probeWarnings = docker('postconf -c /probe/etc -n > /dev/null');
  return { defaults, man: readFileSync(join(scratch, 'postconf.5'), 'utf8'), probeWarnings };
}

function readFacts(): PostfixFacts {
  const scratch = mkdtempSync(join(tmpdir(), 'postconf-gen-'));
  try {
    return IMAGE === undefined ? hostFacts(scratch) : imageFacts(IMAGE, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const facts = readFacts();

/** postconf(5) sections by parameter name (the `.SH name (default: ...)` headings, troff source). */
function manSections(): Map<string, string> {
  const text = facts.man;
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

// `name = value`, or `name =` for an empty default.
const defaults = new Map(facts.defaults.split('\n').filter(Boolean).map((line) => {
  const [, name, value] = /^(\S+) =(?: (.*))?$/.exec(line) ?? [];
  return [name, value ?? ''] as [string, string];
}));
const sections = manSections();
const version = defaults.get('mail_version');
if (!version || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`postconf -d printed no mail_version (${version})`);
/** Where to write: the table of this version, or the path given (the tests compare a fresh run with it). */
const OUT = resolve(args[0] ?? resolve(__dirname, '..', 'lib', `postfix-parameters-${version.split('.').slice(0, 2).join('.')}.ts`));

/** `postconf: warning: <dir>/main.cf: support for parameter "NAME" will be removed; instead, WHAT` -> NAME -> WHAT. */
const deprecated = new Map<string, string>();
for (const line of facts.probeWarnings.split('\n')) {
  const m = /: support for parameter "([^"]+)" will be removed; instead, (.*)$/.exec(line);
  if (m) deprecated.set(m[1], m[2]);
}

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
  '/**',
  ' * Parameters this postconf warns about when main.cf or a master.cf -o sets them ("support for parameter NAME will',
  ' * be removed; instead, WHAT", Postfix 3.9+): name -> WHAT, as postconf prints it. Measured with a main.cf that',
  ' * sets every parameter.',
  ' */',
  ...(deprecated.size === 0
    ? ['export const DEPRECATED_PARAMETERS: Readonly<Record<string, string>> = {};']
    : [
        'export const DEPRECATED_PARAMETERS: Readonly<Record<string, string>> = {',
        ...[...deprecated.keys()].sort().map((name) => `  ${JSON.stringify(name)}: ${JSON.stringify(deprecated.get(name))},`),
        '};',
      ]),
  '',
];
writeFileSync(OUT, lines.join('\n'));
for (const name of deprecated.keys()) if (!defaults.has(name)) throw new Error(`postconf warned about ${name}, which postconf -d does not list`);
console.log(`${OUT}: ${names.length} parameters, ${restrictions.size} restrictions, ${deprecated.size} deprecated (Postfix ${version}${IMAGE ? ` in ${IMAGE}` : ''})`);
