import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PostfixVersion } from '../../constructs/enums';

/**
 * Runs the real Postfix `postconf` over rendered main.cf/master.cf text, so tests can check that Postfix reads
 * back exactly what the renderer meant. postconf does not check values, but it does parse both files the way
 * Postfix does, and it warns about unknown parameter names (`unused parameter`), also inside master.cf `-o`.
 */

export interface PostconfResult {
  /** `postconf -n`: every parameter set in main.cf, name -> value (the `config_directory` that `-c` adds is left out). */
  readonly mainParameters: Record<string, string>;
  /** `postconf -P`: every master.cf `-o` override, `service/type/name` -> value. */
  readonly masterOverrides: Record<string, string>;
  /** `postconf -M`: one normalised line per master.cf service (columns single-space separated). */
  readonly masterServices: string[];
  /** Every distinct stderr line containing "warning" or "fatal", from all three runs, with the tmp dir replaced by `<dir>`. */
  readonly warnings: string[];
}

export const POSTCONF_MISSING_MESSAGE = 'postconf not installed: run .ci/run or apt-get install postfix postfix-lmdb';

/** `$POSTCONF` when set (also to simulate a missing postconf), else /usr/sbin/postconf, else postconf on PATH. */
function postconfPath(): string | undefined {
  const override = process.env.POSTCONF;
  const candidates = override !== undefined ? [override] : [
    '/usr/sbin/postconf',
    ...(process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '').map((dir) => path.join(dir, 'postconf')),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here, try the next one
    }
  }
  return undefined;
}

/**
 * Jest runs each test file in its own module registry (and often its own worker process), so a module-level flag
 * alone would warn once per file. A marker file shared by the workers of one jest run (same parent pid, recent)
 * keeps it to one warning per run.
 */
function firstMissingWarning(): boolean {
  const marker = path.join(os.tmpdir(), `postconf-missing-warned-${process.ppid}`);
  try {
    if (Date.now() - fs.statSync(marker).mtimeMs < 10 * 60 * 1000) return false;
  } catch {
    // no marker yet
  }
  try {
    fs.writeFileSync(marker, String(process.pid));
  } catch {
    // cannot write the marker: warn anyway
  }
  return true;
}

let warnedMissing = false;

/**
 * Whether the real postconf can be run. When it is missing: under CI (`CI=true`) this throws, because CI must
 * check rendered files with the real tool; elsewhere it prints one loud warning and returns false.
 */
export function postconfAvailable(): boolean {
  if (postconfPath() !== undefined) return true;
  if (process.env.CI === 'true') throw new Error(POSTCONF_MISSING_MESSAGE);
  if (!warnedMissing) {
    warnedMissing = true;
    if (!firstMissingWarning()) return false;
    console.warn(`!!!!! ${POSTCONF_MISSING_MESSAGE}; SKIPPING every test that checks rendered files with the real postconf !!!!!`);
  }
  return false;
}

/**
 * `describe` when postconf is installed, `describe.skip` (after one loud warning) when it is not. Under CI a
 * missing postconf registers a failing test carrying the install hint instead, so only the postconf tests fail.
 */
export function describeIfPostconf(name: string, fn: () => void): void {
  let available: boolean;
  try {
    available = postconfAvailable();
  } catch (e) {
    describe(name, () => {
      test('postconf is installed', () => {
        throw e;
      });
    });
    return;
  }
  (available ? describe : describe.skip)(name, fn);
}

/**
 * The release of the host's postconf (Debian 12: 3.7), which the unit tests render for when they check files
 * with it; other releases are read by their own postconf in the image (test/integration/postconf-3.10.test.ts).
 */
export function hostPostfixVersion(): PostfixVersion {
  const postconf = postconfPath();
  if (postconf === undefined) throw new Error(POSTCONF_MISSING_MESSAGE);
  const mailVersion = execFileSync(postconf, ['-dh', 'mail_version'], { encoding: 'utf8' }).trim();
  const version = Object.values(PostfixVersion).find((v) => mailVersion.startsWith(`${v}.`));
  if (!version) throw new Error(`the host's postconf is Postfix ${mailVersion}: the library targets ${Object.values(PostfixVersion).join(', ')}`);
  return version;
}

/** stdout of one postconf run and its warning/fatal lines. */
export interface RunResult {
  readonly stdout: string;
  readonly problems: string[];
}

function run(binary: string, args: string[], scratch: string, dir: string): RunResult {
  const stderrPath = path.join(scratch, `stderr-${args.join('')}`.replace(/[^A-Za-z0-9-]/g, '_'));
  const stderrFd = fs.openSync(stderrPath, 'w');
  let stdout = '';
  let failure: string | undefined;
  try {
    stdout = execFileSync(binary, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', stderrFd],
      env: { ...process.env, LANG: 'C', LC_ALL: 'C' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as { status?: number | null; signal?: string | null; stdout?: string; message: string };
    stdout = typeof err.stdout === 'string' ? err.stdout : '';
    failure = `fatal: postconf ${args.join(' ')} failed (status ${err.status ?? 'none'}, signal ${err.signal ?? 'none'}): ${err.message.split('\n')[0]}`;
  } finally {
    fs.closeSync(stderrFd);
  }
  const stderr = fs.readFileSync(stderrPath, 'utf8');
  return { stdout, problems: problemLines(stderr, dir, failure) };
}

/** Every stderr line containing "warning" or "fatal", `dir` replaced by `<dir>`; the failure when it printed none. */
export function problemLines(stderr: string, dir: string, failure?: string): string[] {
  const problems = stderr
    .split('\n')
    .filter((line) => /warning|fatal/i.test(line))
    .map((line) => line.split(dir).join('<dir>'));
  if (failure !== undefined && problems.length === 0) problems.push(failure.split(dir).join('<dir>'));
  return problems;
}

/** Parses `name = value` lines (postconf -n and -P print one entry per line, `name =` when empty). */
export function parseAssignments(stdout: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const match = /^(\S+) =(?: (.*))?$/.exec(line);
    if (!match) throw new Error(`cannot parse postconf ${what} output line ${JSON.stringify(line)}`);
    const [, name, value] = match;
    if (name in out) throw new Error(`postconf ${what} printed ${name} twice`);
    out[name] = value ?? '';
  }
  return out;
}

/**
 * Writes main.cf and master.cf into `dir`. Postfix's dict_load_file() re-reads a file whose mtime is not older than
 * when it started reading, sleeping 300ms per try (it guards against editors that are still writing), which costs
 * about 2s per freshly written file. Both files are back-dated so postconf reads them once.
 */
export function writeBackdated(dir: string, files: { mainCf: string; masterCf: string }): void {
  const past = new Date(Date.now() - 3600 * 1000);
  for (const [name, content] of [['main.cf', files.mainCf], ['master.cf', files.masterCf]] as const) {
    fs.writeFileSync(path.join(dir, name), content);
    fs.utimesSync(path.join(dir, name), past, past);
  }
}

/** The result of `postconf -c dir` -n, -M and -P (stdout and warning lines of each). */
export function postconfResult(dir: string, n: RunResult, m: RunResult, p: RunResult): PostconfResult {
  const mainParameters = parseAssignments(n.stdout, '-n');
  // `-c DIR` sets config_directory, and -n then lists it as if main.cf had set it.
  if (mainParameters.config_directory === dir) delete mainParameters.config_directory;
  return {
    mainParameters,
    masterOverrides: parseAssignments(p.stdout, '-P'),
    masterServices: m.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.trim().split(/\s+/).join(' ')),
    warnings: [...new Set([...n.problems, ...m.problems, ...p.problems])],
  };
}

/**
 * Writes both files to a fresh tmp dir, runs `postconf -c DIR -n`, `-M` and `-P`, and returns what Postfix read
 * back plus every warning or fatal line it printed. The tmp dir is removed afterwards.
 */
export function postconfCheck(files: { mainCf: string; masterCf: string }): PostconfResult {
  const binary = postconfPath();
  if (binary === undefined) throw new Error(POSTCONF_MISSING_MESSAGE);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'postconf-check-'));
  try {
    const dir = path.join(scratch, 'etc');
    fs.mkdirSync(dir);
    writeBackdated(dir, files);
    return postconfResult(dir, run(binary, ['-c', dir, '-n'], scratch, dir), run(binary, ['-c', dir, '-M'], scratch, dir), run(binary, ['-c', dir, '-P'], scratch, dir));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
