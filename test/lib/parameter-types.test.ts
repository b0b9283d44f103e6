/**
 * Issue 9, part 5: additionalParameters values checked against the type of their parameter, from the table
 * generated from the target Postfix's postconf(5) and `postconf -d`. The table is compared with a fresh run of
 * the generator and with every default the real postconf reports; the reproductions of the issue end in a synth
 * error naming the construct, the parameter, the value and the expected type.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PostfixVersion, SecurityLevel } from '../../constructs/enums';
import { PostfixServer, PostfixServerProps } from '../../constructs/postfix-server';
import { TlsServer } from '../../constructs/tls-server';
import { parameterValueProblem } from '../../lib/parameter-types';
import { PARAMETER_TYPES, POSTFIX_VERSION, RESTRICTIONS } from '../../lib/postfix-parameters-3.7';
import { errorOf, newStack, tmpDir } from '../helpers/fixtures';
import { describeIfPostconf } from '../helpers/postconf';
import { TerraformStack, Testing } from 'cdktf';

const ROOT = resolve(__dirname, '..', '..');
const TABLE = join(ROOT, 'lib', 'postfix-parameters-3.7.ts');

describeIfPostconf('the generated table matches the installed Postfix', () => {
  test('a fresh run of scripts/generate-postfix-parameters.ts writes the checked-in table, one parameter per line', () => {
    const { dir, cleanup } = tmpDir('postfix-parameters');
    try {
      const out = join(dir, 'table.ts');
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--swc', '--transpile-only', join(ROOT, 'scripts', 'generate-postfix-parameters.ts'), out], { cwd: ROOT, stdio: 'pipe' });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(TABLE, 'utf8'));
    } finally {
      cleanup();
    }
    const lines = readFileSync(TABLE, 'utf8').split('\n');
    expect(lines.filter((l) => /^ {2}"[A-Za-z0-9_-]+": "[^"]+",$/.test(l)).length).toBe(Object.keys(PARAMETER_TYPES).length);
  });

  test('the table is for the installed Postfix, and every plain default of `postconf -d` has its own type', () => {
    expect(execFileSync('postconf', ['-dh', 'mail_version'], { encoding: 'utf8' }).trim()).toBe(POSTFIX_VERSION);
    const defaults = execFileSync('postconf', ['-d'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const checked = defaults.flatMap((line) => {
      const [, name, value = ''] = /^(\S+) =(?: (.*))?$/.exec(line) ?? [];
      if (PARAMETER_TYPES[name] === undefined || PARAMETER_TYPES[name] === 'text' || value.includes('$')) return [];
      return [{ name, value, problem: parameterValueProblem(name, value) }];
    });
    expect(checked.length).toBeGreaterThan(300);
    expect(checked.filter((c) => c.problem !== undefined)).toEqual([]);
  });

  test('types are found for each kind, and restriction names come with their arguments', () => {
    expect(PARAMETER_TYPES).toMatchObject({
      smtpd_helo_required: 'boolean',
      smtpd_relay_before_recipient_restrictions: 'boolean', // default depends on compatibility_level
      message_size_limit: 'size',
      default_process_limit: 'integer',
      smtpd_timeout: 'time', // ${stress?{10}:{300}}s
      smtp_tls_security_level: 'enum:none|may|encrypt|dane|fingerprint|verify|secure',
      smtpd_helo_restrictions: 'restrictions',
      notify_classes: 'keywords:bounce|2bounce|data|delay|policy|protocol|resource|software', // name_mask(3) list
      default_destination_concurrency_negative_feedback: 'text', // 1/8 or 1/concurrency
      smtp_tcp_port: 'text', // a port may be a service name
    });
    expect(RESTRICTIONS).toMatchObject({ check_client_access: true, reject_rbl_client: true, reject_unauth_destination: false, reject_unknown_client: false });
  });
});

describe('parameterValueProblem', () => {
  test.each([
    ['smtpd_helo_required', 'maybe', 'a boolean: yes or no'],
    ['message_size_limit', 'ten', 'a size in bytes'],
    ['message_size_limit', '10M', 'a size in bytes'],
    ['message_size_limit', '9223372036854775808', 'a size in bytes'],
    ['default_process_limit', '2147483648', 'an integer'],
    ['default_process_limit', '1.5', 'an integer'],
    ['smtpd_timeout', '5 minutes', 'a time'],
    ['smtpd_timeout', '1h30m', 'a time'],
    ['smtp_tls_security_level', 'strict', 'one of none, may, encrypt, dane, fingerprint, verify, secure'],
    ['smtpd_helo_restrictions', 'reject_invalid_hostnames', '"reject_invalid_hostnames" is neither a restriction nor a class'],
    ['smtpd_helo_restrictions', 'reject_invalid_helo_hostname, check_helo_access', 'check_helo_access lacks its argument'],
    ['notify_classes', '550 5.7.1 go away', 'a list of bounce, 2bounce, data, delay, policy, protocol, resource, software (zero or more), but "550" is not one of them'],
    ['notify_classes', 'resource, Software', '"Software" is not one of them'],
  ])('%s = %j is refused: %s', (name, value, expected) => {
    expect(parameterValueProblem(name, value)).toContain(expected);
  });

  test.each([
    ['smtpd_helo_required', 'YES'],
    ['message_size_limit', '9223372036854775807'],
    ['default_process_limit', '-1'],
    ['smtpd_timeout', '300s'],
    ['smtpd_timeout', '${stress?{10}:{300}}s'],
    ['smtp_tls_security_level', 'dane'],
    ['smtpd_helo_restrictions', 'reject_invalid_helo_hostname, check_helo_access hash:/etc/postfix/helo, reject_rbl_client zen.spamhaus.org'],
    ['smtpd_helo_restrictions', 'check_helo_access inline:{ a.example=REJECT, b.example=OK }, reject_non_fqdn_helo_hostname'],
    ['smtpd_banner', 'anything goes here'],
    ['notify_classes', 'resource, software'],
    ['notify_classes', 'bounce 2bounce,delay policy protocol resource software data'],
    ['notify_classes', ''],
    ['not_a_parameter', 'maybe'],
  ])('%s = %j is accepted', (name, value) => {
    expect(parameterValueProblem(name, value)).toBeUndefined();
  });

  test('a restriction class declared in smtpd_restriction_classes may be used in a list', () => {
    expect(parameterValueProblem('smtpd_sender_restrictions', 'from_partners', new Set(['from_partners']))).toBeUndefined();
    expect(parameterValueProblem('smtpd_sender_restrictions', 'from_partners')).toContain('"from_partners"');
  });
});

/** A stack with one valid server for Postfix 3.7 (the table above, as reported) without TLS, plus `props`. */
function plainServer(props: Partial<PostfixServerProps>): TerraformStack {
  const { stack } = newStack();
  const server = new PostfixServer(stack, 'mx', { hostname: 'mx.example.com', publicMx: false, postfixVersion: PostfixVersion.V3_7, ...props });
  new TlsServer(server, 'Tls', { securityLevel: SecurityLevel.NONE });
  return stack;
}

describe('the reproductions of the issue end in a synth error naming the construct, the value and the fix', () => {
  test.each([
    [{ additionalParameters: { smtpd_helo_required: 'maybe' } }, '[stack/mx] [parameter-value-type] additional parameter smtpd_helo_required = "maybe" is not a valid value: Postfix 3.7.11 expects a boolean: yes or no (postconf(5))'],
    [{ additionalParameters: { message_size_limit: 'ten' } }, '[stack/mx] [parameter-value-type] additional parameter message_size_limit = "ten" is not a valid value: Postfix 3.7.11 expects a size in bytes'],
    // The relay oracle's every-prop samples: smtpd died at its first connection with
    // 'fatal: unknown notify_classes value "550" in "550 5.7.1 go away"' (Postfix 3.7.11), so the container never got healthy.
    [{ additionalParameters: { notify_classes: '550 5.7.1 go away' } }, '[stack/mx] [parameter-value-type] additional parameter notify_classes = "550 5.7.1 go away" is not a valid value: Postfix 3.7.11 expects a list of bounce, 2bounce, data, delay, policy, protocol, resource, software (zero or more), but "550" is not one of them'],
    [{ maillogFile: '/dev/stderr' }, '[stack/mx] [maillog-file-prefix] maillogFile "/dev/stderr" is outside maillog_file_prefixes (/var, /dev/stdout): Postfix refuses to log there'],
  ])('%j', (props, message) => {
    const e = errorOf(() => Testing.synth(plainServer(props), true));
    expect(e.message).toContain(message);
  });

  test('a maillog_file_prefixes set by the user is the one checked', () => {
    expect(() => Testing.synth(plainServer({ maillogFile: '/srv/log/postfix.log', additionalParameters: { maillog_file_prefixes: '/srv/log' } }), true)).not.toThrow();
    expect(errorOf(() => Testing.synth(plainServer({ maillogFile: '/var/log/mail.log', additionalParameters: { maillog_file_prefixes: '/srv/log' } }), true)).message).toContain('(/srv/log)');
  });
});
