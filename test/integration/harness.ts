/**
 * Runs exactly what a synthesized `cdk.tf.json` describes on the local Docker engine, the way the
 * kreuzwerker/docker provider would: `docker_volume` -> `docker volume create`, `docker_container` ->
 * `docker create` + one `docker cp` of every upload + `docker start`, then waits for the healthcheck, or,
 * for a container that runs once (`must_run = false`, `restart = "no"`: PostfixContainer's loader), for it to
 * exit 0. Containers start after those they `depends_on`. `apply()` plays a second document the way
 * `terraform apply` does: only containers whose planned attributes changed are replaced.
 *
 * The JSON is the single source of truth: nothing is rendered a second time. Anything the harness cannot
 * reproduce faithfully is refused with a message naming the resource and attribute: containers that do
 * not use host networking, attributes it does not know (when they carry a value), `${...}` tokens other
 * than references to the stack's own images/volumes, `filesha256(...)` in `source_hash` and `file("PATH")` in an
 * upload's `content` (read here as Terraform reads it: the local file, relative paths from the stack directory), other
 * resource types, images that are not present locally.
 *
 * Test-only additions, none of which changes what runs in the container: every container and volume
 * gets the label `org.postfix-tls-cdktf.integration=<pid>`, and a detached reaper process removes
 * what is left when the test process dies without calling destroy().
 */
import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve as resolvePath } from 'node:path';
import { CONFIG_VOLUME_PATH, GENERATION_STAGING_DIRECTORY } from '../../constructs/docker/postfix-container';

export const HARNESS_LABEL = 'org.postfix-tls-cdktf.integration';
/** Generous: a container checks its generation before Postfix starts, which takes tens of seconds on a loaded 2-core machine. */
const HEALTH_TIMEOUT_MS = 120_000;
/** How long a container that runs once (the loader) may take to exit. */
const EXIT_TIMEOUT_MS = 60_000;
/** Docker runs the healthcheck every 10 s (the containers' interval); polling faster only burns CPU. */
const HEALTH_POLL_MS = 500;
const LOG_TAIL_LINES = 40;

/** Output of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; never throws on a non-zero exit (callers decide). */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      command,
      [...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, env: options.env ?? process.env, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          reject(new Error(`cannot run ${command}: ${error.message}`));
          return;
        }
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolvePromise({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** `docker ARGS`; throws with the command's stderr on failure. */
async function docker(args: readonly string[], what: string, input?: string | Buffer): Promise<string> {
  const result = await run('docker', args, { input, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`${what} failed (docker ${args[0]}): ${redact(result.stderr.trim() || result.stdout.trim())}`);
  return result.stdout;
}

/** Never lets key material through into an error message or log excerpt. */
export function redact(text: string): string {
  return text.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[private key redacted]');
}

/** One upload of a container: a file with inline content or copied from a local path. */
export interface UploadPlan {
  readonly file: string;
  /** Text content, uploaded as UTF-8 (the provider's `content`). */
  readonly content?: string;
  /** Raw bytes (the provider's `content_base64`, decoded). */
  readonly bytes?: Buffer;
  readonly source?: string;
  /** sha256 of the source file when planned (what `source_hash = filesha256(...)` puts into the plan). */
  readonly sourceSha256?: string;
  readonly mode: number;
}

export interface HealthcheckPlan {
  /** `docker create` flags reproducing the healthcheck block. */
  readonly flags: readonly string[];
}

/** What the harness will create for one `docker_container` resource. */
export interface ContainerPlan {
  readonly resource: string;
  readonly name: string;
  readonly image: string;
  readonly restart?: string;
  /** false: runs once and must exit 0 (`must_run = false`). */
  readonly mustRun: boolean;
  /** Arguments after the image (`command`). */
  readonly command: readonly string[];
  /** Resource addresses of the containers this one starts after (`depends_on`). */
  readonly dependsOn: readonly string[];
  readonly volumes: readonly { readonly volumeName: string; readonly containerPath: string; readonly readOnly: boolean }[];
  readonly healthcheck?: HealthcheckPlan;
  readonly uploads: readonly UploadPlan[];
}

/** Everything a cdk.tf.json describes, checked and resolved. */
export interface StackPlan {
  readonly volumes: readonly string[];
  readonly containers: readonly ContainerPlan[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

class Refusal extends Error {}

function refuse(where: string, message: string): never {
  throw new Refusal(redact(`harness refuses ${where}: ${message}`));
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value Terraform would treat as "not set". */
function isUnset(value: Json | undefined): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

const TOKEN = /\$\{/;

function checkKeys(where: string, object: JsonObject, known: readonly string[]): void {
  for (const [key, value] of Object.entries(object)) {
    if (key === '//' || known.includes(key)) continue;
    if (isUnset(value)) continue;
    refuse(where, `attribute "${key}" is not supported by the harness (it cannot reproduce it faithfully); value ${describeJson(value)}`);
  }
}

function describeJson(value: Json | undefined): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function requireString(where: string, object: JsonObject, key: string): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') refuse(where, `"${key}" must be a non-empty string, got ${describeJson(value)}`);
  return value;
}

function optionalString(where: string, object: JsonObject, key: string): string | undefined {
  const value = object[key];
  if (isUnset(value)) return undefined;
  if (typeof value !== 'string') refuse(where, `"${key}" must be a string, got ${describeJson(value)}`);
  return value;
}

function noToken(where: string, key: string, value: string): string {
  if (TOKEN.test(value)) refuse(where, `"${key}" holds an unresolved token ${describeJson(value)}; only values known at synth time can be reproduced`);
  return value;
}

/** Docker durations ("10s", "1m30s"); Terraform's provider passes them to the engine the same way. */
const DURATION = /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/;

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function planHealthcheck(where: string, block: Json | undefined): HealthcheckPlan | undefined {
  if (isUnset(block)) return undefined;
  const hc = Array.isArray(block) ? (block.length === 1 ? block[0] : refuse(where, 'more than one healthcheck block')) : block;
  if (!isObject(hc)) refuse(where, `healthcheck must be an object, got ${describeJson(hc)}`);
  checkKeys(`${where}.healthcheck`, hc, ['test', 'interval', 'timeout', 'start_period', 'retries']);
  const test = hc.test;
  if (!Array.isArray(test) || test.length === 0 || !test.every((t): t is string => typeof t === 'string')) {
    refuse(`${where}.healthcheck`, `"test" must be a non-empty list of strings, got ${describeJson(test)}`);
  }
  test.forEach((t) => noToken(`${where}.healthcheck`, 'test', t));
  const flags: string[] = [];
  switch (test[0]) {
    case 'NONE':
      return { flags: ['--no-healthcheck'] };
    case 'CMD':
      // The CLI only takes the shell form; each argument quoted, the command runs exactly as the exec form.
      if (test.length < 2) refuse(`${where}.healthcheck`, 'CMD without a command');
      flags.push('--health-cmd', test.slice(1).map(shellQuote).join(' '));
      break;
    case 'CMD-SHELL':
      if (test.length !== 2) refuse(`${where}.healthcheck`, 'CMD-SHELL takes exactly one command string');
      flags.push('--health-cmd', test[1]);
      break;
    default:
      refuse(`${where}.healthcheck`, `"test" must start with CMD, CMD-SHELL or NONE, got ${describeJson(test[0])}`);
  }
  for (const [key, flag] of [['interval', '--health-interval'], ['timeout', '--health-timeout'], ['start_period', '--health-start-period']] as const) {
    const value = optionalString(`${where}.healthcheck`, hc, key);
    if (value === undefined) continue;
    if (!DURATION.test(value)) refuse(`${where}.healthcheck`, `"${key}" ${describeJson(value)} is not a duration such as 10s`);
    flags.push(flag, value);
  }
  if (!isUnset(hc.retries)) {
    if (typeof hc.retries !== 'number' || !Number.isInteger(hc.retries) || hc.retries < 0) {
      refuse(`${where}.healthcheck`, `"retries" must be a whole number, got ${describeJson(hc.retries)}`);
    }
    flags.push('--health-retries', String(hc.retries));
  }
  return { flags };
}

const FILESHA256 = /^\$\{filesha256\("((?:[^"\\]|\\.)*)"\)\}$/;
/** `${file("PATH")}` with a literal path, inside a string template (`Fn.file(path)`, alone or joined to text). */
const FILE_CALL = /\$\{file\("((?:[^"\\]|\\.)*)"\)\}/g;

/**
 * `content` with every `${file("PATH")}` replaced by the file's text, as Terraform evaluates it at plan time (a
 * relative PATH from the directory Terraform runs in, the stack directory). Any other token is refused; the
 * file's text is not evaluated again (Terraform does not either).
 */
function resolveFileCalls(where: string, content: string, workingDirectory: string | undefined): string {
  noToken(where, 'content', content.replace(FILE_CALL, ''));
  return content.replace(FILE_CALL, (_call, escaped: string) => {
    const path = JSON.parse(`"${escaped}"`) as string;
    if (!path.startsWith('/') && workingDirectory === undefined) refuse(where, `"content" reads file(${describeJson(path)}), a relative path, but no stack directory was given to resolve it`);
    const local = resolvePath(workingDirectory ?? '/', path);
    if (!existsSync(local) || !statSync(local).isFile()) refuse(where, `"content" reads file(${describeJson(path)}), which is not a readable file (resolved to ${local})`);
    return readFileSync(local, 'utf8');
  });
}

function planUpload(where: string, block: Json, workingDirectory: string | undefined): UploadPlan {
  if (!isObject(block)) refuse(where, `upload must be an object, got ${describeJson(block)}`);
  checkKeys(where, block, ['file', 'content', 'source', 'source_hash', 'executable', 'content_base64', 'permissions']);
  const file = noToken(where, 'file', requireString(where, block, 'file'));
  if (!file.startsWith('/') || file.split('/').includes('..')) refuse(where, `"file" ${describeJson(file)} must be an absolute path without '..'`);
  const content = optionalString(where, block, 'content');
  const contentBase64 = optionalString(where, block, 'content_base64');
  const source = optionalString(where, block, 'source');
  const given = [content, contentBase64, source].filter((v) => v !== undefined).length;
  if (given !== 1) refuse(where, `upload of ${file} needs exactly one of content, content_base64, source`);
  let mode = 0o644;
  if (block.executable === true) mode = 0o744;
  else if (!isUnset(block.executable) && block.executable !== false) refuse(where, `"executable" must be a boolean`);
  const permissions = optionalString(where, block, 'permissions');
  if (permissions !== undefined) {
    if (!/^0?[0-7]{3}$/.test(permissions)) refuse(where, `"permissions" ${describeJson(permissions)} is not an octal mode`);
    mode = parseInt(permissions, 8);
  }
  const sourceHash = optionalString(where, block, 'source_hash');
  if (source !== undefined) {
    noToken(where, 'source', source);
    // Terraform (and the provider it starts) resolves a relative path against the stack directory it runs in.
    if (!source.startsWith('/') && workingDirectory === undefined) refuse(where, `"source" ${describeJson(source)} is relative, but no stack directory was given to resolve it`);
    const local = resolvePath(workingDirectory ?? '/', source);
    if (!existsSync(local) || !statSync(local).isFile()) refuse(where, `"source" ${source} is not a readable file (resolved to ${local})`);
    let sourceSha256: string | undefined;
    if (sourceHash !== undefined) {
      const match = FILESHA256.exec(sourceHash);
      if (!match) noToken(where, 'source_hash', sourceHash);
      else if (JSON.parse(`"${match[1]}"`) !== source) refuse(where, `"source_hash" hashes ${match[1]}, not the uploaded ${source}`);
      sourceSha256 = createHash('sha256').update(readFileSync(local)).digest('hex');
    }
    return { file, source: local, sourceSha256, mode };
  }
  if (sourceHash !== undefined) refuse(where, '"source_hash" without "source"');
  if (contentBase64 !== undefined) {
    noToken(where, 'content_base64', contentBase64);
    return { file, bytes: Buffer.from(contentBase64, 'base64'), mode };
  }
  const text = resolveFileCalls(where, content as string, workingDirectory);
  // Keys must reach the container by local path (source); inline (also through file(), whose result Terraform
  // keeps in the state) they would sit in cdk.tf.json or the state.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    refuse(where, `upload of ${file} holds private key material inline; keys must be uploaded from a local file (source)`);
  }
  return { file, content: text, mode };
}

interface Resources {
  readonly images: Map<string, JsonObject>;
  readonly volumes: Map<string, JsonObject>;
}

/** `${docker_image.ID.image_id}` / `${docker_volume.ID.name}`, the only references the harness resolves. */
function resolveReference(where: string, key: string, value: string, resources: Resources, kind: 'image' | 'volume'): string {
  if (!TOKEN.test(value)) return value;
  const match = /^\$\{(docker_image|docker_volume)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(value);
  if (!match) refuse(where, `"${key}" holds the token ${describeJson(value)}, which the harness cannot resolve`);
  const [, type, id, attribute] = match;
  if (kind === 'image' && type === 'docker_image' && (attribute === 'image_id' || attribute === 'name')) {
    const image = resources.images.get(id);
    if (!image) refuse(where, `"${key}" refers to docker_image.${id}, which the stack does not define`);
    return requireString(`docker_image.${id}`, image, 'name');
  }
  if (kind === 'volume' && type === 'docker_volume' && attribute === 'name') {
    const volume = resources.volumes.get(id);
    if (!volume) refuse(where, `"${key}" refers to docker_volume.${id}, which the stack does not define`);
    return requireString(`docker_volume.${id}`, volume, 'name');
  }
  return refuse(where, `"${key}" refers to ${type}.${id}.${attribute}, which the harness cannot resolve`);
}

/**
 * Outputs create nothing, so they change nothing that runs; literal ones (e.g. MailDnsRecords' zone file) are
 * accepted. One with an expression would need resolving, which the harness does not do.
 */
function checkOutputs(outputs: Json | undefined): void {
  if (outputs === undefined) return;
  if (!isObject(outputs)) refuse('the document', 'block "output" is not an object');
  for (const [name, output] of Object.entries(outputs)) {
    if (!isObject(output) || typeof output.value !== 'string' || output.value.includes('${')) {
      refuse(`output ${name}`, 'only outputs with a literal string value are accepted');
    }
  }
}

/** Reads a cdk.tf.json and checks that everything in it can be reproduced. Pure: touches no engine. */
/** `workingDirectory`: the stack directory Terraform would run in, for relative upload sources. */
export function planStack(cdkTfJson: string | object, workingDirectory?: string): StackPlan {
  const doc = (typeof cdkTfJson === 'string' ? JSON.parse(cdkTfJson) : cdkTfJson) as JsonObject;
  if (!isObject(doc)) refuse('the document', 'it is not a JSON object');
  checkOutputs(doc.output);
  for (const key of Object.keys(doc)) {
    if (!['//', 'provider', 'resource', 'terraform', 'output'].includes(key) && !isUnset(doc[key]) && !(isObject(doc[key]) && Object.keys(doc[key] as JsonObject).length === 0)) {
      refuse('the document', `top-level block "${key}" (data sources, variables, outputs, locals, modules) cannot be reproduced`);
    }
  }
  const providers = doc.provider;
  if (isObject(providers)) {
    for (const [name, configs] of Object.entries(providers)) {
      if (name !== 'docker') refuse(`provider ${name}`, 'only the docker provider is reproduced');
      for (const config of Array.isArray(configs) ? configs : [configs]) {
        if (!isObject(config)) refuse('provider docker', 'configuration is not an object');
        checkKeys('provider docker', config, []);
      }
    }
  }
  const resourceBlock = doc.resource;
  const resources: Resources = { images: new Map(), volumes: new Map() };
  const containers: [string, JsonObject][] = [];
  if (isObject(resourceBlock)) {
    for (const [type, byId] of Object.entries(resourceBlock)) {
      if (!isObject(byId)) refuse(`resource type ${type}`, 'not an object');
      for (const [id, body] of Object.entries(byId)) {
        if (!isObject(body)) refuse(`${type}.${id}`, 'not an object');
        if (type === 'docker_image') resources.images.set(id, body);
        else if (type === 'docker_volume') resources.volumes.set(id, body);
        else if (type === 'docker_container') containers.push([id, body]);
        else refuse(`${type}.${id}`, `resource type ${type} is not reproduced (only docker_image, docker_volume, docker_container)`);
      }
    }
  }
  for (const [id, image] of resources.images) {
    const where = `docker_image.${id}`;
    checkKeys(where, image, ['name', 'keep_locally', 'build', 'triggers']);
    noToken(where, 'name', requireString(where, image, 'name'));
    if (!isUnset(image.triggers) && TOKEN.test(JSON.stringify(image.triggers))) refuse(where, 'triggers hold unresolved tokens');
    if (!isUnset(image.build)) {
      const build = Array.isArray(image.build) ? image.build[0] : image.build;
      if (!isObject(build)) refuse(where, 'build is not an object');
      checkKeys(`${where}.build`, build, ['context', 'network_mode', 'build_args']);
      const mode = optionalString(`${where}.build`, build, 'network_mode');
      if (mode !== undefined && mode !== 'host') refuse(`${where}.build`, `network_mode ${describeJson(mode)}: builds only ever use the host network here`);
      // The base of another Debian release: scripts/setup-docker.sh (POSTFIX_SUITE) builds that image under this name.
      if (!isUnset(build.build_args)) {
        if (!isObject(build.build_args)) refuse(`${where}.build`, 'build_args is not an object');
        checkKeys(`${where}.build.build_args`, build.build_args, ['BASE_IMAGE']);
        noToken(`${where}.build.build_args`, 'BASE_IMAGE', requireString(`${where}.build.build_args`, build.build_args, 'BASE_IMAGE'));
      }
    }
  }
  const volumeNames: string[] = [];
  for (const [id, volume] of resources.volumes) {
    const where = `docker_volume.${id}`;
    checkKeys(where, volume, ['name']);
    volumeNames.push(noToken(where, 'name', requireString(where, volume, 'name')));
  }
  const plans = containers.map(([id, body]): ContainerPlan => {
    const where = `docker_container.${id}`;
    checkKeys(where, body, ['name', 'image', 'command', 'restart', 'must_run', 'network_mode', 'volumes', 'healthcheck', 'upload', 'depends_on']);
    const name = noToken(where, 'name', requireString(where, body, 'name'));
    const networkMode = optionalString(where, body, 'network_mode');
    if (networkMode !== 'host') {
      refuse(where, `network_mode is ${describeJson(networkMode ?? null)}; integration tests only run containers with host networking (network_mode = "host", PostfixContainer hostNetwork: true)`);
    }
    const restart = optionalString(where, body, 'restart');
    if (restart !== undefined && !/^(no|on-failure|always|unless-stopped)$/.test(restart)) refuse(where, `restart policy ${describeJson(restart)} is unknown`);
    if (!isUnset(body.must_run) && typeof body.must_run !== 'boolean') refuse(where, `"must_run" must be a boolean, got ${describeJson(body.must_run)}`);
    const mustRun = body.must_run !== false;
    // A container that runs once is waited for until it exits; a restart policy or a healthcheck would make that
    // wait mean something else.
    if (!mustRun && restart !== 'no') refuse(where, `must_run = false with restart ${describeJson(restart ?? null)}: only a container that runs once (restart = "no") is reproduced`);
    if (!mustRun && !isUnset(body.healthcheck)) refuse(where, 'must_run = false with a healthcheck: a container that runs once is waited for until it exits, not until it is healthy');
    const command = isUnset(body.command) ? [] : body.command;
    if (!Array.isArray(command) || !command.every((a): a is string => typeof a === 'string')) refuse(where, `"command" must be a list of strings, got ${describeJson(body.command)}`);
    command.forEach((a) => noToken(where, 'command', a));
    const dependsOn = isUnset(body.depends_on) ? [] : body.depends_on;
    if (!Array.isArray(dependsOn) || !dependsOn.every((d): d is string => typeof d === 'string' && /^docker_container\.[A-Za-z0-9_-]+$/.test(d))) {
      refuse(where, `"depends_on" must list docker_container resources of the stack, got ${describeJson(body.depends_on)}`);
    }
    const image = resolveReference(where, 'image', requireString(where, body, 'image'), resources, 'image');
    const volumes = (Array.isArray(body.volumes) ? body.volumes : isUnset(body.volumes) ? [] : [body.volumes]).map((v, i) => {
      const vw = `${where}.volumes[${i}]`;
      if (!isObject(v)) refuse(vw, 'not an object');
      checkKeys(vw, v, ['volume_name', 'container_path', 'read_only']);
      const volumeName = resolveReference(vw, 'volume_name', requireString(vw, v, 'volume_name'), resources, 'volume');
      if (!volumeNames.includes(volumeName)) refuse(vw, `volume ${volumeName} is not a docker_volume of this stack`);
      return { volumeName, containerPath: noToken(vw, 'container_path', requireString(vw, v, 'container_path')), readOnly: v.read_only === true };
    });
    const uploads = (Array.isArray(body.upload) ? body.upload : isUnset(body.upload) ? [] : [body.upload]).map((u, i) => planUpload(`${where}.upload[${i}]`, u, workingDirectory));
    const files = uploads.map((u) => u.file);
    const duplicate = files.find((f, i) => files.indexOf(f) !== i);
    if (duplicate) refuse(where, `two uploads write ${duplicate}`);
    return { resource: where, name, image, restart, mustRun, command, dependsOn, volumes, healthcheck: planHealthcheck(where, body.healthcheck), uploads };
  });
  const names = plans.map((p) => p.name);
  const duplicateName = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicateName) refuse('the stack', `two containers are named ${duplicateName}`);
  for (const plan of plans) {
    const missing = plan.dependsOn.find((d) => !plans.some((p) => p.resource === d));
    if (missing) refuse(plan.resource, `depends_on ${missing}, which the stack does not define`);
  }
  return { volumes: volumeNames, containers: plans };
}

// --- safety: no test container may deliver mail to another host -------------------------------

/** Parameters through which mail could leave the container; a test main.cf must not set them. */
const OUTBOUND_ROUTES = [
  'relayhost', 'transport_maps', 'fallback_transport', 'fallback_transport_maps', 'fallback_relay', 'smtp_fallback_relay',
  'sender_dependent_relayhost_maps', 'sender_dependent_default_transport_maps', 'content_filter', 'mailbox_transport',
  'mailbox_transport_maps', 'mailbox_command', 'mailbox_command_maps', 'local_transport', 'virtual_transport', 'luser_relay',
];

/**
 * A transport table that routes everything by SMTP to a literal loopback address and port (a second Postfix
 * of the same test), `static:smtp:[127.x.y.z]:PORT`: the one outbound route tests may use.
 */
function isLoopbackTransportTable(value: string): boolean {
  return /^static:smtp:\[127\.\d{1,3}\.\d{1,3}\.\d{1,3}\]:\d{1,5}$/.test(value.trim());
}

/** name -> value of a main.cf (continuation lines joined), as Postfix reads it. */
export function parseMainCf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || line.trim() === '') continue;
    if (/^\s/.test(line)) {
      if (current !== undefined) out[current] += ` ${line.trim()}`;
      continue;
    }
    const match = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    current = match[1];
    out[current] = match[2].trim();
  }
  return out;
}

/**
 * Refuses a container whose main.cf could hand mail to smtp(8) or query DNS for its clients: default_transport
 * and relay_transport must be error: or discard:, no other route out may be configured, and
 * smtpd_peername_lookup must be off.
 */
export function checkNoOutboundDelivery(plan: StackPlan): void {
  // A configuration reaches Postfix as an upload of its own (at /etc/postfix or as a generation of the image's
  // contract), or through a volume a loader container writes (PostfixContainer): every configuration is
  // checked, and every Postfix container must have one.
  const directories = ['/etc/postfix', GENERATION_STAGING_DIRECTORY, `${CONFIG_VOLUME_PATH}/generations/[^/]+`].map((d) => d.replace(/[.]/g, '\\.'));
  const configPath = (file: string) => new RegExp(`^(${directories.join('|')})/${file.replace('.', '\\.')}$`);
  const configOf = (c: ContainerPlan, file: string) => c.uploads.find((u) => configPath(file).test(u.file));
  const configured = plan.containers.filter((c) => configOf(c, 'main.cf') !== undefined);
  for (const container of plan.containers) {
    if (configured.includes(container) || !container.mustRun) continue;
    const fed = configured.some((loader) => !loader.mustRun && loader.volumes.some((v) => container.volumes.some((w) => w.volumeName === v.volumeName)));
    if (!fed) refuse(container.resource, `no inline /etc/postfix/main.cf upload, nor a loader container sharing a volume with it that uploads ${GENERATION_STAGING_DIRECTORY}/main.cf, to check for outbound delivery`);
  }
  for (const container of configured) {
    const mainCf = configOf(container, 'main.cf')!;
    if (mainCf.content === undefined) refuse(container.resource, 'no inline main.cf upload to check for outbound delivery');
    const parameters = parseMainCf(mainCf.content);
    for (const name of ['default_transport', 'relay_transport']) {
      if (!/^(error|discard):/.test(parameters[name] ?? '')) {
        refuse(container.resource, `main.cf must set ${name} to error:... or discard:... so no test mail can leave the host (got ${JSON.stringify(parameters[name] ?? null)}); use NO_OUTBOUND_DELIVERY`);
      }
    }
    // Reverse lookups of clients such as 127.0.0.2 (not in /etc/hosts) would go to the host's resolver.
    if (parameters.smtpd_peername_lookup !== 'no') {
      refuse(container.resource, `main.cf must set smtpd_peername_lookup = no, so smtpd sends no reverse DNS query off the host (got ${JSON.stringify(parameters.smtpd_peername_lookup ?? null)}); use NO_OUTBOUND_DELIVERY`);
    }
    for (const name of OUTBOUND_ROUTES) {
      if (parameters[name] === undefined || parameters[name] === '') continue;
      if (name === 'transport_maps' && isLoopbackTransportTable(parameters[name])) continue;
      refuse(container.resource, `main.cf sets ${name}, a route by which mail could leave the container`);
    }
    // A master.cf -o override could reopen a route per service.
    const masterCf = configOf(container, 'master.cf')?.content ?? '';
    for (const match of masterCf.matchAll(/-o\s+(?:\{\s*)?([A-Za-z0-9_]+)\s*=/g)) {
      if ([...OUTBOUND_ROUTES, 'default_transport', 'relay_transport'].includes(match[1])) {
        refuse(container.resource, `master.cf overrides ${match[1]} for a service, a route by which mail could leave the container`);
      }
    }
  }
}

// --- engine side ------------------------------------------------------------------------------

/** Keeps a detached watcher alive while this process holds resources; it removes them if we die. */
class Reaper {
  private child?: ChildProcess;

  constructor(private readonly directory: () => string) {}

  private get stateFile(): string {
    return join(this.directory(), 'reaper-state');
  }

  /** Records what to remove; starts the watcher on first use. */
  update(containers: readonly string[], volumes: readonly string[]): void {
    writeFileSync(this.stateFile, [...containers.map((c) => `container ${c}`), ...volumes.map((v) => `volume ${v}`)].join('\n') + '\n');
    if (this.child) return;
    const script = [
      'parent="$1"; state="$2"',
      'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
      '[ -f "$state" ] || exit 0',
      'while read -r kind name; do [ "$kind" = container ] && docker rm -f -v "$name" >/dev/null 2>&1; done < "$state"',
      'while read -r kind name; do [ "$kind" = volume ] && docker volume rm -f "$name" >/dev/null 2>&1; done < "$state"',
      'rm -rf "$(dirname "$state")"',
    ].join('\n');
    this.child = spawn('bash', ['-c', script, 'reaper', String(process.pid), this.stateFile], { detached: true, stdio: 'ignore' });
    this.child.unref();
  }

  /** Everything was removed: the watcher has nothing left to do. */
  stop(): void {
    if (this.child === undefined) return;
    rmSync(this.stateFile, { force: true });
    if (this.child?.pid !== undefined && this.child.exitCode === null) {
      try {
        process.kill(this.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    this.child = undefined;
  }
}

export interface ExecOptions {
  readonly input?: string;
  readonly user?: string;
  readonly timeoutMs?: number;
}

/** A stack running on the local engine. */
export class DockerHarness {
  /** Reads `stacks/<name>/cdk.tf.json` (or any path to one). */
  public static fromFile(cdkTfJsonPath: string): DockerHarness {
    return new DockerHarness(readFileSync(cdkTfJsonPath, 'utf8'), dirname(cdkTfJsonPath));
  }

  public plan: StackPlan;
  private readonly created = { containers: new Set<string>(), volumes: new Set<string>() };
  private workDirectory?: string;
  private readonly reaper = new Reaper(() => this.workDir);

  constructor(cdkTfJson: string | object, workingDirectory?: string) {
    this.plan = planStack(cdkTfJson, workingDirectory);
    checkNoOutboundDelivery(this.plan);
  }

  /** Staging area and reaper state; made on first use, removed by destroy() (or by the reaper). */
  private get workDir(): string {
    this.workDirectory ??= mkdtempSync(join(tmpdir(), 'postfix-harness-'));
    return this.workDirectory;
  }

  /** Container names, in the order of the JSON. */
  public get containerNames(): string[] {
    return this.plan.containers.map((c) => c.name);
  }

  /**
   * Creates volumes and containers (in parallel, each after those it depends on) and waits until every
   * container is healthy, or has exited 0 when it runs once (at most `healthTimeoutMs` each, default 120 s).
   */
  public async up(options: { healthTimeoutMs?: number } = {}): Promise<void> {
    await this.checkImages(this.plan);
    // Leftovers of a killed run would make `docker create` fail or hand us an old queue.
    await Promise.all(this.plan.containers.map((c) => this.removeContainer(c.name)));
    await Promise.all(this.plan.volumes.map((v) => this.removeVolume(v)));
    await Promise.all(this.plan.volumes.map((v) => this.createVolume(v)));
    await this.startInOrder(this.plan.containers, options.healthTimeoutMs);
  }

  /**
   * Applies a changed configuration as `terraform apply` does: a container whose planned attributes changed
   * is replaced (removed, then created again: the docker provider never updates one in place), one that did
   * not change keeps running untouched, one the new stack drops is removed. Volumes the new stack keeps are
   * kept with their content, new ones created, dropped ones removed. Returns the names of the containers it
   * replaced or created and of those it kept.
   */
  public async apply(cdkTfJson: string | object, workingDirectory?: string): Promise<{ replaced: string[]; kept: string[] }> {
    return this.transition(cdkTfJson, workingDirectory, (old, next) => JSON.stringify(old) === JSON.stringify(next));
  }

  /** Like apply(), but replaces every container, as a change of every container's settings would. */
  public async replace(cdkTfJson: string | object, workingDirectory?: string): Promise<void> {
    await this.transition(cdkTfJson, workingDirectory, () => false);
  }

  private async transition(
    cdkTfJson: string | object,
    workingDirectory: string | undefined,
    unchanged: (old: ContainerPlan, next: ContainerPlan) => boolean,
  ): Promise<{ replaced: string[]; kept: string[] }> {
    const next = planStack(cdkTfJson, workingDirectory);
    checkNoOutboundDelivery(next);
    await this.checkImages(next);
    const previous = new Map(this.plan.containers.map((c) => [c.resource, c]));
    const kept = next.containers.filter((c) => previous.has(c.resource) && unchanged(previous.get(c.resource)!, c));
    const keptResources = new Set(kept.map((c) => c.resource));
    const keepVolumes = new Set(next.volumes);
    await Promise.all(this.plan.containers.filter((c) => !keptResources.has(c.resource)).map((c) => this.removeContainer(c.name)));
    await Promise.all(next.containers.filter((c) => !keptResources.has(c.resource)).map((c) => this.removeContainer(c.name)));
    await Promise.all(this.plan.volumes.filter((v) => !keepVolumes.has(v)).map((v) => this.removeVolume(v)));
    await Promise.all(next.volumes.filter((v) => !this.created.volumes.has(v)).map((v) => this.createVolume(v)));
    this.plan = next;
    const replaced = next.containers.filter((c) => !keptResources.has(c.resource));
    await this.startInOrder(replaced);
    return { replaced: replaced.map((c) => c.name), kept: kept.map((c) => c.name) };
  }

  /** Starts `containers`, each once those of them it depends on are healthy (or have exited 0). */
  private async startInOrder(containers: readonly ContainerPlan[], healthTimeoutMs?: number): Promise<void> {
    const started = new Map<string, Promise<void>>();
    const start = (plan: ContainerPlan): Promise<void> => {
      let done = started.get(plan.resource);
      if (!done) {
        const before = containers.filter((c) => plan.dependsOn.includes(c.resource));
        done = Promise.all(before.map(start)).then(() => this.startContainer(plan, healthTimeoutMs));
        started.set(plan.resource, done);
      }
      return done;
    };
    await Promise.all(containers.map(start));
  }

  /** Removes every container and volume this harness created. Safe to call twice. */
  public async destroy(): Promise<void> {
    const errors: string[] = [];
    await Promise.all(
      [...this.created.containers].map((c) => this.removeContainer(c).catch((e: Error) => void errors.push(e.message))),
    );
    await Promise.all([...this.created.volumes].map((v) => this.removeVolume(v).catch((e: Error) => void errors.push(e.message))));
    if (errors.length === 0) {
      this.reaper.stop();
      if (this.workDirectory !== undefined) rmSync(this.workDirectory, { recursive: true, force: true });
      this.workDirectory = undefined;
    }
    if (errors.length > 0) throw new Error(`cleanup failed: ${errors.join('; ')}`);
  }

  /** Postfix's log (maillog_file = /dev/stdout), then the entrypoint's messages (stderr). */
  public async logs(container: string): Promise<string> {
    const { stdout, stderr } = await this.rawLogs(container);
    return redact(stdout + stderr);
  }

  /**
   * Postfix log text written after this call: `const since = await h.logCursor(c); ...; await since(/x/)`.
   * With a pattern, waits (up to `timeoutMs`) until the new text matches it, because postlogd writes
   * asynchronously; the text is returned either way, so a failing assertion shows what was logged.
   */
  public async logCursor(container: string): Promise<(until?: RegExp, timeoutMs?: number) => Promise<string>> {
    const start = (await this.rawLogs(container)).stdout.length;
    return async (until?: RegExp, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = redact((await this.rawLogs(container)).stdout.slice(start));
        if (!until || until.test(text) || Date.now() > deadline) return text;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
  }

  private async rawLogs(container: string): Promise<{ stdout: string; stderr: string }> {
    const result = await run('docker', ['logs', container], { timeoutMs: 30_000 });
    if (result.code !== 0) throw new Error(`docker logs ${container} failed: ${result.stderr.trim()}`);
    return result;
  }

  /** Runs a command in the container. */
  public exec(container: string, argv: readonly string[], options: ExecOptions = {}): Promise<CommandResult> {
    const args = ['exec', ...(options.input !== undefined ? ['-i'] : []), ...(options.user ? ['-u', options.user] : []), container, ...argv];
    return run('docker', args, { input: options.input, timeoutMs: options.timeoutMs ?? 60_000 });
  }

  /** Runs a command in the container and returns stdout; throws when it fails. */
  public async execOk(container: string, argv: readonly string[], options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(container, argv, options);
    if (result.code !== 0) throw new Error(`${argv.join(' ')} in ${container} exited ${result.code}: ${redact(result.stderr.trim())}`);
    return result.stdout;
  }

  /** The id of a running container (changes when it is replaced). */
  public async containerId(container: string): Promise<string> {
    return (await docker(['inspect', '-f', '{{.Id}}', container], `inspect ${container}`)).trim();
  }

  private async checkImages(plan: StackPlan): Promise<void> {
    for (const image of new Set(plan.containers.map((c) => c.image))) {
      const result = await run('docker', ['image', 'inspect', '-f', '{{.Id}}', image]);
      if (result.code !== 0) {
        throw new Refusal(`harness refuses image ${image}: it is not present on the local engine (build it with scripts/setup-docker.sh; the harness never pulls or builds)`);
      }
    }
  }

  private track(): void {
    this.reaper.update([...this.created.containers], [...this.created.volumes]);
  }

  private async createVolume(name: string): Promise<void> {
    this.created.volumes.add(name);
    this.track();
    await docker(['volume', 'create', '--label', `${HARNESS_LABEL}=${process.pid}`, name], `creating volume ${name}`);
  }

  private async removeVolume(name: string): Promise<void> {
    const result = await run('docker', ['volume', 'rm', '-f', name]);
    if (result.code !== 0 && !/no such volume/i.test(result.stderr)) throw new Error(`removing volume ${name} failed: ${result.stderr.trim()}`);
    this.created.volumes.delete(name);
    this.track();
  }

  private async removeContainer(name: string): Promise<void> {
    const result = await run('docker', ['rm', '-f', '-v', name]);
    if (result.code !== 0 && !/no such container/i.test(result.stderr)) throw new Error(`removing container ${name} failed: ${result.stderr.trim()}`);
    this.created.containers.delete(name);
    this.track();
  }

  private async startContainer(plan: ContainerPlan, healthTimeoutMs = HEALTH_TIMEOUT_MS): Promise<void> {
    const args = [
      'create',
      '--name', plan.name,
      '--network', 'host',
      '--label', `${HARNESS_LABEL}=${process.pid}`,
      ...(plan.restart ? ['--restart', plan.restart] : []),
      ...plan.volumes.flatMap((v) => ['--mount', `type=volume,source=${v.volumeName},target=${v.containerPath}${v.readOnly ? ',readonly' : ''}`]),
      ...(plan.healthcheck?.flags ?? []),
      plan.image,
      ...plan.command,
    ];
    this.created.containers.add(plan.name);
    this.track();
    await docker(args, `creating container ${plan.name}`);
    if (plan.uploads.length > 0) await this.upload(plan);
    await docker(['start', plan.name], `starting container ${plan.name}`);
    if (plan.mustRun) await this.waitHealthy(plan, healthTimeoutMs);
    else await this.waitExited(plan);
  }

  /** A container that runs once: done when it exited 0. */
  private async waitExited(plan: ContainerPlan): Promise<void> {
    const deadline = Date.now() + EXIT_TIMEOUT_MS;
    for (;;) {
      const state = JSON.parse(await docker(['inspect', '-f', '{{json .State}}', plan.name], `inspecting ${plan.name}`)) as { Status: string; ExitCode: number };
      if (state.Status === 'exited' || state.Status === 'dead') {
        if (state.ExitCode === 0) return;
        throw new Error(`container ${plan.name}, which runs once, exited ${state.ExitCode}.\n${await this.logTail(plan.name)}`);
      }
      if (Date.now() > deadline) throw new Error(`container ${plan.name}, which runs once, did not exit within ${EXIT_TIMEOUT_MS / 1000}s.\n${await this.logTail(plan.name)}`);
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }

  /** Stages every upload under one directory and copies them with a single `tar | docker cp - NAME:/`. */
  private async upload(plan: ContainerPlan): Promise<void> {
    const stage = mkdtempSync(join(this.workDir, `${plan.name}-`));
    try {
      const list: string[] = [];
      for (const upload of plan.uploads) {
        const relative = posix.normalize(upload.file).replace(/^\/+/, '');
        const target = join(stage, relative);
        mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
        const data = upload.source !== undefined ? readFileSync(upload.source) : (upload.bytes ?? Buffer.from(upload.content ?? '', 'utf8'));
        writeFileSync(target, data, { mode: 0o600 });
        execFileSync('chmod', [upload.mode.toString(8), target]);
        list.push(relative);
      }
      const listFile = `${stage}.files`;
      writeFileSync(listFile, `${list.join('\n')}\n`);
      // Only file entries: the engine creates missing parent directories (root, 0755) as it does for the
      // provider's uploads, and existing directories keep their owner and mode.
      await new Promise<void>((resolvePromise, reject) => {
        const tar = spawn('tar', ['-C', stage, '-cf', '-', '--owner=0', '--group=0', '--numeric-owner', '--no-recursion', '-T', listFile], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const cp = spawn('docker', ['cp', '-', `${plan.name}:/`], { stdio: ['pipe', 'ignore', 'pipe'] });
        let errors = '';
        tar.stderr.on('data', (d: Buffer) => (errors += d.toString()));
        cp.stderr.on('data', (d: Buffer) => (errors += d.toString()));
        tar.stdout.pipe(cp.stdin);
        let pending = 2;
        const done = (who: string) => (code: number | null) => {
          if (code !== 0) reject(new Error(`uploading files into ${plan.name} failed (${who} exited ${code}): ${redact(errors.trim())}`));
          else if (--pending === 0) resolvePromise();
        };
        tar.on('close', done('tar'));
        cp.on('close', done('docker cp'));
        tar.on('error', reject);
        cp.on('error', reject);
      });
    } finally {
      rmSync(stage, { recursive: true, force: true });
      rmSync(`${stage}.files`, { force: true });
    }
  }

  private async waitHealthy(plan: ContainerPlan, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      // One `docker inspect` per poll: with many containers starting at once, the CLI calls are a real CPU cost.
      const { State: state, RestartCount: restartCount } = JSON.parse(
        await docker(['inspect', '-f', '{"State":{{json .State}},"RestartCount":{{.RestartCount}}}', plan.name], `inspecting ${plan.name}`),
      ) as {
        State: { Status: string; ExitCode: number; Restarting: boolean; Health?: { Status: string; Log?: { Output: string; ExitCode: number }[] } };
        RestartCount: number;
      };
      if (state.Status === 'exited' || state.Status === 'dead' || state.Restarting || restartCount > 0) {
        throw new Error(`container ${plan.name} stopped (status ${state.Status}, exit code ${state.ExitCode}, restarts ${restartCount}) before it was healthy.\n${await this.logTail(plan.name)}`);
      }
      if (!plan.healthcheck || plan.healthcheck.flags.includes('--no-healthcheck')) {
        if (state.Status === 'running') return;
      } else if (state.Health?.Status === 'healthy') {
        return;
      }
      const probes = state.Health?.Log ?? [];
      if (probes.length > 0) last = probes[probes.length - 1].Output.trim();
      if (Date.now() > deadline) {
        throw new Error(
          `container ${plan.name} was not healthy after ${timeoutMs / 1000}s (health ${state.Health?.Status ?? 'none'}, last probe: ${last || 'none yet'}).\n${await this.logTail(plan.name)}`,
        );
      }
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }

  private async logTail(name: string): Promise<string> {
    const result = await run('docker', ['logs', '--tail', String(LOG_TAIL_LINES), name]);
    return `--- last ${LOG_TAIL_LINES} log lines of ${name} ---\n${redact((result.stdout + result.stderr).trim())}`;
  }
}
