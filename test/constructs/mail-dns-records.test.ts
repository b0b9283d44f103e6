/**
 * MailDnsRecords: DANE TLSA, MTA-STS, TLS-RPT and CAA for the MX servers of a stack. TLSA data is compared
 * with openssl's own SPKI digest, the zone-file text is read by BIND's named-checkzone, and the MTA-STS
 * checks follow what RFC 8461 senders verify.
 */
import { DnsProvider } from '@cdktf/provider-dns/lib/provider';
import { TxtRecordSet } from '@cdktf/provider-dns/lib/txt-record-set';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { Testing } from 'cdktf';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeployTimePki, KeyRollover, LocalPki, MailDnsRecords, MailDnsRecordsProps, MtaStsMode, PostfixServer, SecurityLevel, ServerCertificate, TlsServer } from '../../index';
import { buildServer, errorOf, newStack, serverCert, tmpDir, useTestPki } from '../helpers/fixtures';

Testing.setupJest();
const pki = useTestPki();

/** openssl's SHA-256 of the SubjectPublicKeyInfo of a certificate or public key file. */
const tlsaData = (path: string): string => {
  const spki = readFileSync(path, 'utf8').includes('BEGIN PUBLIC KEY') ? execFileSync('openssl', ['pkey', '-pubin', '-in', path, '-outform', 'DER']) : execFileSync('openssl', ['x509', '-in', path, '-noout', '-pubkey']);
  const der = spki[0] === 0x30 ? spki : execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: spki });
  return execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der }).toString().split(' ')[0];
};

/** A stack with one dual-certificate MX (mx.example.com) and MailDnsRecords over it (and a DnsProvider with dnsUpdate). */
function dnsStack(props: Partial<MailDnsRecordsProps> = {}) {
  const t = pki();
  const { app, stack } = newStack();
  const server = buildServer(stack, 'mx', t, { tls: { certificates: [serverCert(t.serverEcdsa), serverCert(t.serverRsa)] } });
  // The RFC 2136 server; a real stack's update block also names the TSIG key.
  if (props.dnsUpdate) new DnsProvider(stack, 'dns', { update: [{ server: '192.0.2.53' }] });
  const dns = new MailDnsRecords(stack, 'Dns', { domain: 'example.com', servers: [server], ...props });
  return { app, stack, server, dns, t };
}

const warnings = (dns: MailDnsRecords): string[] => dns.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));

describe('MailDnsRecords: DANE TLSA', () => {
  test('one 3 1 1 record per server key, with the SPKI SHA-256 openssl computes', () => {
    const { dns, t, stack } = dnsStack();
    Testing.synth(stack, true);
    expect(dns.records).toEqual(
      [
        { name: '_25._tcp.mx.example.com.', recordType: 'TLSA', value: `3 1 1 ${tlsaData(t.serverEcdsa.certPath)}` },
        { name: '_25._tcp.mx.example.com.', recordType: 'TLSA', value: `3 1 1 ${tlsaData(t.serverRsa.certPath)}` },
      ].sort((a, b) => (a.value < b.value ? -1 : 1)), // sorted, as the zone file lists them
    );
  });

  test('a deploy-time key has no TLSA at synth: refused with dane, which dane: false lifts', () => {
    const build = (dane?: boolean) => {
      const { stack } = newStack();
      new TlsProvider(stack, 'tls', {});
      const deployTime = new DeployTimePki(stack, 'Pki', {});
      const server = new PostfixServer(stack, 'mx', { hostname: 'mx.example.com' });
      new TlsServer(server, 'Tls', { certificates: [deployTime.serverCertificate('Server', ['mx.example.com'])] });
      const dns = new MailDnsRecords(stack, 'Dns', { domain: 'example.com', servers: [server], dane, tlsReportUris: ['mailto:tlsrpt@example.com'] });
      return { stack, dns };
    };
    const refused = build();
    expect(() => Testing.synth(refused.stack, true)).toThrow(/\[stack\/Dns\] \[dane-key-unknown\] stack\/mx certificates\[0\] of MX mx\.example\.com exists only at deploy time.*dane: false/);
    const lifted = build(false);
    Testing.synth(lifted.stack, true);
    expect(lifted.dns.records.map((r) => r.recordType)).toEqual(['TXT']);
  });

  test('a server without certificates cannot have TLSA records', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), { tls: { securityLevel: SecurityLevel.NONE }, server: { publicMx: false } });
    new MailDnsRecords(stack, 'Dns', { domain: 'example.com', servers: [server] });
    expect(errorOf(() => Testing.synth(stack, true)).message).toMatch(/\[dane-without-certificate\] MX mx\.example\.com presents no certificate/);
  });
});

describe('MailDnsRecords: MTA-STS, TLS-RPT, CAA', () => {
  test('MTA-STS testing: the policy file, its _mta-sts id, and a warning for a certificate no public CA issued', () => {
    const { dns, stack } = dnsStack({ mtaSts: { mode: MtaStsMode.TESTING } });
    Testing.synth(stack, true);
    const policy = 'version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 604800\r\n';
    expect(dns.mtaStsPolicy).toBe(policy);
    const id = execFileSync('sha256sum', { input: policy }).toString().slice(0, 32);
    expect(dns.records).toContainEqual({ name: '_mta-sts.example.com.', recordType: 'TXT', value: `"v=STSv1; id=${id}"` });
    expect(warnings(dns)).toEqual([
      expect.stringMatching(/^\[mta-sts-untrusted-certificate\] stack\/mx certificates\[0\] of MX mx\.example\.com does not chain to a CA of the system trust store/),
      expect.stringMatching(/^\[mta-sts-untrusted-certificate\] stack\/mx certificates\[1\]/),
    ]);
  });

  test('MTA-STS enforce with such a certificate is refused: senders would not deliver', () => {
    const { stack } = dnsStack({ mtaSts: { mode: MtaStsMode.ENFORCE, maxAgeSeconds: 86400 } });
    expect(errorOf(() => Testing.synth(stack, true)).message).toMatch(/\[stack\/Dns\] \[mta-sts-untrusted-certificate\] .*senders that apply the policy will not deliver to it.*MTA-STS mode testing/);
  });

  test('the policy id changes exactly when the policy does', () => {
    const id = (maxAgeSeconds?: number) => {
      const { dns } = dnsStack({ mtaSts: { mode: MtaStsMode.TESTING, maxAgeSeconds } });
      return dns.records.find((r) => r.name === '_mta-sts.example.com.')!.value;
    };
    expect(id(604800)).toBe(id(undefined));
    expect(id(1209600)).not.toBe(id(604800));
  });

  test.each([
    [{ mtaSts: { mode: MtaStsMode.TESTING, maxAgeSeconds: 31557601 } }, /mtaSts\.maxAgeSeconds 31557601/],
    [{ mtaSts: { mode: 'strict' as MtaStsMode } }, /mtaSts\.mode "strict" is not one of enforce, testing, none/],
    [{ tlsReportUris: ['http://reports.example.com/tlsrpt'] }, /tlsReportUris\[0\] "http:\/\/reports\.example\.com\/tlsrpt" is not a mailto: address or an https: URL/],
    [{ tlsReportUris: ['https://reports.example.com/a,b'] }, /tlsReportUris\[0\] .* is not a mailto: address or an https: URL \(without , ; !/],
    [{ tlsReportUris: ['mailto:not an address'] }, /tlsReportUris\[0\] .* is not an address local@domain/],
    [{ caaIssuers: ['letsencrypt'] }, /caaIssuers\[0\] "letsencrypt" is not a fully qualified host name/],
    [{ domain: 'example..com' }, /domain "example\.\.com" is not a fully qualified host name/],
  ])('bad input %# is refused with the prop and value', (props, message) => {
    // Prop checks run in the constructor, record checks at synth: either way with the construct path.
    expect(errorOf(() => Testing.synth(dnsStack(props as Partial<MailDnsRecordsProps>).stack, true)).message).toMatch(new RegExp(`^\\[stack/Dns\\] .*${message.source}`));
  });

  test('TLS-RPT and CAA records, and zone-file text that BIND reads', () => {
    const { dns, stack } = dnsStack({
      tlsReportUris: ['mailto:tlsrpt@example.com', 'https://reports.example.com/v1/tlsrpt'],
      caaIssuers: ['letsencrypt.org'],
      caaIncidentUri: 'mailto:security@example.com',
      mtaSts: { mode: MtaStsMode.TESTING },
    });
    Testing.synth(stack, true);
    expect(dns.records).toContainEqual({ name: '_smtp._tls.example.com.', recordType: 'TXT', value: '"v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/v1/tlsrpt"' });
    expect(dns.records).toContainEqual({ name: 'mx.example.com.', recordType: 'CAA', value: '0 issue "letsencrypt.org"' });
    expect(dns.records).toContainEqual({ name: 'mx.example.com.', recordType: 'CAA', value: '0 iodef "mailto:security@example.com"' });
    const lines = dns.zoneFile.trimEnd().split('\n');
    expect(lines).toHaveLength(dns.records.length);
    expect(lines[0]).toMatch(/^_25\._tcp\.mx\.example\.com\. 3600 IN TLSA 3 1 1 [0-9a-f]{64}$/);
    const tmp = tmpDir('zone');
    try {
      const zone = join(tmp.dir, 'example.com.zone');
      writeFileSync(zone, `$ORIGIN example.com.\n@ 3600 IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300\n@ 3600 IN NS ns.example.com.\nns 3600 IN A 192.0.2.53\nmx 3600 IN A 192.0.2.25\n${dns.zoneFile}`);
      const checked = execFileSync('named-checkzone', ['-D', '-o', '-', 'example.com', zone], { encoding: 'utf8' });
      // BIND's canonical form (other spacing and case, TLSA hex split) holds every record we wrote.
      const canonical = (text: string) => text.toLowerCase().replace(/\s+/g, '');
      for (const r of dns.records) expect(canonical(checked)).toContain(canonical(`${r.name} 3600 IN ${r.recordType} ${r.value}`));
    } finally {
      tmp.cleanup();
    }
  });

  test('the zone file and the policy are Terraform outputs; synth is byte-identical', () => {
    const synth = () => {
      const { dns, stack } = dnsStack({ mtaSts: { mode: MtaStsMode.TESTING }, tlsReportUris: ['mailto:tlsrpt@example.com'] });
      const json = Testing.synth(stack, true);
      return { json, dns };
    };
    const first = synth();
    const outputs = JSON.parse(first.json).output as Record<string, { value: string }>;
    const ofDns = Object.entries(outputs).filter(([name]) => name.startsWith('Dns_')).map(([, o]) => o.value);
    expect(ofDns.sort()).toEqual([first.dns.mtaStsPolicy, first.dns.zoneFile].sort());
    expect(first.json.replace(/postfix-cdktf-test-[^/"]+\/app-[^/"]+/g, '')).toBe(synth().json.replace(/postfix-cdktf-test-[^/"]+\/app-[^/"]+/g, ''));
  });

  test('servers must be PostfixServers', () => {
    const { stack } = newStack();
    expect(errorOf(() => new MailDnsRecords(stack, 'Dns', { domain: 'example.com', servers: [{} as PostfixServer] })).message).toBe('[stack/Dns] servers[0] is not a PostfixServer');
  });
});

describe('MailDnsRecords: a DANE key rollover with LocalPki (stage, publish, switch, retire)', () => {
  const tmp = tmpDir('rollover');
  afterAll(() => tmp.cleanup());
  const local = (directory = 'pki') => new LocalPki({ directory: join(tmp.dir, directory) });

  /** One synth of a server whose LocalPki certificate is at `step`, with `publishedTlsa` declared. */
  async function synthAt(step: KeyRollover | undefined, publishedTlsa?: string[], directory = 'pki') {
    const pkiDir = local(directory);
    await pkiDir.ensureRootCa('root');
    const files = await pkiDir.ensureServerCert('mx', { issuer: 'root', hostnames: ['mx.example.com'], keyRollover: step });
    const { stack } = newStack();
    const server = new PostfixServer(stack, 'mx', { hostname: 'mx.example.com' });
    const certificate = ServerCertificate.fromFiles({ chainFile: files.chainPath, keyFile: files.keyPath, nextPublicKeyFile: files.nextPublicKeyPath, previousPublicKeyFile: files.previousPublicKeyPath });
    new TlsServer(server, 'Tls', { certificates: [certificate] });
    const dns = new MailDnsRecords(stack, 'Dns', { domain: 'example.com', servers: [server], publishedTlsa });
    const synth = () => Testing.synth(stack, true);
    return { files, dns, synth, keysGenerated: pkiDir.keysGenerated, served: tlsaData(files.certPath) };
  }
  const tlsa = (dns: MailDnsRecords) => dns.records.filter((r) => r.recordType === 'TLSA').map((r) => r.value);

  test('each step publishes the keys a DANE sender may meet; the switch waits for the declared record', async () => {
    const before = await synthAt(undefined);
    before.synth();
    expect(tlsa(before.dns)).toEqual([`3 1 1 ${before.served}`]);

    // Stage: a next key, published next to the current one; the certificate does not change.
    const staged = await synthAt(KeyRollover.STAGED);
    staged.synth();
    expect(staged.files.certPem).toBe(before.files.certPem);
    const nextRecord = `3 1 1 ${tlsaData(staged.files.nextPublicKeyPath!)}`;
    expect(tlsa(staged.dns).sort()).toEqual([`3 1 1 ${before.served}`, nextRecord].sort());
    expect(readFileSync(staged.files.nextPublicKeyPath!, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    // Switch before the next record is declared live: refused, naming the record and the way back.
    const early = await synthAt(KeyRollover.SWITCHED);
    expect(errorOf(early.synth).message).toMatch(new RegExp(`\\[dane-switch-unpublished\\] stack/mx certificates\\[0\\] of MX mx\\.example\\.com switched to a key whose TLSA record \\(${nextRecord}\\) is not declared published \\(publishedTlsa is unset\\).*KeyRollover\\.STAGED`));
    // The certificate now carries the staged key, and the previous key stays published.
    expect(early.served).toBe(nextRecord.slice('3 1 1 '.length));
    expect(tlsaData(early.files.previousPublicKeyPath!)).toBe(before.served);

    // Declared published: the switch synthesizes, and a second synth at the same step changes nothing.
    const switched = await synthAt(KeyRollover.SWITCHED, [nextRecord.toUpperCase()]);
    switched.synth();
    expect(tlsa(switched.dns).sort()).toEqual([`3 1 1 ${before.served}`, nextRecord].sort());
    expect(switched.keysGenerated).toBe(0);
    expect(switched.files.certPem).toBe(early.files.certPem);

    // Retire: the previous key and its record go.
    const retired = await synthAt(undefined);
    retired.synth();
    expect(tlsa(retired.dns)).toEqual([nextRecord]);
    expect(existsSync(early.files.previousPublicKeyPath!)).toBe(false);
    expect(existsSync(join(tmp.dir, 'pki', 'mx.key.previous.pem'))).toBe(false);
  });

  test('back to STAGED after a refused switch (as the refusal says): the old key is served again, no key is lost or made', async () => {
    const dir = 'pki-back';
    const before = await synthAt(undefined, undefined, dir);
    const staged = await synthAt(KeyRollover.STAGED, undefined, dir);
    const nextRecord = `3 1 1 ${tlsaData(staged.files.nextPublicKeyPath!)}`;
    const early = await synthAt(KeyRollover.SWITCHED, undefined, dir);
    expect(errorOf(early.synth).message).toMatch(/\[dane-switch-unpublished\].*Go back to KeyRollover\.STAGED/);
    expect(early.served).toBe(nextRecord.slice('3 1 1 '.length));

    // Following the message: STAGED again. The server must present the key DNS has (the old one), with the
    // same next key staged beside it; deleting the old key would make the next deploy serve an unpublished key.
    const back = await synthAt(KeyRollover.STAGED, undefined, dir);
    back.synth();
    expect(back.served).toBe(before.served);
    expect(tlsa(back.dns).sort()).toEqual([`3 1 1 ${before.served}`, nextRecord].sort());
    expect(back.keysGenerated).toBe(0);
    expect(back.files.previousPublicKeyPath).toBeUndefined();
    expect(existsSync(join(tmp.dir, dir, 'mx.key.previous.pem'))).toBe(false);

    // Once the record is declared published, the switch goes to that same next key.
    const switched = await synthAt(KeyRollover.SWITCHED, [nextRecord], dir);
    switched.synth();
    expect(switched.served).toBe(nextRecord.slice('3 1 1 '.length));
    expect(tlsaData(switched.files.previousPublicKeyPath!)).toBe(before.served);
  });

  test('rollover key files must be public keys: a private key is refused without showing it', async () => {
    const t = pki();
    const message = errorOf(() => ServerCertificate.fromFiles({ chainFile: t.serverEcdsa.chainPath, keyFile: t.serverEcdsa.keyPath, nextPublicKeyFile: t.serverRsa.keyPath })).message;
    expect(message).toBe(`nextPublicKeyFile ${t.serverRsa.keyPath} holds a private key: give the public key only (openssl pkey -pubout)`);
    expect(errorOf(() => ServerCertificate.fromFiles({ chainFile: t.serverEcdsa.chainPath, keyFile: t.serverEcdsa.keyPath, previousPublicKeyFile: t.serverRsa.certPath })).message).toMatch(/previousPublicKeyFile .* is not one PUBLIC KEY PEM block/);
  });
});

describe('MailDnsRecords: dnsUpdate (RFC 2136 through the dns provider)', () => {
  /** The synthesized resources of the dns provider, by type. */
  const dnsResources = (json: string): Record<string, Record<string, unknown>> =>
    Object.fromEntries(Object.entries((JSON.parse(json).resource ?? {}) as Record<string, Record<string, unknown>>).filter(([type]) => type.startsWith('dns_')));
  const all = { mtaSts: { mode: MtaStsMode.TESTING }, tlsReportUris: ['mailto:tlsrpt@example.com'], caaIssuers: ['letsencrypt.org'], ttlSeconds: 300 };

  test('one dns_txt_record_set per TXT owner name, named relative to the zone, with the text and the TTL', () => {
    const { dns, stack } = dnsStack({ ...all, dnsUpdate: { zone: 'example.com.' } });
    const json = Testing.synth(stack, true);
    const txt = dns.records.filter((r) => r.recordType === 'TXT');
    expect(txt.map((r) => r.name)).toEqual(['_mta-sts.example.com.', '_smtp._tls.example.com.']);
    const text = (name: string) => txt.find((r) => r.name === name)!.value.replace(/^"|"$/g, ''); // short: one string each
    expect(Object.values(dnsResources(json).dns_txt_record_set)).toEqual([
      { zone: 'example.com.', name: '_mta-sts', txt: [text('_mta-sts.example.com.')], ttl: 300 },
      { zone: 'example.com.', name: '_smtp._tls', txt: ['v=TLSRPTv1; rua=mailto:tlsrpt@example.com'], ttl: 300 },
    ]);
    expect(Object.keys(dnsResources(json))).toEqual(['dns_txt_record_set']);
    expect(json).toHaveResourceWithProperties(TxtRecordSet, { name: '_mta-sts', txt: [expect.stringMatching(/^v=STSv1; id=[0-9a-f]{32}$/)] });
  });

  test('in a zone above the mail domain the names keep the labels between them', () => {
    const { stack } = dnsStack({ domain: 'mail.example.com', tlsReportUris: ['mailto:tlsrpt@example.com'], dane: false, dnsUpdate: { zone: 'example.com.' } });
    expect(Testing.synth(stack, true)).toHaveResourceWithProperties(TxtRecordSet, { zone: 'example.com.', name: '_smtp._tls.mail' });
  });

  test('a TXT text over 255 bytes goes whole to the provider, which splits it at 255 bytes as the zone file does', () => {
    const uris = ['mailto:tlsrpt@example.com', ...[1, 2, 3].map((i) => `https://reports-${i}.example.com/${'v'.repeat(80)}/tlsrpt`)];
    const { dns, stack } = dnsStack({ tlsReportUris: uris, dane: false, dnsUpdate: { zone: 'example.com.' } });
    const json = Testing.synth(stack, true);
    const whole = `v=TLSRPTv1; rua=${uris.join(',')}`;
    expect(whole.length).toBeGreaterThan(255);
    expect(dns.records).toEqual([{ name: '_smtp._tls.example.com.', recordType: 'TXT', value: `"${whole.slice(0, 255)}" "${whole.slice(255)}"` }]);
    expect(json).toHaveResourceWithProperties(TxtRecordSet, { name: '_smtp._tls', txt: [whole] });
  });

  test('TLSA and CAA, which the provider cannot write, stay in the zone file and are named in a warning', () => {
    const { dns, stack } = dnsStack({ ...all, dnsUpdate: { zone: 'example.com.' } });
    const json = Testing.synth(stack, true);
    expect(dns.zoneFile).toMatch(/^_25\._tcp\.mx\.example\.com\. 300 IN TLSA 3 1 1 /m);
    expect(dns.zoneFile).toMatch(/^mx\.example\.com\. 300 IN CAA 0 issue "letsencrypt\.org"$/m);
    expect(Object.values(JSON.parse(json).output as Record<string, { value: string }>).map((o) => o.value)).toContain(dns.zoneFile);
    expect(warnings(dns).filter((w) => w.startsWith('[dns-provider-unsupported-record]'))).toEqual([
      '[dns-provider-unsupported-record] the dns provider has no TLSA or CAA resources, so dnsUpdate does not send _25._tcp.mx.example.com. TLSA, mx.example.com. CAA: publish them another way, from zoneFile or the zone_file output',
    ]);
    const txtOnly = dnsStack({ tlsReportUris: ['mailto:tlsrpt@example.com'], dane: false, dnsUpdate: { zone: 'example.com.' } });
    Testing.synth(txtOnly.stack, true);
    expect(warnings(txtOnly.dns).filter((w) => w.includes('dns-provider'))).toEqual([]);
  });

  test.each(['example.org.', 'ample.com.', 'mail.example.com.'])('zone %s does not hold the mail domain: refused, naming the record and the zone', (zone) => {
    const { stack } = dnsStack({ tlsReportUris: ['mailto:tlsrpt@example.com'], dnsUpdate: { zone } });
    expect(errorOf(() => Testing.synth(stack, true)).message).toBe(`[stack/Dns] dnsUpdate.zone "${zone}" does not hold the record _smtp._tls.example.com. TXT: give the zone of the mail domain`);
  });

  test.each([
    [{ zone: 'example.com' }, 'dnsUpdate.zone "example.com" is not a zone name with its trailing dot, e.g. example.com.'],
    [{ zone: 'exa mple.com.' }, 'dnsUpdate.zone "exa mple.com" is not a fully qualified host name'],
  ])('a bad zone is refused when the construct is made: %j', (dnsUpdate, message) => {
    expect(errorOf(() => dnsStack({ dnsUpdate })).message).toContain(`[stack/Dns] ${message}`);
  });

  test('the record sets use the given provider (an aliased DnsProvider); another provider type is refused', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), {});
    const secondary = new DnsProvider(stack, 'dns-secondary', { alias: 'secondary', update: [{ server: '192.0.2.54' }] });
    new MailDnsRecords(stack, 'Dns', { domain: 'example.com', servers: [server], dane: false, tlsReportUris: ['mailto:tlsrpt@example.com'], dnsUpdate: { zone: 'Example.COM.', provider: secondary } });
    const json = Testing.synth(stack, true);
    expect(json).toHaveResourceWithProperties(TxtRecordSet, { zone: 'example.com.', name: '_smtp._tls', provider: 'dns.secondary' });
    const tls = new TlsProvider(stack, 'tls', {});
    expect(errorOf(() => new MailDnsRecords(stack, 'Dns2', { domain: 'example.com', servers: [server], dnsUpdate: { zone: 'example.com.', provider: tls } })).message).toBe(
      '[stack/Dns2] dnsUpdate.provider is not a DnsProvider (@cdktf/provider-dns/lib/provider)',
    );
  });

  test('without dnsUpdate no dns resources are synthesized and nothing warns about them', () => {
    const { dns, stack } = dnsStack(all);
    expect(dnsResources(Testing.synth(stack, true))).toEqual({});
    expect(warnings(dns).filter((w) => w.includes('dns-provider'))).toEqual([]);
  });

  test('the dns provider is an optional peer dependency: the library loads without it, and dnsUpdate says what to install', () => {
    jest.isolateModules(() => {
      jest.doMock('@cdktf/provider-dns/lib/txt-record-set', () => {
        throw new Error("Cannot find module '@cdktf/provider-dns/lib/txt-record-set'");
      });
      const library = require('../../index') as typeof import('../../index');
      const { Testing: testing, TerraformStack: Stack } = require('cdktf') as typeof import('cdktf');
      const stack = new Stack(testing.app(), 'no-dns');
      const server = new library.PostfixServer(stack, 'mx', { hostname: 'mx.example.com' });
      expect(() => new library.MailDnsRecords(stack, 'Dns', { domain: 'example.com', servers: [server] })).not.toThrow();
      expect(() => new library.MailDnsRecords(stack, 'Dns2', { domain: 'example.com', servers: [server], dnsUpdate: { zone: 'example.com.' } })).toThrow(
        /^\[no-dns\/Dns2\] dnsUpdate needs the dns provider bindings, which are not installed \(Cannot find module '@cdktf\/provider-dns\/lib\/txt-record-set'\): npm install @cdktf\/provider-dns@\^9$/,
      );
    });
  });
});
