import fc from 'fast-check';
import { ConfigError } from '../../lib/diagnostics';
import { lookupTable, TABLE_TYPES, TableEntry, TableType } from '../../lib/lookup-table';
import { MainCfSection, renderMainCf } from '../../lib/main-cf';
import { MasterService, MasterServiceType, renderMasterCf } from '../../lib/master-cf';
import { hostileText, listOf, listWithHostile, validFingerprint, validParameterName, validText, validWord, withHostile } from './arbitraries';
import { Problem, kindOf, showValue, Verdict } from './harness';
import { clearErrorProblem, expansions, parseInlineTable, parseMainCf, parseMasterCf, parseTableSource, ParsedService } from './oracle';

/**
 * Hostile input into the pure renderers: renderMainCf (header, titles, names, values), renderMasterCf (service
 * names, types, columns, command, arguments, `-o` names and values) and lookupTable (name, type, keys,
 * values). These are the layer every construct prop ends in; each case must end in a ConfigError that says
 * what is wrong, or in text that reads back exactly as given.
 */

function refused(error: unknown, mentions: RegExp): Verdict {
  if (!(error instanceof ConfigError)) {
    throw new Problem(`threw ${(error as Error)?.name ?? typeof error} instead of a ConfigError`, String((error as Error)?.stack ?? error));
  }
  const problem = clearErrorProblem(error, mentions);
  if (problem) throw new Problem(`unclear error: ${kindOf(problem)}`, problem);
  return 'refused';
}

function mismatch(what: string, detail: string): never {
  throw new Problem(`rendered into something Postfix reads differently: ${what}`, detail);
}

// ---------------------------------------------------------------- main.cf

export interface MainCfInput {
  readonly header: string;
  readonly sections: readonly MainCfSection[];
}

const parameterPool = fc.constantFrom('smtpd_banner', 'notify_classes', 'message_size_limit', 'smtpd_client_restrictions', 'myorigin');

export const mainCfInput: fc.Arbitrary<MainCfInput> = fc.record({
  header: fc.oneof({ weight: 3, arbitrary: fc.constant('Rendered by a property test') }, { weight: 1, arbitrary: withHostile(validText) }),
  sections: fc.array(
    fc.record({
      title: fc.oneof({ weight: 3, arbitrary: fc.constant('Section') }, { weight: 1, arbitrary: withHostile(validText) }),
      parameters: fc.array(
        fc.record({
          name: fc.oneof({ weight: 3, arbitrary: parameterPool }, { weight: 1, arbitrary: withHostile(validParameterName) }),
          value: withHostile(validText),
        }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 3 },
  ),
});

export function evaluateMainCf(input: MainCfInput): Verdict {
  let text: string;
  try {
    text = renderMainCf(input.header, input.sections);
  } catch (e) {
    return refused(e, /main\.cf|parameter|value of/);
  }
  const intended = new Map<string, string>();
  for (const { name, value } of input.sections.flatMap((s) => s.parameters)) {
    if (intended.has(name)) mismatch('a parameter set twice was rendered', name);
    intended.set(name, value);
  }
  let read: Map<string, string>;
  try {
    read = parseMainCf(text);
  } catch (e) {
    return mismatch(kindOf((e as Error).message), (e as Error).message);
  }
  for (const name of new Set([...read.keys(), ...intended.keys()])) {
    if (read.get(name) !== intended.get(name)) {
      mismatch(`main.cf ${name}`, `read back ${JSON.stringify(read.get(name))}, intended ${JSON.stringify(intended.get(name))}`);
    }
  }
  return 'rendered';
}

// ---------------------------------------------------------------- master.cf

const serviceName = fc.constantFrom('smtp', 'submission', 'submissions', 'relay', 'amavis', '127.0.0.1:2525', '[::1]:587', 'mx.example.com:smtp', '2525', 'x.y-z_1');
const serviceType = fc.constantFrom<MasterServiceType>('inet', 'unix', 'unix-dgram', 'fifo', 'pass');
const overrideName = fc.constantFrom('syslog_name', 'smtpd_tls_security_level', 'smtpd_relay_restrictions', 'smtpd_sasl_auth_enable', 'smtpd_banner', 'content_filter');
const overrideValue = fc.oneof(
  validText,
  fc.constantFrom('postfix/$service_name', 'permit_sasl_authenticated,reject', 'permit_sasl_authenticated, check_ccert_access inline:{ AA:BB=OK }, reject', '{x}'),
);
const argument = fc.constantFrom('flags=DRhu', 'user=vmail', 'argv=/usr/bin/procmail', '${recipient}', '-d', 'x=y', '{ a b }', '-o');

interface ServiceParts {
  readonly name: fc.Arbitrary<string>;
  readonly type: fc.Arbitrary<MasterServiceType>;
  readonly wakeup: fc.Arbitrary<string>;
  readonly maxProcesses: fc.Arbitrary<number>;
  readonly command: fc.Arbitrary<string>;
  readonly args: fc.Arbitrary<string[]>;
  readonly overrides: fc.Arbitrary<{ name: string; value: string }[]>;
}

const VALID_PARTS: ServiceParts = {
  name: serviceName,
  type: serviceType,
  wakeup: fc.constantFrom('60', '300', '1000?'),
  maxProcesses: fc.integer({ min: 0, max: 1000 }),
  command: fc.constantFrom('smtpd', 'pipe', 'smtp', 'trivial-rewrite'),
  args: listOf(fc.constantFrom('flags=DRhu', 'user=vmail', 'argv=/usr/bin/procmail', '${recipient}', '-d', 'x=y'), 2),
  overrides: fc.uniqueArray(fc.record({ name: overrideName, value: overrideValue }), { maxLength: 3, selector: (o) => o.name }),
};

function services(parts: Partial<ServiceParts>): fc.Arbitrary<{ header: string; services: MasterService[] }> {
  const p = { ...VALID_PARTS, ...parts };
  return fc.record({
    header: fc.oneof({ weight: 4, arbitrary: fc.constant('Rendered by a property test') }, { weight: 1, arbitrary: withHostile(validText) }),
    services: fc.array(
      fc.record({
        name: p.name,
        type: p.type,
        private: fc.option(fc.boolean(), { nil: undefined }),
        unprivileged: fc.option(fc.boolean(), { nil: undefined }),
        chroot: fc.option(fc.boolean(), { nil: undefined }),
        wakeup: fc.option(p.wakeup, { nil: undefined }),
        maxProcesses: fc.option(p.maxProcesses, { nil: undefined }),
        command: p.command,
        args: p.args,
        overrides: p.overrides,
      }),
      { minLength: 1, maxLength: 2 },
    ),
  });
}

/** renderMasterCf inputs, hostile in one part of the services at a time. */
export const MASTER_CF_CASES: readonly { id: string; arbitrary: fc.Arbitrary<{ header: string; services: MasterService[] }> }[] = [
  {
    id: 'renderMasterCf service names+types+columns',
    arbitrary: services({
      name: fc.oneof({ weight: 2, arbitrary: serviceName }, { weight: 3, arbitrary: withHostile(serviceName) }),
      type: fc.oneof({ weight: 6, arbitrary: serviceType }, { weight: 1, arbitrary: hostileText as fc.Arbitrary<MasterServiceType> }),
      wakeup: fc.oneof({ weight: 3, arbitrary: VALID_PARTS.wakeup }, { weight: 1, arbitrary: withHostile(fc.constant('60')) }),
      maxProcesses: fc.oneof({ weight: 3, arbitrary: VALID_PARTS.maxProcesses }, { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, NaN, Infinity, 1e21, -0, 100001) }),
    }),
  },
  {
    id: 'renderMasterCf command+arguments',
    arbitrary: services({
      command: fc.oneof({ weight: 2, arbitrary: VALID_PARTS.command }, { weight: 1, arbitrary: withHostile(fc.constant('smtpd')) }),
      args: listWithHostile(argument, withHostile(argument)),
    }),
  },
  {
    id: 'renderMasterCf -o names+values',
    arbitrary: services({
      overrides: listWithHostile(
        fc.record({ name: overrideName, value: overrideValue }),
        fc.oneof(fc.record({ name: withHostile(validParameterName), value: overrideValue }), fc.record({ name: overrideName, value: withHostile(overrideValue) })),
      ),
    }),
  },
];

function column(value: boolean | undefined): string {
  return value === undefined ? '-' : value ? 'y' : 'n';
}

export function evaluateMasterCf(input: { header: string; services: MasterService[] }): Verdict {
  let text: string;
  try {
    text = renderMasterCf(input.header, input.services);
  } catch (e) {
    return refused(e, /service|master\.cf|-o |argument|wakeup|maxproc|command|parameter name/);
  }
  let read: ParsedService[];
  try {
    read = parseMasterCf(text);
  } catch (e) {
    return mismatch(kindOf((e as Error).message), (e as Error).message);
  }
  if (read.length !== input.services.length) mismatch('number of services', `read ${read.length}, intended ${input.services.length}`);
  input.services.forEach((service, i) => {
    const got = read[i];
    const want = [service.name, service.type, column(service.private), column(service.unprivileged), column(service.chroot), service.wakeup ?? '-', service.maxProcesses === undefined ? '-' : String(service.maxProcesses), service.command, [...(service.args ?? [])]];
    const have = [got.name, got.type, got.private, got.unprivileged, got.chroot, got.wakeup, got.maxProcesses, got.command, got.args];
    if (JSON.stringify(have) !== JSON.stringify(want)) mismatch('service columns or arguments', `read ${JSON.stringify(have)}, intended ${JSON.stringify(want)}`);
    const names = (service.overrides ?? []).map((o) => o.name);
    if (new Set(names).size !== names.length) {
      mismatch('-o set twice for one service', `${service.name}: ${names.join(', ')} (postconf -P and smtpd keep only the last)`);
    }
    const wantOverrides = JSON.stringify((service.overrides ?? []).map((o) => [o.name, o.value]));
    if (JSON.stringify(got.overrides) !== wantOverrides) mismatch('-o overrides', `read ${JSON.stringify(got.overrides)}, intended ${wantOverrides}`);
  });
  return 'rendered';
}

// ---------------------------------------------------------------- lookup tables

export interface TableInput {
  readonly name: string;
  readonly type: TableType;
  readonly entries: readonly TableEntry[];
}

const tableKey = fc.oneof(validFingerprint, fc.constantFrom('AA:BB', 'aa:bb', 'user@example.com', 'example.com', '192.0.2.1', 'İ', 'i̇', 'ß', 'SS', 'ss', 'K', 'K'));
const tableValue = fc.oneof(validWord, fc.constantFrom('OK', 'REJECT not welcome', '550 5.7.1 go away', 'lutzpc', '#not a comment', 'x=y', 'a,b'));

const inlineValue = fc.constantFrom('OK', 'lutzpc', 'REJECT', 'x#y', 'DUNNO', 'client-1.example.com');
const fileTableType = fc.constantFrom<TableType>('texthash', 'hash', 'lmdb', 'btree');
const tableName = fc.constantFrom('relay_clientcerts', 'ccert_access', 'x.y-z');

/** lookupTable inputs, hostile in one part at a time. */
export const TABLE_CASES: readonly { id: string; arbitrary: fc.Arbitrary<TableInput> }[] = [
  {
    id: 'lookupTable name+type',
    arbitrary: fc.record({
      name: fc.oneof({ weight: 1, arbitrary: tableName }, { weight: 2, arbitrary: withHostile(tableName) }),
      type: fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...TABLE_TYPES) }, { weight: 1, arbitrary: withHostile(fc.constantFrom(...TABLE_TYPES)) as fc.Arbitrary<TableType> }),
      entries: listOf(fc.record({ key: tableKey, value: inlineValue }), 2),
    }),
  },
  {
    id: 'lookupTable keys',
    arbitrary: fc.record({
      name: tableName,
      type: fc.constantFrom(...TABLE_TYPES),
      entries: listWithHostile(fc.record({ key: tableKey, value: inlineValue }), fc.record({ key: withHostile(tableKey), value: inlineValue })),
    }),
  },
  {
    id: 'lookupTable values of file tables',
    arbitrary: fc.record({
      name: tableName,
      type: fileTableType,
      entries: listWithHostile(fc.record({ key: tableKey, value: tableValue }), fc.record({ key: tableKey, value: withHostile(tableValue) })),
    }),
  },
  {
    id: 'lookupTable values of inline tables',
    arbitrary: fc.record({
      name: tableName,
      type: fc.constant<TableType>('inline'),
      entries: listWithHostile(fc.record({ key: tableKey, value: inlineValue }), fc.record({ key: tableKey, value: withHostile(inlineValue) })),
    }),
  },
];

export function evaluateTable(input: TableInput): Verdict {
  let table: ReturnType<typeof lookupTable>;
  try {
    table = lookupTable(input.name, input.type, input.entries);
  } catch (e) {
    return refused(e, /table/);
  }
  // Postfix folds UTF-8 keys with full case folding (smtputf8_enable = yes): upper-then-lower approximates it.
  const folds = input.entries.map((e) => e.key.toUpperCase().toLowerCase());
  const collision = folds.find((k, i) => folds.indexOf(k) !== i);
  if (collision !== undefined) mismatch('keys Postfix folds to one entry', `${showValue(input.entries.map((e) => e.key))} (postmap: "duplicate entry")`);
  if (input.entries.some((e) => e.key.endsWith(':'))) mismatch("key ending in ':'", 'postmap warns "record is in "key: value" format; is this an alias file?"');
  const intended = input.entries.map((e) => [e.key.toLowerCase(), e.value]);
  const folded = (entries: readonly (readonly [string, string])[]): string => JSON.stringify(entries.map(([k, v]) => [k.toLowerCase(), v]));
  if (input.type === 'inline') {
    if (table.file) mismatch('inline table with a file', table.reference);
    // The reference lands in main.cf: it must survive main.cf and say exactly these entries, unexpanded.
    let read: Map<string, string>;
    try {
      read = parseMainCf(renderMainCf('probe', [{ title: 'probe', parameters: [{ name: 'relay_clientcerts', value: table.reference }] }]));
    } catch (e) {
      return mismatch(`inline reference does not render into main.cf: ${kindOf((e as Error).message)}`, (e as Error).message);
    }
    const value = read.get('relay_clientcerts') ?? '';
    const refs = expansions(value);
    if (refs.length > 0) mismatch('inline table in main.cf holds a $ that Postfix expands', `${JSON.stringify(value)}: ${refs.join(' ')}`);
    const entries = parseInlineTable(value);
    if (!entries || folded(entries) !== JSON.stringify(intended)) mismatch('inline table entries', `read ${JSON.stringify(entries)}, intended ${JSON.stringify(intended)}`);
    return 'rendered';
  }
  const path = `/etc/postfix/tables/${input.name}`;
  if (table.reference !== `${input.type}:${path}` || table.file?.path !== path) mismatch('table reference', `${table.reference} ${table.file?.path}`);
  if (table.needsPostmap !== (input.type !== 'texthash')) mismatch('needsPostmap', String(table.needsPostmap));
  let entries: [string, string][];
  try {
    entries = parseTableSource(table.file.content);
  } catch (e) {
    return mismatch(kindOf((e as Error).message), (e as Error).message);
  }
  if (folded(entries) !== JSON.stringify(intended)) mismatch('table entries', `read ${JSON.stringify(entries)}, intended ${JSON.stringify(intended)}`);
  return 'rendered';
}
