import { ConfigError } from './diagnostics';
import { integer, parameterName, postfixSyntax, quote, safeText, word } from './values';

/** The second column of master.cf. */
export type MasterServiceType = 'inet' | 'unix' | 'unix-dgram' | 'fifo' | 'pass';

/** A `-o name=value` override of a main.cf parameter for one service. */
export interface MasterOverride {
  readonly name: string;
  readonly value: string;
}

/** One master.cf service: the 8 columns plus `-o` overrides. Unset columns render as `-`. */
export interface MasterService {
  /** Service name, or `ADDRESS:PORT` / `PORT` for an inet service that listens on one address. */
  readonly name: string;
  readonly type: MasterServiceType;
  readonly private?: boolean;
  readonly unprivileged?: boolean;
  readonly chroot?: boolean;
  /** Wake-up time in seconds, `N` or `N?`. */
  readonly wakeup?: string;
  readonly maxProcesses?: number;
  readonly command: string;
  /** Extra command arguments after the `-o` overrides (e.g. `flags=... argv=...` of pipe). */
  readonly args?: readonly string[];
  readonly overrides?: readonly MasterOverride[];
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const INET_HOST = new RegExp(`^(?:\\[[0-9A-Fa-f:.]+\\]|${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}|[A-Za-z][A-Za-z0-9.-]*)$`);
const TYPES: readonly MasterServiceType[] = ['inet', 'unix', 'unix-dgram', 'fifo', 'pass'];

/** Checks a service name; `host:port` only for inet services. */
export function checkServiceName(name: string, type: MasterServiceType): void {
  // A unix service is a socket path (sun_path holds 108 bytes); no name needs more than 100 characters.
  if (name.length > 100) throw new ConfigError(`master.cf service name ${quote(name)} is longer than 100 characters`);
  const colon = name.lastIndexOf(':');
  if (type === 'inet' && colon > 0) {
    const host = name.slice(0, colon);
    const port = name.slice(colon + 1);
    if (!INET_HOST.test(host) || !(SERVICE_NAME.test(port))) {
      throw new ConfigError(
        `master.cf service ${quote(name)} is not ADDRESS:PORT: use e.g. 127.0.0.1:2525 or [::1]:587`,
      );
    }
    if (/^\d+$/.test(port)) integer(`port of service ${name}`, Number(port), 1, 65535);
    return;
  }
  if (!SERVICE_NAME.test(name)) {
    throw new ConfigError(
      `master.cf service name ${quote(name)} is invalid: use letters, digits, '.', '_' and '-' (or ADDRESS:PORT for inet services)`,
    );
  }
}

function yesNoDash(value: boolean | undefined): string {
  return value === undefined ? '-' : value ? 'y' : 'n';
}

/** `-o name=value`, or the long form `-o { name = value }` when the value has spaces (Postfix 3.0+). */
function renderOverride(service: string, { name, value }: MasterOverride): string {
  parameterName(name);
  safeText(`-o ${name} of service ${service}`, value);
  postfixSyntax(`-o ${name} of service ${service}`, value);
  if (value === '') return `-o { ${name} = }`;
  if (/[\s{}]/.test(value)) return `-o { ${name} = ${value} }`;
  return `-o ${name}=${value}`;
}

function renderService(service: MasterService): string {
  checkServiceName(service.name, TYPES.includes(service.type) ? service.type : 'unix');
  if (!TYPES.includes(service.type)) {
    throw new ConfigError(`master.cf service ${service.name} has unknown type ${quote(service.type)}`);
  }
  if (service.wakeup !== undefined && !/^\d+\??$/.test(service.wakeup)) {
    throw new ConfigError(`wakeup of service ${service.name} must be N or N? (seconds), not ${quote(service.wakeup)}`);
  }
  const maxproc =
    service.maxProcesses === undefined ? '-' : integer(`maxproc of service ${service.name}`, service.maxProcesses, 0, 100000);
  const columns = [
    service.name.padEnd(10),
    service.type.padEnd(5),
    yesNoDash(service.private).padEnd(7),
    yesNoDash(service.unprivileged).padEnd(7),
    yesNoDash(service.chroot).padEnd(7),
    (service.wakeup ?? '-').padEnd(7),
    maxproc.padEnd(7),
    word(`command of service ${service.name}`, service.command),
  ];
  const lines = [columns.join(' ')];
  const seen = new Set<string>();
  for (const override of service.overrides ?? []) {
    if (seen.has(override.name)) throw new ConfigError(`-o ${override.name} is set twice for service ${service.name}: Postfix keeps only the last`);
    seen.add(override.name);
    lines.push(`  ${renderOverride(service.name, override)}`);
  }
  for (const arg of service.args ?? []) {
    if (arg === '' || arg.startsWith('#') || arg.startsWith('{') || arg === '-o' || /\s/.test(arg)) {
      throw new ConfigError(`argument ${quote(arg)} of service ${service.name} must be one master.cf word: not empty, no whitespace, not '-o', not starting with '#' or '{'`);
    }
    postfixSyntax(`argument of service ${service.name}`, arg);
    lines.push(`  ${safeText(`argument of service ${service.name}`, arg)}`);
  }
  return lines.join('\n');
}

/** Renders master.cf with a header comment; services keep their given order. */
export function renderMasterCf(header: string, services: readonly MasterService[]): string {
  const seen = new Set<string>();
  for (const service of services) {
    const key = `${service.name}/${service.type}`;
    if (seen.has(key)) throw new ConfigError(`master.cf service ${key} is defined twice`);
    seen.add(key);
  }
  const title = [
    `# ${safeText('master.cf header', header)}`,
    '# service type  private unpriv  chroot  wakeup  maxproc command + args',
  ];
  return `${[...title, ...services.map(renderService)].join('\n')}\n`;
}
