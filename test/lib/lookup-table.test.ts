import { ConfigError } from '../../lib/diagnostics';
import { lookupTable, TABLE_DIRECTORY, TABLE_TYPES, TableEntry, TableType } from '../../lib/lookup-table';
import { describeIfPostconf, postconfCheck } from '../helpers/postconf';

const ENTRIES: TableEntry[] = [
  { key: 'D7:04:2F:A7:0B:8C:A5:C7', value: 'lutzpc' },
  { key: 'AB:CD:EF:01', value: 'OK' },
];

describe('lookupTable references', () => {
  test('TABLE_TYPES lists exactly the supported types', () => {
    expect([...TABLE_TYPES].sort()).toEqual(['btree', 'hash', 'inline', 'lmdb', 'texthash']);
  });

  test.each<[TableType, boolean]>([
    ['texthash', false],
    ['hash', true],
    ['lmdb', true],
    ['btree', true],
  ])('%s: reference TYPE:/etc/postfix/tables/NAME, a source file, needsPostmap %s', (type, needsPostmap) => {
    const table = lookupTable('relay_clientcerts', type, ENTRIES);
    expect(table.reference).toBe(`${type}:/etc/postfix/tables/relay_clientcerts`);
    expect(TABLE_DIRECTORY).toBe('/etc/postfix/tables');
    expect(table.needsPostmap).toBe(needsPostmap);
    expect(table.file).toEqual({
      path: '/etc/postfix/tables/relay_clientcerts',
      content: 'D7:04:2F:A7:0B:8C:A5:C7 lutzpc\nAB:CD:EF:01 OK\n',
    });
  });

  test('inline: the entries in the reference, "{ k=v, k=v }", no file, no postmap', () => {
    const table = lookupTable('relay_clientcerts', 'inline', ENTRIES);
    expect(table.reference).toBe('inline:{ D7:04:2F:A7:0B:8C:A5:C7=lutzpc, AB:CD:EF:01=OK }');
    expect(table.file).toBeUndefined();
    expect(table.needsPostmap).toBe(false);
  });

  test('entries keep their order', () => {
    const entries = [{ key: 'z', value: '1' }, { key: 'a', value: '2' }, { key: 'm', value: '3' }];
    expect(lookupTable('t', 'texthash', entries).file?.content).toBe('z 1\na 2\nm 3\n');
    expect(lookupTable('t', 'inline', entries).reference).toBe('inline:{ z=1, a=2, m=3 }');
  });

  test('a file-based table may have values with spaces (access(5) actions with text)', () => {
    const table = lookupTable('ccert_access', 'hash', [{ key: 'AB:CD', value: 'REJECT certificate revoked' }]);
    expect(table.file?.content).toBe('AB:CD REJECT certificate revoked\n');
  });

  test('an empty file-based table renders an empty file', () => {
    expect(lookupTable('t', 'hash', []).file?.content).toBe('');
  });
});

describe('lookupTable refusals', () => {
  test.each([['AB:CD', 'ab:cd'], ['MiXeD', 'mixed'], ['x', 'x']])('refuses the keys %j and %j together (lookups fold case)', (a, b) => {
    for (const type of TABLE_TYPES) {
      const entries = [{ key: a, value: 'OK' }, { key: b, value: 'OK' }];
      expect(() => lookupTable('relay_clientcerts', type, entries)).toThrow(ConfigError);
      expect(() => lookupTable('relay_clientcerts', type, entries)).toThrow(/relay_clientcerts lists key .* twice \(lookups fold case\)/);
    }
  });

  test.each([
    ['a space', 'AB CD'],
    ['a comma', 'AB,CD'],
    ['a line break', 'AB\nCD OK'],
    ['CR', 'AB\r'],
    ['NUL', 'AB\u0000'],
    ['a leading #', '#AB'],
    ['a $', '$AB'],
    ['braces', 'A{B}'],
    ['an empty key', ''],
    ['leading space', ' AB'],
  ])('refuses a key with %s in every table type', (_, key) => {
    for (const type of TABLE_TYPES) {
      expect(() => lookupTable('t', type, [{ key, value: 'OK' }])).toThrow(/key of table t/);
    }
  });

  test.each([
    ['a line break (would add an entry)', 'OK\nEVIL:KEY OK'],
    ['CR', 'OK\r'],
    ['NUL', 'O\u0000K'],
    ['U+2028', 'O\u2028K'],
    ['trailing space', 'OK '],
  ])('refuses a value with %s in every table type', (_, value) => {
    for (const type of TABLE_TYPES) {
      expect(() => lookupTable('t', type, [{ key: 'AB', value }])).toThrow(/value of AB in table t/);
    }
  });

  test('refuses an empty value, asking for one', () => {
    for (const type of TABLE_TYPES) {
      expect(() => lookupTable('t', type, [{ key: 'AB', value: '' }])).toThrow(/value of AB in table t is empty: give a value/);
    }
  });

  test.each([
    ['a space', 'REJECT revoked'],
    ['a comma', 'a,b'],
    ['an =', 'a=b'],
    ['a brace', 'a}'],
    ['a brace group', '{a}'],
  ])('refuses an inline value with %s, pointing to a file-based table', (_, value) => {
    expect(() => lookupTable('t', 'inline', [{ key: 'AB', value }])).toThrow(/inline table t .*use a file-based table/);
    expect(lookupTable('t', 'hash', [{ key: 'AB', value }]).file?.content).toBe(`AB ${value}\n`);
  });

  test('refuses "=" in an inline key, which would split key and value elsewhere', () => {
    expect(() => lookupTable('t', 'inline', [{ key: 'a=b', value: 'OK' }])).toThrow(/key "a=b" of inline table t must not contain '='/);
  });

  test('refuses an empty inline table (inline:{ } means nothing)', () => {
    expect(() => lookupTable('t', 'inline', [])).toThrow(/inline table t has no entries/);
  });

  test.each([['../etc/passwd'], ['a/b'], ['a b'], [''], ['t\n'], ['$t'], ['a:b']])('refuses the table name %j', (name) => {
    expect(() => lookupTable(name, 'hash', ENTRIES)).toThrow(ConfigError);
  });

  test.each([['cdb'], ['regexp'], ['HASH'], ['proxy']])('refuses the table type %j, listing the supported ones', (type) => {
    expect(() => lookupTable('t', type as TableType, ENTRIES)).toThrow(/unsupported type .*texthash, hash, lmdb, btree, inline/);
  });
});

describeIfPostconf('lookup table references read back by the real postconf', () => {
  test.each(TABLE_TYPES)('%s reference in relay_clientcerts and in a restriction: no warnings, read back unchanged', (type) => {
    const relay = lookupTable('relay_clientcerts', type, ENTRIES);
    const access = lookupTable('ccert_access', type, [{ key: 'AB:CD:EF', value: 'OK' }]);
    const mainCf = [
      'compatibility_level = 3.6',
      `relay_clientcerts = ${relay.reference}`,
      `smtpd_relay_restrictions = check_ccert_access ${access.reference}, permit_tls_clientcerts, reject_unauth_destination`,
      '',
    ].join('\n');
    const result = postconfCheck({ mainCf, masterCf: '' });
    expect(result.warnings).toEqual([]);
    expect(result.mainParameters).toEqual({
      compatibility_level: '3.6',
      relay_clientcerts: relay.reference,
      smtpd_relay_restrictions: `check_ccert_access ${access.reference}, permit_tls_clientcerts, reject_unauth_destination`,
    });
  });
});
