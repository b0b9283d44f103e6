/**
 * Whether the integration tests can run: a Docker engine answers and the Postfix image exists and was
 * built from the current docker/ directory.
 *
 * - Engine or image missing: under CI=true the suite FAILS (throws); elsewhere ONE loud console.warn line
 *   says why and the suites are skipped.
 * - Image present but older than docker/: always fails, because the tests would prove an old image.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEFAULT_IMAGE_NAME, DOCKER_CONTEXT } from '../../constructs/docker/postfix-image';

/** Label scripts/setup-docker.sh puts on the image: a hash of the base image id and docker/ content. */
const CONTENT_LABEL = 'org.postfix-tls-cdktf.content-sha256';

/** An image the live tests run, the base it is built on, and the command that builds it. */
export interface TestImage {
  readonly name: string;
  readonly baseImage: string;
  readonly setup: string;
}

/** postfix-tls-cdktf:trixie (Debian 13, Postfix 3.10, OpenSSL 3.5): what PostfixImage builds by default. */
export const TRIXIE_TEST_IMAGE: TestImage = { name: DEFAULT_IMAGE_NAME, baseImage: 'debian:trixie-slim', setup: 'POSTFIX_SUITE=trixie scripts/setup-docker.sh' };

/** postfix-tls-cdktf:bookworm (Debian 12, Postfix 3.7, OpenSSL 3.0), built from the same docker/ directory. */
export const BOOKWORM_TEST_IMAGE: TestImage = { name: 'postfix-tls-cdktf:bookworm', baseImage: 'debian:bookworm-slim', setup: 'POSTFIX_SUITE=bookworm scripts/setup-docker.sh' };

/**
 * The image of the release the live tests target: Postfix 3.10 unless POSTFIX_TEST_VERSION=3.7 (the `npm test`
 * run of the seed behaviours on Debian 12).
 */
export const DEFAULT_TEST_IMAGE: TestImage = process.env.POSTFIX_TEST_VERSION === '3.7' ? BOOKWORM_TEST_IMAGE : TRIXIE_TEST_IMAGE;

/** The test clients' image (test/integration/images/test-tools): Knot, Unbound, kdig, testssl.sh 3.2 on OpenSSL 3.5. */
export const TEST_TOOLS_IMAGE = 'postfix-tls-cdktf-test-tools:latest';
const TEST_TOOLS_CONTEXT = join(__dirname, 'images', 'test-tools');

export interface DockerStatus {
  readonly available: boolean;
  /** Why not, when unavailable. */
  readonly reason?: string;
}

function dockerOutput(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 }).trim();
}

function files(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

/** The same hash scripts/setup-docker.sh computes (base image id + path, mode, sha256 of every non-.md file). */
export function expectedImageContentSha(baseImageId: string): string {
  const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const lines = files(DOCKER_CONTEXT)
    .map((path) => `./${relative(DOCKER_CONTEXT, path)}`)
    .filter((path) => !path.endsWith('.swp') && !path.endsWith('.md'))
    .sort(byteOrder)
    .map((path) => {
      const full = join(DOCKER_CONTEXT, path);
      const mode = (statSync(full).mode & 0o7777).toString(8);
      return `${path} ${mode} ${createHash('sha256').update(readFileSync(full)).digest('hex')}\n`;
    });
  return createHash('sha256').update(`base ${baseImageId}\n${lines.join('')}`).digest('hex');
}

const cache = new Map<string, DockerStatus>();

/** Checks once per test file and image. Throws (in every mode) when the image is stale. */
export function dockerStatus(image: TestImage = DEFAULT_TEST_IMAGE): DockerStatus {
  const known = cache.get(image.name);
  if (known) return known;
  const status = imageStatus(image);
  cache.set(image.name, status);
  return status;
}

function imageStatus(image: TestImage): DockerStatus {
  try {
    dockerOutput(['info', '--format', '{{.ServerVersion}}']);
  } catch (e) {
    const detail = ((e as { stderr?: Buffer | string }).stderr ?? (e as Error).message).toString().trim().split('\n')[0];
    return { available: false, reason: `no Docker engine answers \`docker info\` (${detail}); run ${image.setup}` };
  }
  let label: string;
  try {
    label = dockerOutput(['image', 'inspect', '-f', `{{index .Config.Labels "${CONTENT_LABEL}"}}`, image.name]);
  } catch {
    return { available: false, reason: `image ${image.name} does not exist; build it with ${image.setup}` };
  }
  let baseId = '';
  try {
    baseId = dockerOutput(['image', 'inspect', '-f', '{{.Id}}', image.baseImage]);
  } catch {
    // without the base image the label cannot be checked; a rebuild would need it anyway
  }
  if (baseId === '' || label !== expectedImageContentSha(baseId)) {
    throw new Error(
      `image ${image.name} was not built from the current docker/ directory (label ${label || 'missing'}): ` +
        `rerun ${image.setup} so the integration tests prove the image the constructs deploy`,
    );
  }
  return { available: true };
}

/**
 * Throws unless the test-tools image exists and was built from the current images/test-tools directory (the
 * label scripts/setup-docker.sh computes: the base image id and the flat build context's files, hashed).
 */
export function checkTestToolsImage(): void {
  const setup = 'POSTFIX_SUITE=trixie scripts/setup-docker.sh';
  let label: string;
  try {
    label = dockerOutput(['image', 'inspect', '-f', `{{index .Config.Labels "${CONTENT_LABEL}"}}`, TEST_TOOLS_IMAGE]);
  } catch {
    throw new Error(`image ${TEST_TOOLS_IMAGE} does not exist: build it with ${setup}`);
  }
  const base = dockerOutput(['image', 'inspect', '-f', '{{.Id}}', TRIXIE_TEST_IMAGE.baseImage]);
  const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const lines = readdirSync(TEST_TOOLS_CONTEXT)
    .filter((f) => !f.endsWith('.md'))
    .sort(byteOrder)
    .map((f) => `./${f} ${createHash('sha256').update(readFileSync(join(TEST_TOOLS_CONTEXT, f))).digest('hex')}\n`);
  if (label !== createHash('sha256').update(`base ${base}\n${lines.join('')}`).digest('hex')) {
    throw new Error(`image ${TEST_TOOLS_IMAGE} was not built from the current ${TEST_TOOLS_CONTEXT} (label ${label || 'missing'}): rerun ${setup}`);
  }
}

/** Each client the live tests drive, how to see that it can do what they need, and its Debian packages. */
const CLIENT_TOOLS: readonly { tool: string; args: string[]; capable: RegExp; needs: string; packages: string; reason?: RegExp }[] = [
  { tool: 'swaks', args: ['--support'], capable: /^=== TLS supported$/m, reason: /^\*\*\* TLS .*$/m, needs: 'TLS (STARTTLS, AUTH over TLS)', packages: 'swaks libnet-ssleay-perl libio-socket-ssl-perl' },
  { tool: 'openssl', args: ['version'], capable: /^OpenSSL 3\./, needs: 'OpenSSL 3 s_client', packages: 'openssl' },
];

/** Why a client tool cannot do its part (with the packages to install), or undefined. */
export function clientToolProblem(): string | undefined {
  for (const { tool, args, capable, needs, packages, reason } of CLIENT_TOOLS) {
    const result = spawnSync(tool, args, { encoding: 'utf8', timeout: 30_000 });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    if (result.error || !capable.test(output)) {
      const said = result.error ? result.error.message : (reason?.exec(output)?.[0] ?? output.trim().slice(0, 200));
      return `${tool} cannot provide ${needs} (\`${tool} ${args.join(' ')}\`: ${said}): install the Debian packages ${packages} (scripts/install-system-deps.sh does)`;
    }
  }
  return undefined;
}

let warned = false;

/**
 * `describe` when Docker is usable and `image` (default: DEFAULT_TEST_IMAGE) was built from the current
 * docker/; otherwise under CI=true a failing suite, elsewhere `describe.skip` after one loud warning line.
 */
export function describeWithDocker(name: string, body: () => void, image: TestImage = DEFAULT_TEST_IMAGE): void {
  const status = dockerStatus(image);
  if (status.available) {
    // With an engine the suite runs; a client that cannot do its part fails it with the package to install,
    // instead of an empty reply list deep inside a test.
    const problem = clientToolProblem();
    if (problem) throw new Error(`integration tests cannot run: ${problem}`);
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(`integration tests cannot run under CI=true: ${status.reason}`);
  }
  if (!warned) {
    warned = true;
    console.warn(`!!! SKIPPING Docker integration tests: ${status.reason} (under CI=true this fails instead)`);
  }
  describe.skip(name, body);
}
