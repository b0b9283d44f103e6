/**
 * subjectHash / hashLinks against the real openssl binary: every expected value is computed by
 * `openssl x509 -subject_hash` (or `openssl rehash`) at run time, never stored.
 */
import { readdirSync, readlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Tag } from '../../../lib/pki/der';
import { hashLinks, issuerHash, subjectHash } from '../../../lib/pki/subject-hash';
import { atv, bmp, certWithSubject, latin1, name, OID, openssl, opensslStatus, opensslSubjectHash, tempDir, ucs4, utf8 } from './helpers';

const { UTF8_STRING: UTF8, PRINTABLE_STRING: PRINTABLE, IA5_STRING: IA5, T61_STRING: T61, BMP_STRING: BMP, UNIVERSAL_STRING: UNIV, NUMERIC_STRING: NUMERIC } = Tag;

let tmp: ReturnType<typeof tempDir>;
let keyFile: string;
beforeAll(() => {
  tmp = tempDir('subject-hash');
  keyFile = join(tmp.dir, 'key.pem');
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
});
afterAll(() => tmp.cleanup());

/** Subjects with exact value types, built byte by byte. */
const exactSubjects: Array<[string, Buffer]> = [
  ['PrintableString mixed case', name([atv(OID.CN, PRINTABLE, 'Hello World')])],
  ['PrintableString lower case', name([atv(OID.CN, PRINTABLE, 'hello world')])],
  ['UTF8String same text as PrintableString', name([atv(OID.CN, UTF8, 'Hello World')])],
  ['leading and trailing spaces', name([atv(OID.CN, UTF8, '   Mail Server   ')])],
  ['inner space runs', name([atv(OID.CN, UTF8, 'mail     server  one')])],
  ['tabs and newlines inside', name([atv(OID.CN, UTF8, 'a\t\tb\n\nc\r\nd')])],
  ['vertical tab and form feed', name([atv(OID.CN, UTF8, '\va\fb\v')])],
  ['only whitespace', name([atv(OID.CN, UTF8, ' \t\n ')])],
  ['empty UTF8String', name([atv(OID.CN, UTF8, '')])],
  ['empty PrintableString', name([atv(OID.O, PRINTABLE, '')])],
  ['NBSP is not whitespace', name([atv(OID.CN, UTF8, '\u00a0a\u00a0 \u00a0b\u00a0')])],
  ['ideographic space is not whitespace', name([atv(OID.CN, UTF8, '\u3000x\u3000')])],
  ['non-ASCII upper case stays', name([atv(OID.CN, UTF8, 'ÉCOLE Straße ÄÖÜ')])],
  ['CJK UTF8String', name([atv(OID.O, UTF8, '日本語 テスト')])],
  ['emoji UTF8String', name([atv(OID.CN, UTF8, 'Mail 😀 Relay')])],
  ['UTF-8 BOM kept', name([atv(OID.CN, UTF8, '\ufeffBOM')])],
  ['NUL and DEL bytes', name([atv(OID.CN, UTF8, 'a\u0000B\u007fC')])],
  ['IA5String email upper case', name([atv(OID.emailAddress, IA5, 'Postmaster@Example.COM')])],
  ['IA5String domain components', name([atv(OID.DC, IA5, 'Example')], [atv(OID.DC, IA5, 'COM')])],
  ['T61String Latin-1 bytes', name([atv(OID.CN, T61, latin1('CAFÉ  café'))])],
  ['T61String NBSP byte', name([atv(OID.CN, T61, latin1('\u00a0A \u00a0'))])],
  ['PrintableString holding a Latin-1 byte', name([atv(OID.CN, PRINTABLE, latin1('Zürich'))])],
  ['BMPString ASCII', name([atv(OID.CN, BMP, bmp('  BMP   Name '))])],
  ['BMPString CJK and umlauts', name([atv(OID.O, BMP, bmp('Müller 日本'))])],
  ['BMPString tab', name([atv(OID.CN, BMP, bmp('\tTab\tHere\t'))])],
  ['UniversalString emoji', name([atv(OID.CN, UNIV, ucs4(' Smile 😀 '))])],
  ['NumericString not canonicalised', name([atv(OID.serialNumber, NUMERIC, '  123  456 ')])],
  ['unknown-type value copied', name([atv(OID.private, 0x07, 'ObjDesc  X')])],
  ['SEQUENCE value copied', name([atv(OID.private, 0x30, Buffer.from('0c0141', 'hex'))])],
  ['BIT STRING value with unused bits', name([atv(OID.private, Tag.BIT_STRING, Buffer.from('03ff', 'hex'))])],
  ['constructed (BER) UTF8String', name([atv(OID.CN, 0x2c, Buffer.from('0c02414213024344', 'hex'))])],
  ['multi-valued RDN unsorted', name([atv(OID.OU, UTF8, 'Unit'), atv(OID.CN, UTF8, 'Name')])],
  ['multi-valued RDN same type', name([atv(OID.OU, UTF8, 'b'), atv(OID.OU, UTF8, 'A')])],
  ['multi-valued order flips after folding', name([atv(OID.OU, UTF8, 'x        y'), atv(OID.CN, UTF8, 'zzzz')])],
  ['multi-valued order by canonical length', name([atv(OID.CN, PRINTABLE, 'BBBBBBBB'), atv(OID.OU, UTF8, 'a')])],
  ['multi-valued mixed types', name([atv(OID.CN, BMP, bmp('X')), atv(OID.CN, PRINTABLE, 'x'), atv(OID.CN, T61, latin1('é'))])],
  ['empty RDN in the middle', name([atv(OID.CN, UTF8, 'x')], [], [atv(OID.O, UTF8, 'y')])],
  ['only an empty RDN', name([])],
  ['empty name', name()],
  ['repeated RDNs', name([atv(OID.OU, UTF8, 'a')], [atv(OID.OU, UTF8, 'a')], [atv(OID.OU, UTF8, 'A ')])],
  ['private OID attribute', name([atv(OID.private, UTF8, 'Custom  Value')])],
  ['very long value (long-form length)', name([atv(OID.CN, UTF8, `Long ${'Abc  '.repeat(120)}`)])],
  ['many RDNs', name(...Array.from({ length: 40 }, (_, i) => [atv(i % 2 ? OID.OU : OID.L, UTF8, `  Unit  ${i} `)]))],
  ['typical server subject', name([atv(OID.C, PRINTABLE, 'DE')], [atv(OID.ST, UTF8, 'Berlin')], [atv(OID.O, UTF8, 'Example GmbH')], [atv(OID.CN, UTF8, 'mx.example.com')])],
];

describe('subjectHash matches openssl x509 -subject_hash', () => {
  test.each(exactSubjects)('%s', (_label, subject) => {
    const pem = certWithSubject(subject);
    const expected = opensslSubjectHash(pem);
    expect(expected).toMatch(/^[0-9a-f]{8}$/);
    expect(subjectHash(pem)).toBe(expected);
  });

  /** Certificates made by `openssl req` itself, with its own string type choices. */
  const reqSubjects: Array<[string, string[], string]> = [
    ['plain ASCII', ['-subj', '/C=DE/O=Example Inc/CN=Mail.Example.com'], ''],
    ['UTF-8 with -utf8', ['-utf8', '-subj', '/O=Bäckerei Müller/CN=Straße 日本'], ''],
    ['multi-valued RDN', ['-multivalue-rdn', '-subj', '/CN=Server+OU=Mail+O=Example/C=US'], ''],
    ['multi-valued RDN, long first value', ['-multivalue-rdn', '-subj', '/CN=bbbbbbbbbbbbbbbb+OU=a'], ''],
    ['emailAddress (IA5String)', ['-subj', '/CN=Relay/emailAddress=Postmaster@EXAMPLE.org'], ''],
    ['domain components', ['-subj', '/DC=org/DC=Example/CN=Users'], ''],
    ['spaces and tabs', ['-subj', '/CN=  Lots   of\tspace  /O= X '], ''],
    ['escaped slash and plus', ['-subj', '/CN=a\\/b\\+c/O=d'], ''],
    ['empty subject', ['-subj', '/'], ''],
    ['string_mask default: T61String for Latin-1', ['-utf8', '-subj', '/CN=Café Crème/O=Zoë'], 'default'],
    ['string_mask default: BMPString for CJK', ['-utf8', '-subj', '/CN=日本 サーバ/O=Ünïcödé 中文'], 'default'],
    ['string_mask default: UTF8String beyond the BMP', ['-utf8', '-subj', '/CN=Smile 😀'], 'default'],
    ['string_mask default: PrintableString', ['-subj', '/CN=Mixed Case Name/O=ACME'], 'default'],
    ['string_mask nombstr', ['-utf8', '-subj', '/CN=Ärger/O=Plain'], 'nombstr'],
    ['string_mask pkix', ['-utf8', '-subj', '/CN=Ärger 日本'], 'pkix'],
    ['many OUs', ['-subj', `/${Array.from({ length: 20 }, (_, i) => `OU=Unit ${i}`).join('/')}`], ''],
  ];

  test.each(reqSubjects)('openssl req: %s', (label, args, mask) => {
    const file = join(tmp.dir, `${label.replace(/\W+/g, '_')}.pem`);
    const extra: string[] = [];
    if (mask) {
      const cnf = join(tmp.dir, `${mask}.cnf`);
      writeFileSync(cnf, `[req]\ndistinguished_name=dn\nstring_mask=${mask}\n[dn]\n`);
      extra.push('-config', cnf);
    }
    openssl(['req', '-x509', ...extra, '-key', keyFile, '-days', '1', '-out', file, ...args]);
    const pem = openssl(['x509', '-in', file]);
    expect(subjectHash(pem)).toBe(openssl(['x509', '-noout', '-subject_hash', '-in', file]).trim());
  });

  test('issuerHash matches -issuer_hash', () => {
    const pem = certWithSubject(name([atv(OID.CN, UTF8, 'x')]));
    expect(issuerHash(pem)).toBe(openssl(['x509', '-noout', '-issuer_hash'], pem).trim());
  });

  test('random names (fast-check) agree with openssl', () => {
    const chars = ['a', 'Z', 'm', 'Q', '0', '.', '-', ' ', '  ', '\t', '\n', '\r', '\v', '\f', 'é', 'É', 'ß', '\u00a0', '日', '😀'];
    const text = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((parts) => parts.join(''));
    const value = text.map((s) => {
      // Pick a string type that can carry the text, as an encoder would.
      const cps = Array.from(s, (c) => c.codePointAt(0) ?? 0);
      if (cps.every((c) => c < 0x80) && /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s)) return [PRINTABLE, latin1(s)] as const;
      if (cps.every((c) => c < 0x80)) return [IA5, latin1(s)] as const;
      if (cps.every((c) => c < 0x100)) return [T61, latin1(s)] as const;
      if (cps.every((c) => c < 0x10000)) return [BMP, bmp(s)] as const;
      return [UNIV, ucs4(s)] as const;
    });
    const typed = fc.oneof(value, text.map((s) => [UTF8, utf8(s)] as const));
    const attr = fc.tuple(fc.constantFrom(OID.CN, OID.O, OID.OU, OID.L), typed).map(([oid, [tag, bytes]]) => atv(oid, tag, bytes));
    const subject = fc.array(fc.array(attr, { minLength: 0, maxLength: 3 }), { maxLength: 4 }).map((rdns) => name(...rdns));
    fc.assert(
      fc.property(subject, (der) => {
        const pem = certWithSubject(der);
        expect(subjectHash(pem)).toBe(opensslSubjectHash(pem));
      }),
      { numRuns: 40 },
    );
  });
});

describe('subjectHash refuses what OpenSSL refuses', () => {
  const refused: Array<[string, Buffer]> = [
    ['overlong UTF-8', name([atv(OID.CN, UTF8, Buffer.from('c0af', 'hex'))])],
    ['UTF-8 surrogate', name([atv(OID.CN, UTF8, Buffer.from('eda080', 'hex'))])],
    ['BMPString surrogate pair', name([atv(OID.CN, BMP, Buffer.from('d83dde00', 'hex'))])],
    ['BMPString odd length', name([atv(OID.CN, BMP, Buffer.from('004100', 'hex'))])],
    ['UniversalString beyond U+10FFFF', name([atv(OID.CN, UNIV, Buffer.from('00110000', 'hex'))])],
    ['VisibleString', name([atv(OID.CN, 0x1a, 'visible')])],
    ['GeneralString', name([atv(OID.CN, 0x1b, 'general')])],
    ['OCTET STRING', name([atv(OID.CN, Tag.OCTET_STRING, 'octets')])],
    ['context-specific tag', name([atv(OID.CN, 0x80, 'ctx')])],
  ];
  test.each(refused)('%s', (_label, subject) => {
    const pem = certWithSubject(subject);
    expect(opensslSubjectHash(pem)).toBeUndefined();
    expect(() => subjectHash(pem)).toThrow();
  });
});

describe('hashLinks', () => {
  const cert = (cn: string, serial: number) => certWithSubject(name([atv(OID.CN, UTF8, cn)]), serial);

  test('colliding subjects count up, duplicates vanish, order does not matter', () => {
    // Three distinct certificates whose subjects canonicalise alike, one other, one duplicate.
    const a = cert('Shared CA', 1);
    const b = cert('  shared   ca ', 2);
    const c = cert('SHARED CA', 3);
    const other = cert('Other CA', 4);
    const links = hashLinks([a, b, other, c, a]);
    const shared = subjectHash(a);
    expect(links).toHaveLength(4);
    expect(links.filter((l) => l.name.startsWith(`${shared}.`)).map((l) => l.name)).toEqual([`${shared}.0`, `${shared}.1`, `${shared}.2`]);
    expect(links.map((l) => l.name)).toContain(`${subjectHash(other)}.0`);
    expect(hashLinks([c, other, b, a])).toEqual(links);
    expect(hashLinks([[a, b].join(''), other + c])).toEqual(links);
  });

  test('names equal those of openssl rehash, and OpenSSL finds every CA through them', () => {
    const dir = join(tmp.dir, 'capath');
    const ours = join(tmp.dir, 'ours');
    mkdirSync(dir);
    mkdirSync(ours);
    // Real CAs with colliding subjects: same subject, different keys.
    const cas = [0, 1, 2].map((i) => {
      const caKey = join(tmp.dir, `ca${i}.key`);
      const caCert = join(tmp.dir, `ca${i}.pem`);
      const subj = i === 2 ? '/CN=Other Test CA' : '/CN=Colliding Test CA';
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-subj', subj, '-days', '2', '-out', caCert]);
      writeFileSync(join(dir, `ca${i}.pem`), openssl(['x509', '-in', caCert]));
      return { caKey, caCert };
    });
    openssl(['rehash', dir]);
    const extFile = join(tmp.dir, 'leaf.ext');
    writeFileSync(extFile, 'authorityKeyIdentifier=keyid:always\nbasicConstraints=CA:FALSE\n');
    const opensslNames = readdirSync(dir).filter((f) => /^[0-9a-f]{8}\.\d+$/.test(f)).sort();
    const pems = cas.map(({ caCert }) => openssl(['x509', '-in', caCert]));
    const links = hashLinks(pems);
    expect(links.map((l) => l.name).sort()).toEqual(opensslNames);
    expect(opensslNames.every((n) => readlinkSync(join(dir, n)).startsWith('ca'))).toBe(true);

    for (const l of links) writeFileSync(join(ours, l.name), l.pem);
    cas.forEach(({ caKey, caCert }, i) => {
      const leafKey = join(tmp.dir, `leaf${i}.key`);
      const csr = join(tmp.dir, `leaf${i}.csr`);
      const leaf = join(tmp.dir, `leaf${i}.pem`);
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', leafKey, '-subj', `/CN=leaf${i}`, '-out', csr]);
      // The AKI lets OpenSSL pick the right one among CAs with the same subject.
      openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-extfile', extFile, '-out', leaf]);
      const r = opensslStatus(['verify', '-CApath', ours, leaf]);
      expect(r).toEqual({ ok: true, out: expect.stringContaining('OK') });
    });
  });
});
