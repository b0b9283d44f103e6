import fc from 'fast-check';
import { ConfigError } from '../../lib/diagnostics';
import { MainCfSection, renderMainCf } from '../../lib/main-cf';
import { describeIfPostconf, postconfCheck } from '../helpers/postconf';

const EMPTY_MASTER_CF = '# no services\n';

describe('renderMainCf format', () => {
  test('renders header, sections in order, blank line between blocks, one trailing newline', () => {
    const text = renderMainCf('Rendered for test', [
      { title: 'Identity', parameters: [{ name: 'myhostname', value: 'mx.example.com' }, { name: 'compatibility_level', value: '3.6' }] },
      { title: 'TLS', parameters: [{ name: 'smtpd_tls_security_level', value: 'may' }] },
    ]);
    expect(text).toBe(
      [
        '# Rendered for test',
        '',
        '# Identity',
        'myhostname = mx.example.com',
        'compatibility_level = 3.6',
        '',
        '# TLS',
        'smtpd_tls_security_level = may',
        '',
      ].join('\n'),
    );
  });

  test('keeps the given parameter order inside a section (no sorting)', () => {
    const text = renderMainCf('h', [
      { title: 's', parameters: [{ name: 'zeta', value: '1' }, { name: 'alpha', value: '2' }, { name: 'mid', value: '3' }] },
    ]);
    const names = text.split('\n').filter((l) => /^[a-z]/.test(l)).map((l) => l.split(' ')[0]);
    expect(names).toEqual(['zeta', 'alpha', 'mid']);
  });

  test('leaves out empty sections, including their title', () => {
    const text = renderMainCf('h', [
      { title: 'First', parameters: [{ name: 'a', value: '1' }] },
      { title: 'Empty one', parameters: [] },
      { title: 'Last', parameters: [{ name: 'b', value: '2' }] },
    ]);
    expect(text).not.toContain('Empty one');
    expect(text).toBe('# h\n\n# First\na = 1\n\n# Last\nb = 2\n');
  });

  test('only a header when every section is empty', () => {
    expect(renderMainCf('h', [{ title: 'x', parameters: [] }])).toBe('# h\n');
    expect(renderMainCf('h', [])).toBe('# h\n');
  });

  test('an empty value renders as "name =" without a trailing space', () => {
    const text = renderMainCf('h', [{ title: 's', parameters: [{ name: 'alias_database', value: '' }] }]);
    expect(text.split('\n')).toContain('alias_database =');
    expect(text).not.toMatch(/ \n/);
  });

  test('values are rendered verbatim (the helpers in values.ts format them)', () => {
    const value = '$myhostname ESMTP inline:{ a=b, c=d } #not-a-comment';
    const text = renderMainCf('h', [{ title: 's', parameters: [{ name: 'smtpd_banner', value }] }]);
    expect(text.split('\n')).toContain(`smtpd_banner = ${value}`);
  });
});

describe('renderMainCf refusals', () => {
  test('refuses a parameter set twice, even across sections, naming it and the fix', () => {
    const sections: MainCfSection[] = [
      { title: 'a', parameters: [{ name: 'smtpd_tls_loglevel', value: '1' }] },
      { title: 'b', parameters: [{ name: 'smtpd_tls_loglevel', value: '2' }] },
    ];
    expect(() => renderMainCf('h', sections)).toThrow(ConfigError);
    expect(() => renderMainCf('h', sections)).toThrow(/smtpd_tls_loglevel is set twice: set it in one place only/);
  });

  test('refuses a parameter set twice in the same section', () => {
    expect(() =>
      renderMainCf('h', [{ title: 'a', parameters: [{ name: 'x', value: '1' }, { name: 'x', value: '1' }] }]),
    ).toThrow(/x is set twice/);
  });

  test('parameter names are case-sensitive in Postfix, so different case is not a duplicate', () => {
    const text = renderMainCf('h', [
      { title: 'a', parameters: [{ name: 'smtpd_tls_CAfile', value: '/a' }, { name: 'smtpd_tls_cafile', value: '/b' }] },
    ]);
    expect(text).toContain('smtpd_tls_CAfile = /a\nsmtpd_tls_cafile = /b');
  });

  test.each([
    ['LF + new parameter', 'may\nrelayhost = [evil.example]'],
    ['LF + continuation line', 'may\n relayhost = evil'],
    ['CR', 'may\rrelayhost = evil'],
    ['NUL', 'may\u0000'],
    ['tab', 'a\tb'],
    ['U+2028', 'may\u2028relayhost = evil'],
    ['leading space', ' may'],
    ['trailing space', 'may '],
  ])('refuses a value with %s', (_, value) => {
    expect(() => renderMainCf('h', [{ title: 's', parameters: [{ name: 'smtpd_tls_security_level', value }] }])).toThrow(
      /value of smtpd_tls_security_level/,
    );
  });

  test.each([['bad name'], ['1st'], ['a=b'], ['x\nrelayhost'], ['']])('refuses the parameter name %j', (name) => {
    expect(() => renderMainCf('h', [{ title: 's', parameters: [{ name, value: '1' }] }])).toThrow(/invalid Postfix parameter name/);
  });

  test.each([['header', 'h\nrelayhost = evil', 't'], ['section title', 'h', 't\nrelayhost = evil']])(
    'refuses a line break in the %s',
    (_, header, title) => {
      expect(() => renderMainCf(header, [{ title, parameters: [{ name: 'a', value: '1' }] }])).toThrow(ConfigError);
    },
  );
});

describeIfPostconf('renderMainCf read back by the real postconf', () => {
  test('postconf -n reads exactly the rendered parameters, including empty values and $references', () => {
    const parameters = [
      { name: 'compatibility_level', value: '3.6' },
      { name: 'myhostname', value: 'mx.example.com' },
      { name: 'mydestination', value: '$myhostname, localhost' },
      { name: 'alias_database', value: '' },
      { name: 'smtpd_banner', value: '$myhostname ESMTP #1 {x}' },
    ];
    const result = postconfCheck({ mainCf: renderMainCf('h', [{ title: 's', parameters }]), masterCf: EMPTY_MASTER_CF });
    expect(result.warnings).toEqual([]);
    expect(result.mainParameters).toEqual(Object.fromEntries(parameters.map((p) => [p.name, p.value])));
  });

  test('property: any value renderMainCf accepts is read back by postconf unchanged, as one parameter', () => {
    // Structure only: renderMainCf must either refuse a value or render it so that Postfix reads exactly that value
    // back and nothing else. '$' and braces are left out here (their syntax has its own tests below).
    const value = fc.string({ unit: fc.constantFrom(...'ab #=,:;\\"\'\n\r\t\u2028é-'.split('')), maxLength: 24 });
    fc.assert(
      fc.property(value, (v) => {
        let mainCf: string;
        try {
          mainCf = renderMainCf('h', [{ title: 's', parameters: [{ name: 'smtpd_banner', value: v }] }]);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          return;
        }
        // The file holds the value byte for byte; postconf prints values word by word (runs of spaces
        // folded), while the mail programs read them as written.
        expect(mainCf.split('\n').filter((l) => l.startsWith('smtpd_banner'))).toEqual([v === '' ? 'smtpd_banner =' : `smtpd_banner = ${v}`]);
        const result = postconfCheck({ mainCf, masterCf: EMPTY_MASTER_CF });
        expect(result.warnings).toEqual([]);
        expect(result.mainParameters).toEqual({ smtpd_banner: v.replace(/ {2,}/g, ' ') });
      }),
      { numRuns: 60 },
    );
  });

  test.each([['$myhostname'], ['${myhostname}'], ['$(myhostname)'], ['$$'], ['${myhostname?{yes}:{no}}']])(
    'a well-formed $ reference %j is read back unchanged without warnings',
    (value) => {
      const mainCf = renderMainCf('h', [{ title: 's', parameters: [{ name: 'smtpd_banner', value }] }]);
      const result = postconfCheck({ mainCf, masterCf: EMPTY_MASTER_CF });
      expect(result.warnings).toEqual([]);
      expect(result.mainParameters).toEqual({ smtpd_banner: value });
    },
  );
});

// BUG (lib/main-cf.ts renderMainCf, reached through render-server additionalParameters): a malformed '$' reference
// passes safeText, but Postfix stops with "fatal: macro processing error" when it reads the file (postconf prints
// 'empty macro name: "a$"' / 'truncated macro reference: "${x"'). Checked with postconf 3.7 in the tests above.
// Same class: a value starting with an unbalanced '{' makes postconf warn "missing '}'" / "syntax error after '}'".
describe('renderMainCf refuses malformed $ references and brace groups that Postfix rejects', () => {
  const render = (value: string) => () => renderMainCf('h', [{ title: 's', parameters: [{ name: 'smtpd_banner', value }] }]);

  test('refuses a "$" that starts no reference, and unterminated ${...} / $(...)', () => {
    for (const value of ['$', 'a $ b', 'ESMTP$', '$}', '${myhostname', '$(myhostname']) {
      expect(render(value)).toThrow(ConfigError);
    }
  });

  test('refuses a value that opens a brace group it does not close, or continues after it', () => {
    for (const value of ['{', '{a}}']) expect(render(value)).toThrow(ConfigError);
  });
});

describeIfPostconf('the malformed $ values above really are fatal to Postfix (keeps the bug report honest)', () => {
  // One value only: a fatal postconf sleeps about 1s before it exits, three runs per check.
  test('postconf is fatal on smtpd_banner = ESMTP$', () => {
    const result = postconfCheck({ mainCf: 'smtpd_banner = ESMTP$\n', masterCf: EMPTY_MASTER_CF });
    expect(result.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/empty macro name: "ESMTP\$"/), expect.stringMatching(/fatal: macro processing error/)]),
    );
  });

  test.each([['{'], ['{a}}']])('postconf warns on smtpd_banner = %s', (value) => {
    const result = postconfCheck({ mainCf: `smtpd_banner = ${value}\n`, masterCf: EMPTY_MASTER_CF });
    expect(result.warnings).toEqual([expect.stringMatching(/missing '\}'|syntax error after '\}'/)]);
  });

  test('balanced brace groups are fine', () => {
    const result = postconfCheck({ mainCf: 'smtpd_banner = {a} {b}\nalias_maps = inline:{ a=b, c=d }\n', masterCf: EMPTY_MASTER_CF });
    expect(result.warnings).toEqual([]);
  });
});
