import { ConfigError } from '../../lib/diagnostics';
import { checkServiceName, MasterService, MasterServiceType, renderMasterCf } from '../../lib/master-cf';
import { internalServices } from '../../lib/postfix-services';
import { describeIfPostconf, postconfCheck } from '../helpers/postconf';

const MAIN_CF = 'compatibility_level = 3.6\n';

/** The logical lines of a rendered master.cf: comments dropped, continuation lines joined like Postfix does. */
function logicalLines(masterCf: string): string[] {
  const out: string[] = [];
  for (const line of masterCf.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (/^\s/.test(line)) out[out.length - 1] += ` ${line.trim()}`;
    else out.push(line);
  }
  return out.map((l) => l.split(/\s+/).join(' '));
}

function one(service: MasterService): string[] {
  return renderMasterCf('h', [service]).split('\n');
}

describe('renderMasterCf format', () => {
  test('header, column title, then the 8 columns with unset columns as "-"', () => {
    const text = renderMasterCf('Rendered for test', [{ name: 'smtp', type: 'inet', command: 'smtpd' }]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('# Rendered for test');
    expect(lines[1]).toMatch(/^# service type\s+private unpriv\s+chroot\s+wakeup\s+maxproc command \+ args$/);
    expect(lines[2].split(/\s+/)).toEqual(['smtp', 'inet', '-', '-', '-', '-', '-', 'smtpd']);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });

  test('booleans render as y/n, wakeup and maxproc as given', () => {
    const [, , line] = one({
      name: 'pickup', type: 'unix', private: false, unprivileged: true, chroot: true, wakeup: '60', maxProcesses: 1, command: 'pickup',
    });
    expect(line.split(/\s+/)).toEqual(['pickup', 'unix', 'n', 'y', 'y', '60', '1', 'pickup']);
  });

  test('columns line up for names up to 10 characters', () => {
    const text = renderMasterCf('h', [
      { name: 'smtp', type: 'inet', command: 'smtpd' },
      { name: 'submission', type: 'inet', command: 'smtpd' },
    ]);
    const [a, b] = text.split('\n').slice(2);
    expect(a.indexOf('inet')).toBe(b.indexOf('inet'));
    expect(a.indexOf('smtpd')).toBe(b.indexOf('smtpd'));
  });

  test('services keep the given order', () => {
    const names = ['qmgr', 'pickup', 'cleanup'];
    const text = renderMasterCf('h', names.map((name) => ({ name, type: 'unix' as const, command: name })));
    expect(logicalLines(text).map((l) => l.split(' ')[0])).toEqual(names);
  });

  test('"-o name=value" for simple values, one per continuation line, in order, then args', () => {
    const lines = one({
      name: 'submission',
      type: 'inet',
      command: 'smtpd',
      overrides: [
        { name: 'syslog_name', value: 'postfix/submission' },
        { name: 'smtpd_tls_security_level', value: 'encrypt' },
        { name: 'smtpd_relay_restrictions', value: 'permit_sasl_authenticated,reject' },
      ],
      args: ['-v'],
    });
    expect(lines.slice(3)).toEqual([
      '  -o syslog_name=postfix/submission',
      '  -o smtpd_tls_security_level=encrypt',
      '  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject',
      '  -v',
      '',
    ]);
  });

  test('the long form "-o { name = value }" when the value has spaces', () => {
    const lines = one({
      name: 'submission',
      type: 'inet',
      command: 'smtpd',
      overrides: [{ name: 'smtpd_relay_restrictions', value: 'permit_sasl_authenticated, reject' }],
    });
    expect(lines[3]).toBe('  -o { smtpd_relay_restrictions = permit_sasl_authenticated, reject }');
  });

  test('the long form for an empty value (a bare "-o name=" is legal but easy to misread)', () => {
    const lines = one({ name: 'smtp', type: 'inet', command: 'smtpd', overrides: [{ name: 'smtpd_sasl_path', value: '' }] });
    expect(lines[3]).toMatch(/^ {2}-o \{ smtpd_sasl_path = +\}$/);
  });

  test('"$name" references stay literal in overrides (relay uses postfix/$service_name)', () => {
    const lines = one({ name: 'relay', type: 'unix', command: 'smtp', overrides: [{ name: 'syslog_name', value: 'postfix/$service_name' }] });
    expect(lines[3]).toBe('  -o syslog_name=postfix/$service_name');
  });

  test.each<[string, MasterServiceType]>([
    ['127.0.0.1:2525', 'inet'],
    ['[::1]:587', 'inet'],
    ['[2001:db8::25]:25', 'inet'],
    ['localhost:10025', 'inet'],
    ['127.0.0.1:smtp', 'inet'],
    ['2525', 'inet'],
    ['submission', 'inet'],
    ['postlog', 'unix-dgram'],
    ['public_pipe', 'fifo'],
    ['postscreen_pass', 'pass'],
  ])('accepts the service name %j for %s', (name, type) => {
    expect(() => checkServiceName(name, type)).not.toThrow();
    expect(logicalLines(renderMasterCf('h', [{ name, type, command: 'smtpd' }]))[0].split(' ').slice(0, 2)).toEqual([name, type]);
  });

  test.each(['60', '1000?', '0'])('renders the wakeup %j as given', (wakeup) => {
    expect(logicalLines(renderMasterCf('h', [{ name: 'tlsmgr', type: 'unix', wakeup, command: 'tlsmgr' }]))[0].split(' ')[5]).toBe(wakeup);
  });
});

describe('renderMasterCf refusals', () => {
  test.each<[string, string, MasterServiceType, RegExp]>([
    ['a space', 'my service', 'unix', /service name "my service" is invalid/],
    ['a line break', 'smtp\nevil', 'unix', /is invalid/],
    ['a leading dash', '-smtp', 'unix', /is invalid/],
    ['a slash', 'a/b', 'unix', /is invalid/],
    ['an empty name', '', 'unix', /is invalid/],
    ['ADDRESS:PORT on a unix service', '127.0.0.1:2525', 'unix', /is invalid/],
    ['a leading colon', ':25', 'inet', /is invalid/],
    ['an unbracketed IPv6 address', '::1:587', 'inet', /is not ADDRESS:PORT/],
    ['an unclosed bracket', '[::1:587', 'inet', /is not ADDRESS:PORT/],
    ['a non-hex IPv6 address', '[zz::1]:587', 'inet', /is not ADDRESS:PORT/],
    ['an empty port', '127.0.0.1:', 'inet', /is not ADDRESS:PORT/],
    ['port 0', '127.0.0.1:0', 'inet', /from 1 to 65535/],
    ['port 65536', '127.0.0.1:65536', 'inet', /from 1 to 65535/],
    ['a space in the host', 'local host:25', 'inet', /is not ADDRESS:PORT/],
  ])('refuses a service name with %s', (_, name, type, message) => {
    expect(() => checkServiceName(name, type)).toThrow(ConfigError);
    expect(() => checkServiceName(name, type)).toThrow(message);
    expect(() => renderMasterCf('h', [{ name, type, command: 'smtpd' }])).toThrow(ConfigError);
  });

  test('the ADDRESS:PORT message shows good examples', () => {
    expect(() => checkServiceName('::1:587', 'inet')).toThrow(/127\.0\.0\.1:2525 or \[::1\]:587/);
  });

  test.each(['tcp', 'INET', 'inet ', 'unix\n'])('refuses the unknown service type %j', (type) => {
    expect(() => renderMasterCf('h', [{ name: 'x', type: type as MasterServiceType, command: 'smtpd' }])).toThrow(
      /unknown type/,
    );
  });

  test.each(['1000??', '?', '-1', '1m', '10 ', 'ten', ''])('refuses the wakeup %j', (wakeup) => {
    expect(() => renderMasterCf('h', [{ name: 'x', type: 'unix', wakeup, command: 'x' }])).toThrow(/must be N or N\?/);
  });

  test.each([-1, 1.5, 100001])('refuses maxproc %d', (maxProcesses) => {
    expect(() => renderMasterCf('h', [{ name: 'x', type: 'unix', maxProcesses, command: 'x' }])).toThrow(/maxproc of service x/);
  });

  test.each(['smtpd -v', 'smtpd\n', '$cmd', '', 'a,b'])('refuses the command %j', (command) => {
    expect(() => renderMasterCf('h', [{ name: 'x', type: 'unix', command }])).toThrow(/command of service x/);
  });

  test('refuses the same service name and type twice', () => {
    expect(() =>
      renderMasterCf('h', [
        { name: 'smtp', type: 'inet', command: 'smtpd' },
        { name: 'smtp', type: 'inet', command: 'smtpd' },
      ]),
    ).toThrow(/smtp\/inet is defined twice/);
  });

  test('the same name with another type is a different service', () => {
    const text = renderMasterCf('h', [
      { name: 'smtp', type: 'inet', command: 'smtpd' },
      { name: 'smtp', type: 'unix', command: 'smtp' },
    ]);
    expect(logicalLines(text)).toHaveLength(2);
  });

  test.each([
    ['a line break (new master.cf line)', 'encrypt\nevil inet n - n - - smtpd'],
    ['CR', 'encrypt\r'],
    ['NUL', 'a\u0000b'],
    ['U+2028', 'a\u2028b'],
    ['surrounding whitespace', ' encrypt'],
  ])('refuses an override value with %s', (_, value) => {
    expect(() =>
      renderMasterCf('h', [{ name: 'smtp', type: 'inet', command: 'smtpd', overrides: [{ name: 'smtpd_tls_security_level', value }] }]),
    ).toThrow(/-o smtpd_tls_security_level of service smtp/);
  });

  test.each(['a } -o smtpd_tls_security_level=none {', 'a{', '{a}b'])('refuses unbalanced braces in an override value %j', (value) => {
    expect(() =>
      renderMasterCf('h', [{ name: 'smtp', type: 'inet', command: 'smtpd', overrides: [{ name: 'smtpd_banner', value }] }]),
    ).toThrow(/never opened|never closes|leading/);
  });

  test('a balanced brace group (an inline table) is rendered in the long -o form', () => {
    const text = renderMasterCf('h', [
      { name: 'smtp', type: 'inet', command: 'smtpd', overrides: [{ name: 'smtpd_relay_restrictions', value: 'check_ccert_access inline:{ AB:CD=OK }, reject' }] },
    ]);
    expect(text).toContain('  -o { smtpd_relay_restrictions = check_ccert_access inline:{ AB:CD=OK }, reject }\n');
  });

  test.each(['smtpd tls', 'a=b', '', 'x\n'])('refuses the override name %j', (name) => {
    expect(() => renderMasterCf('h', [{ name: 'smtp', type: 'inet', command: 'smtpd', overrides: [{ name, value: 'v' }] }])).toThrow(
      /invalid Postfix parameter name/,
    );
  });

  test('refuses a line break in an argument', () => {
    expect(() => renderMasterCf('h', [{ name: 'p', type: 'unix', command: 'pipe', args: ['flags=R\nevil unix - - - - - x'] }])).toThrow(
      /argument .* of service p/,
    );
  });

  // BUG (lib/master-cf.ts renderService): an argument is rendered on its own continuation line; Postfix skips a line
  // whose first non-blank character is '#' as a comment, so the argument silently disappears (checked with
  // postconf -M: `  #user=nobody` vanishes from the pipe command). An empty argument renders a blank line.
  test.each(['#user=nobody', ''])('refuses the argument %j, which Postfix would silently drop', (arg) => {
    expect(() => renderMasterCf('h', [{ name: 'p', type: 'unix', command: 'pipe', args: ['flags=R', arg] }])).toThrow(ConfigError);
  });

  test('refuses a line break in the header', () => {
    expect(() => renderMasterCf('h\nsmtp inet n - n - - smtpd', [])).toThrow(ConfigError);
  });
});

describeIfPostconf('renderMasterCf read back by the real postconf', () => {
  const services: MasterService[] = [
    { name: 'smtp', type: 'inet', private: false, chroot: false, command: 'smtpd' },
    {
      name: 'submission',
      type: 'inet',
      private: false,
      command: 'smtpd',
      overrides: [
        { name: 'syslog_name', value: 'postfix/submission' },
        { name: 'smtpd_tls_security_level', value: 'encrypt' },
        { name: 'smtpd_relay_restrictions', value: 'permit_sasl_authenticated, reject' },
        { name: 'smtpd_sasl_path', value: '' },
      ],
    },
    { name: '127.0.0.1:2525', type: 'inet', private: false, command: 'smtpd', overrides: [{ name: 'syslog_name', value: 'postfix/test' }] },
    { name: '[::1]:587', type: 'inet', private: false, command: 'smtpd' },
    { name: 'mypipe', type: 'unix', unprivileged: false, chroot: false, command: 'pipe', args: ['flags=R', 'user=nobody', 'argv=/bin/cat'] },
    ...internalServices(true),
  ];

  test('postconf -M reads every service with its columns, -P every override with its exact value, no warnings', () => {
    const result = postconfCheck({ mainCf: MAIN_CF, masterCf: renderMasterCf('h', services) });
    expect(result.warnings).toEqual([]);
    expect(result.masterServices.slice(0, 5)).toEqual([
      'smtp inet n - n - - smtpd',
      'submission inet n - - - - smtpd -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt ' +
        '-o {smtpd_relay_restrictions=permit_sasl_authenticated, reject} -o smtpd_sasl_path=',
      '127.0.0.1:2525 inet n - - - - smtpd -o syslog_name=postfix/test',
      '[::1]:587 inet n - - - - smtpd',
      'mypipe unix - n n - - pipe flags=R user=nobody argv=/bin/cat',
    ]);
    expect(result.masterServices).toContain('tlsmgr unix - - y 1000? 1 tlsmgr');
    expect(result.masterServices).toContain('postlog unix-dgram n - n - 1 postlogd');
    expect(result.masterServices).toHaveLength(services.length);
    expect(result.masterOverrides).toEqual({
      'submission/inet/syslog_name': 'postfix/submission',
      'submission/inet/smtpd_tls_security_level': 'encrypt',
      'submission/inet/smtpd_relay_restrictions': 'permit_sasl_authenticated, reject',
      'submission/inet/smtpd_sasl_path': '',
      '127.0.0.1:2525/inet/syslog_name': 'postfix/test',
      'relay/unix/syslog_name': 'postfix/$service_name',
    });
  });

  test('the helper reports postconf warnings: an unknown -o name is flagged as unused', () => {
    const result = postconfCheck({
      mainCf: MAIN_CF,
      masterCf: renderMasterCf('h', [{ name: 'smtp', type: 'inet', command: 'smtpd', overrides: [{ name: 'smtpd_no_such_thing', value: 'yes' }] }]),
    });
    expect(result.warnings).toEqual([expect.stringMatching(/unused parameter: smtpd_no_such_thing=yes/)]);
  });
});
