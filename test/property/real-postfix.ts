import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { postconfCheck } from '../helpers/postconf';
import { Entries } from './server-model';

/**
 * The real Postfix tools over rendered text: `postconf -n/-M/-P` through the shared helper, plus what the helper
 * does not cover: `postconf -x -n` (values after `$` expansion) and `postmap -s` (what a table source holds).
 */

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-postfix-'));
const emptyConfig = path.join(scratch, 'empty');
fs.mkdirSync(emptyConfig);
// The compatibility level the library renders, so postmap folds keys as the server will (smtputf8_enable = yes).
fs.writeFileSync(path.join(emptyConfig, 'main.cf'), 'compatibility_level = 3.6\n');
fs.writeFileSync(path.join(emptyConfig, 'master.cf'), '');
const past = new Date(Date.now() - 3600 * 1000);
for (const file of ['main.cf', 'master.cf']) fs.utimesSync(path.join(emptyConfig, file), past, past);

let counter = 0;

function problemsOf(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /warning|fatal|error/i.test(line));
}

/** Every parameter of `postconf -n` after expansion (`-x`), and the warnings it printed. */
export function expandedMainCf(mainCf: string, masterCf = ''): { values: Map<string, string>; warnings: string[] } {
  const dir = path.join(scratch, `x${counter++}`);
  fs.mkdirSync(dir);
  try {
    fs.writeFileSync(path.join(dir, 'main.cf'), mainCf);
    fs.writeFileSync(path.join(dir, 'master.cf'), masterCf);
    for (const file of ['main.cf', 'master.cf']) fs.utimesSync(path.join(dir, file), past, past);
    const run = spawnSync('/usr/sbin/postconf', ['-c', dir, '-x', '-n'], { encoding: 'utf8', env: { ...process.env, LANG: 'C', LC_ALL: 'C' } });
    const values = new Map<string, string>();
    for (const line of run.stdout.split('\n')) {
      const match = /^(\S+) =(?: (.*))?$/.exec(line);
      if (match) values.set(match[1], match[2] ?? '');
    }
    values.delete('config_directory');
    return { values, warnings: problemsOf(run.stderr).map((l) => l.split(dir).join('<dir>')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What postmap reads from a table, from its source file (as texthash: the format postmap builds hash/lmdb/btree
 * from) or an inline spec: the number of entries (`-s`), the value each intended key finds (`-q -`, with
 * Postfix's own case folding), and every warning.
 */
export function postmapRead(
  table: { content: string } | { inline: string },
  keys: readonly string[],
  asciiKeys: boolean,
): { count: number; found: Map<string, string>; warnings: string[] } {
  let spec: string;
  let file: string | undefined;
  if ('content' in table) {
    file = path.join(scratch, `t${counter++}`);
    fs.writeFileSync(file, table.content);
    fs.utimesSync(file, past, past);
    spec = `texthash:${file}`;
  } else spec = table.inline;
  const env = { ...process.env, LANG: 'C', LC_ALL: 'C' };
  try {
    const all = spawnSync('/usr/sbin/postmap', ['-c', emptyConfig, '-s', spec], { encoding: 'utf8', env });
    const parse = (stdout: string): Map<string, string> => {
      const entries = new Map<string, string>();
      for (const line of stdout.split('\n')) {
        if (line === '') continue;
        const tab = line.indexOf('\t');
        entries.set(line.slice(0, tab), line.slice(tab + 1));
      }
      return entries;
    };
    const warnings = problemsOf(all.stderr);
    let found: Map<string, string>;
    if (asciiKeys) {
      // ASCII keys fold to lower case: the listing answers every lookup, one process fewer.
      const listed = parse(all.stdout);
      found = new Map(keys.map((k) => [k, listed.get(k.toLowerCase())] as [string, string]).filter(([, v]) => v !== undefined));
    } else {
      // Postfix folds non-ASCII keys its own way (smtputf8_enable = yes): ask it.
      const query = spawnSync('/usr/sbin/postmap', ['-c', emptyConfig, '-q', '-', spec], { encoding: 'utf8', env, input: keys.map((k) => `${k}\n`).join('') });
      found = parse(query.stdout);
      warnings.push(...problemsOf(query.stderr));
    }
    if (all.status !== 0 && warnings.length === 0) warnings.push(`postmap -s exited with ${all.status}`);
    return {
      count: all.stdout.split('\n').filter((l) => l !== '').length,
      found,
      warnings: [...new Set(warnings.map((l) => (file ? l.split(file).join('<table>') : l)))],
    };
  } finally {
    if (file) fs.rmSync(file, { force: true });
  }
}

/** Problems of a table read by postmap against the intended entries. */
export function tableProblems(what: string, table: { content: string } | { inline: string }, intended: Entries): string[] {
  const read = postmapRead(table, intended.map(([k]) => k), intended.every(([k]) => /^[\x21-\x7e]*$/.test(k)));
  const problems = read.warnings.map((w) => `postmap ${what} warned: ${w}`);
  if (read.count !== intended.length) problems.push(`postmap -s ${what}: ${read.count} entries, intended ${intended.length}`);
  for (const [key, value] of intended) {
    if (read.found.get(key) !== value) problems.push(`postmap -q ${what}: ${JSON.stringify(key)} finds ${JSON.stringify(read.found.get(key))}, intended ${JSON.stringify(value)}`);
  }
  return problems;
}

/** Every parameter Postfix 3.7 knows for a server with this master.cf: name -> [default, default after expansion]. */
export function knownParameters(masterCf: string): Map<string, [string, string]> {
  const dir = path.join(scratch, `d${counter++}`);
  fs.mkdirSync(dir);
  try {
    fs.writeFileSync(path.join(dir, 'main.cf'), 'compatibility_level = 3.6\n');
    fs.writeFileSync(path.join(dir, 'master.cf'), masterCf);
    for (const file of ['main.cf', 'master.cf']) fs.utimesSync(path.join(dir, file), past, past);
    const read = (args: string[]): Map<string, string> => {
      const out = execFileSync('/usr/sbin/postconf', ['-c', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LANG: 'C' } });
      const values = new Map<string, string>();
      for (const line of out.split('\n')) {
        const match = /^([A-Za-z][A-Za-z0-9_]*) =(?: (.*))?$/.exec(line);
        if (match) values.set(match[1], match[2] ?? '');
      }
      return values;
    };
    const raw = read(['-d']);
    const expanded = read(['-d', '-x']);
    return new Map([...raw].map(([name, value]) => [name, [value, expanded.get(name) ?? '']]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes the scratch directory (call from afterAll; jest workers do not always run exit handlers). */
export function cleanUp(): void {
  fs.rmSync(scratch, { recursive: true, force: true });
}

export { postconfCheck };
