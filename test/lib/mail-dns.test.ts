import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Severity } from '../../lib/diagnostics';
import { nameInZone, renderZoneFile, txtData, txtText } from '../../lib/dns-records';
import { MailDnsSpec, MxKeySpec, mailDnsRecords, validateMailDns } from '../../lib/mail-dns';
import { mtaStsPolicyId, renderMtaStsPolicy } from '../../lib/mta-sts';
import { chainsToStore } from '../../lib/pki/trust';
import { useTestPki } from '../helpers/fixtures';

const KEY: MxKeySpec = { source: 'mx certificates[0]', role: 'current', spkiSha256: 'ab'.repeat(32), publiclyTrusted: true, namesHost: true };

function spec(patch: Partial<MailDnsSpec> = {}, key: Partial<MxKeySpec> = {}): MailDnsSpec {
  return {
    domain: 'example.com',
    mx: [{ hostname: 'mx.example.com', keys: [{ ...KEY, ...key }] }],
    dane: true,
    mtaSts: { mode: 'enforce', mx: ['mx.example.com'], maxAgeSeconds: 604800 },
    tlsReportUris: [],
    caaIssuers: [],
    ...patch,
  };
}

const rules = (s: MailDnsSpec) => validateMailDns(s).map((d) => `${d.severity} ${d.rule}`);

describe('validateMailDns', () => {
  test('a publicly trusted certificate for the MX name passes MTA-STS enforce', () => {
    expect(validateMailDns(spec())).toEqual([]);
  });

  test.each([
    ['a certificate for another name', { namesHost: false }, 'enforce', ['error mta-sts-name-mismatch']],
    ['the same in testing mode', { namesHost: false }, 'testing', ['warning mta-sts-name-mismatch']],
    ['a deploy-time certificate', { publiclyTrusted: undefined, namesHost: undefined }, 'enforce', ['warning mta-sts-certificate-unknown']],
    ['a private CA in mode none', { publiclyTrusted: false }, 'none', []],
  ] as const)('%s: %j', (_name, key, mode, expected) => {
    expect(rules(spec({ mtaSts: { mode, mx: ['mx.example.com'], maxAgeSeconds: 604800 } }, key))).toEqual(expected);
  });

  test('a policy that expires within a day warns in enforce mode', () => {
    const [d] = validateMailDns(spec({ mtaSts: { mode: 'enforce', mx: ['mx.example.com'], maxAgeSeconds: 3600 } }));
    expect(d).toMatchObject({ severity: Severity.WARNING, rule: 'mta-sts-short-max-age' });
    expect(d.message).toContain('mtaSts.maxAgeSeconds 3600 in mode enforce');
  });

  test('no MX hosts is an error', () => {
    expect(rules(spec({ mx: [] }))).toEqual(['error mail-dns-without-mx']);
  });
});

describe('record text', () => {
  test('TXT data longer than 255 bytes is split into character-strings; quotes and backslashes escaped', () => {
    expect(txtData('t', `${'a'.repeat(255)}b"\\`)).toBe(`"${'a'.repeat(255)}" "b\\"\\\\"`);
    expect(txtData('t', '')).toBe('""');
    // The dns provider's form: the strings joined, escapes kept (its parser reads them and splits at 255 again).
    expect(txtText(txtData('t', `${'a'.repeat(255)}b"\\`))).toBe(`${'a'.repeat(255)}b\\"\\\\`);
    expect(txtText('"a\\" \\"b" "c"')).toBe('a\\" \\"bc');
    expect(() => txtData('TLS-RPT record', 'caf\u00e9')).toThrow('TLS-RPT record "caf\u00e9" holds characters other than printable ASCII');
  });

  test('names relative to a zone: only below it, on a label boundary', () => {
    expect(nameInZone('_smtp._tls.example.com.', 'example.com.')).toBe('_smtp._tls');
    expect(nameInZone('_smtp._tls.example.com.', 'ample.com.')).toBeUndefined();
    expect(nameInZone('example.com.', 'example.com.')).toBeUndefined();
  });

  test('the zone file is sorted and has no duplicate lines, whatever the input order', () => {
    const a = { name: 'b.example.com.', type: 'TXT' as const, value: '"x"' };
    const b = { name: 'a.example.com.', type: 'CAA' as const, value: '0 issue "ca.example"' };
    expect(renderZoneFile([a, b, a], 300)).toBe('a.example.com. 300 IN CAA 0 issue "ca.example"\nb.example.com. 300 IN TXT "x"\n');
  });

  test('MTA-STS policy: CRLF lines, wildcard patterns, duplicates folded, grammar checked', () => {
    expect(renderMtaStsPolicy({ mode: 'enforce', mx: ['MX1.example.com', '*.mx.example.com', 'mx1.example.com'], maxAgeSeconds: 86400 }))
      .toBe('version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mx.example.com\r\nmax_age: 86400\r\n');
    expect(() => renderMtaStsPolicy({ mode: 'enforce', mx: ['mx.*.example.com'], maxAgeSeconds: 1 })).toThrow(/MTA-STS mx\[0\] "mx\.\*\.example\.com" is not a fully qualified host name/);
    expect(() => renderMtaStsPolicy({ mode: 'testing', mx: [], maxAgeSeconds: 1 })).toThrow('an MTA-STS policy in mode testing needs at least one mx pattern');
    expect(mtaStsPolicyId('x')).toMatch(/^[0-9a-f]{32}$/);
  });

  test('records of the model: TLSA only with dane; CAA per MX host', () => {
    const records = mailDnsRecords(spec({ dane: false, mtaSts: undefined, caaIssuers: ['ca.example.net'] }));
    expect(records).toEqual([{ name: 'mx.example.com.', type: 'CAA', value: '0 issue "ca.example.net"' }]);
  });
});

describe('chainsToStore', () => {
  const pki = useTestPki();
  test('a chain leads to the store that holds its root, not to another root', () => {
    const t = pki();
    const chain = readFileSync(t.serverEcdsa.chainPath, 'utf8');
    expect(chainsToStore(chain, [new X509Certificate(readFileSync(t.root.certPath))])).toBe(true);
    expect(chainsToStore(chain, [new X509Certificate(readFileSync(t.intermediate.certPath))])).toBe(true);
    expect(chainsToStore(chain, [new X509Certificate(readFileSync(t.clientCa.certPath))])).toBe(false);
    expect(chainsToStore(readFileSync(t.serverEcdsa.certPath, 'utf8'), [new X509Certificate(readFileSync(t.root.certPath))])).toBe(false);
  });
});
