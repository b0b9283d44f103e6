import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { postconfResult, PostconfResult, problemLines, RunResult, writeBackdated } from './postconf';

/**
 * Runs the `postconf` of a Docker image (not the host's) over rendered main.cf/master.cf text: the same
 * `postconf -c DIR -n`, `-M` and `-P` as postconfCheck(), with the same result, for the Postfix version that
 * image will run (e.g. postfix-tls-cdktf:trixie, Postfix 3.10). All configurations go through ONE
 * `docker run --rm --network host` (a container start costs about a second; postconf a few milliseconds), with
 * a tmp dir mounted at /check and each configuration in /check/<index>/etc. The tmp dir is removed afterwards.
 * Warning lines name the configuration directory as `<dir>`, as postconfCheck()'s do.
 */
export function imagePostconfCheckAll(image: string, configs: readonly { mainCf: string; masterCf: string }[]): PostconfResult[] {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'image-postconf-'));
  try {
    configs.forEach((files, i) => {
      const dir = path.join(scratch, String(i), 'etc');
      fs.mkdirSync(dir, { recursive: true });
      writeBackdated(dir, files);
    });
    // Each run's stdout, stderr and exit status go to files next to the configuration.
    const script = [
      'for i in $(seq 0 $(( $1 - 1 ))); do',
      '  for a in n M P; do',
      '    postconf -c /check/$i/etc -$a > /check/$i/out-$a 2> /check/$i/err-$a; echo $? > /check/$i/rc-$a',
      '  done',
      'done',
    ].join('\n');
    execFileSync(
      'docker',
      ['run', '--rm', '--network', 'host', '--user', `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`, '-e', 'LANG=C', '-e', 'LC_ALL=C', '-v', `${scratch}:/check`, '--entrypoint', '/bin/sh', image, '-c', script, 'check', String(configs.length)],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return configs.map((_files, i) => {
      const dir = `/check/${i}/etc`;
      const read = (name: string): string => fs.readFileSync(path.join(scratch, String(i), name), 'utf8');
      const result = (a: string): RunResult => {
        const status = read(`rc-${a}`).trim();
        const failure = status === '0' ? undefined : `fatal: postconf -c ${dir} -${a} in ${image} failed (status ${status})`;
        return { stdout: read(`out-${a}`), problems: problemLines(read(`err-${a}`), dir, failure) };
      };
      return postconfResult(dir, result('n'), result('M'), result('P'));
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** imagePostconfCheckAll() for one configuration. */
export function imagePostconfCheck(image: string, files: { mainCf: string; masterCf: string }): PostconfResult {
  return imagePostconfCheckAll(image, [files])[0];
}

/** `postconf -dh mail_version` of the image (e.g. "3.10.13"). */
export function imagePostfixVersion(image: string): string {
  return execFileSync('docker', ['run', '--rm', '--network', 'host', '--entrypoint', '/bin/sh', image, '-c', 'postconf -dh mail_version 2>/dev/null'], {
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
}
