import { ConfigError, Diagnostic, error, warning } from './diagnostics';
import { DnsRecord, ownerName, sortedRecords, txtData } from './dns-records';
import { MtaStsPolicySpec, mtaStsRecordText, renderMtaStsPolicy } from './mta-sts';
import { hostname, mailAddress, quote } from './values';

/** One key of an MX host, as far as it is known at synth. */
export interface MxKeySpec {
  /** Where the key comes from, for messages (e.g. `mail/mx/Tls certificates[0]`). */
  readonly source: string;
  /** The key the server presents, a staged next key, or the key it presented before a rollover switch. */
  readonly role: 'current' | 'next' | 'previous';
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex; undefined when the key exists only at deploy time. */
  readonly spkiSha256?: string;
  /** Whether the chain leads to a CA of the system trust store; undefined when unknown at synth. */
  readonly publiclyTrusted?: boolean;
  /** Whether the certificate names the MX host; undefined when unknown at synth. */
  readonly namesHost?: boolean;
}

/** An MX host of the domain: the name senders look up, and its keys. */
export interface MxHostSpec {
  readonly hostname: string;
  readonly keys: readonly MxKeySpec[];
}

/** The TLS-related DNS records of a mail domain. */
export interface MailDnsSpec {
  /** The mail domain (the owner of `_mta-sts` and `_smtp._tls`). */
  readonly domain: string;
  readonly mx: readonly MxHostSpec[];
  /** DANE-EE TLSA records (3 1 1) for every MX key. */
  readonly dane: boolean;
  readonly mtaSts?: MtaStsPolicySpec;
  /** TLS-RPT report destinations (`mailto:` or `https:` URIs). */
  readonly tlsReportUris: readonly string[];
  /** CA domains allowed to issue certificates for the MX names (CAA `issue`). */
  readonly caaIssuers: readonly string[];
  /** Where CAs report refused requests (CAA `iodef`, a `mailto:` or `https:` URI). */
  readonly caaIncidentUri?: string;
  /** TLSA data (`3 1 1 HEX`) the user declares live in DNS; a rollover switch needs the new key's. */
  readonly publishedTlsa?: readonly string[];
}

/** TLSA RDATA of a key: DANE-EE (3), SubjectPublicKeyInfo (1), SHA-256 (1). */
export function tlsaData(spkiSha256: string): string {
  return `3 1 1 ${spkiSha256}`;
}

/** MTA-STS senders check that the MX has a publicly trusted certificate for its name (RFC 8461 section 4.2). */
function validateMtaSts(spec: MailDnsSpec, policy: MtaStsPolicySpec, out: Diagnostic[]): void {
  if (policy.mode === 'none') return;
  const enforce = policy.mode === 'enforce';
  const consequence = enforce ? 'senders that apply the policy will not deliver to it' : 'senders that apply the policy report failures for it';
  const problem = (rule: string, message: string) => out.push(enforce ? error(rule, message) : warning(rule, message));
  for (const mx of spec.mx) {
    for (const key of mx.keys.filter((k) => k.role === 'current')) {
      if (key.publiclyTrusted === false) {
        problem('mta-sts-untrusted-certificate', `${key.source} of MX ${mx.hostname} does not chain to a CA of the system trust store, and MTA-STS needs a publicly trusted certificate: ${consequence}. Use a publicly issued certificate, or MTA-STS mode testing until you have one`);
      } else if (key.namesHost === false) {
        problem('mta-sts-name-mismatch', `${key.source} does not name MX ${mx.hostname}: ${consequence}. Issue the certificate for ${mx.hostname}`);
      } else if (key.publiclyTrusted === undefined) {
        out.push(warning('mta-sts-certificate-unknown', `${key.source} of MX ${mx.hostname} is only known at deploy time, so whether MTA-STS senders accept it is not checked: make sure a public CA issues it for ${mx.hostname}`));
      }
    }
  }
  if (enforce && policy.maxAgeSeconds < 86400) {
    out.push(warning('mta-sts-short-max-age', `mtaSts.maxAgeSeconds ${policy.maxAgeSeconds} in mode enforce: a policy that expires within a day protects little against a downgrade (RFC 8461 section 10.2 suggests weeks). Raise maxAgeSeconds, e.g. 604800`));
  }
}

/**
 * A rollover switch (the server presents a new key, the previous one is still published) is safe only once
 * the new key's TLSA record has been in DNS for the TTL of the old set: otherwise DANE senders with a cached
 * set would see an unlisted key and defer mail (RFC 7671 section 8.1).
 */
function validateSwitch(mx: MxHostSpec, published: readonly string[] | undefined, out: Diagnostic[]): void {
  const declared = new Set((published ?? []).map((r) => r.trim().toLowerCase().replace(/\s+/g, ' ')));
  for (const key of mx.keys.filter((k) => k.role === 'current' && k.spkiSha256 !== undefined)) {
    const record = tlsaData(key.spkiSha256!);
    if (!declared.has(record)) {
      out.push(error('dane-switch-unpublished', `${key.source} of MX ${mx.hostname} switched to a key whose TLSA record (${record}) is not declared published (publishedTlsa${published ? `: ${published.join(', ')}` : ' is unset'}): DANE senders would defer mail until DNS has it. Go back to KeyRollover.STAGED, deploy the records, wait for the TTL, then add the record to publishedTlsa and switch`));
    }
  }
}

/** Problems of the records as a whole (syntax errors are thrown as ConfigError by `mailDnsRecords`). */
export function validateMailDns(spec: MailDnsSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (spec.mx.length === 0) out.push(error('mail-dns-without-mx', 'no servers are given: pass the PostfixServers that are MX hosts of the domain'));
  if (spec.dane) {
    for (const mx of spec.mx) {
      const unknown = mx.keys.filter((k) => k.spkiSha256 === undefined);
      if (unknown.length > 0) {
        out.push(error('dane-key-unknown', `${unknown.map((k) => k.source).join(', ')} of MX ${mx.hostname} exists only at deploy time, so no TLSA record can be computed at synth, and a TLSA set missing a key the server presents fails DANE senders: use certificates from files or LocalPki, or dane: false`));
      }
      if (mx.keys.some((k) => k.role === 'previous')) validateSwitch(mx, spec.publishedTlsa, out);
      if (mx.keys.length === 0) {
        out.push(error('dane-without-certificate', `MX ${mx.hostname} presents no certificate, so it has no key for a TLSA record: give its TlsServer certificates, or dane: false`));
      }
    }
  }
  if (spec.mtaSts) validateMtaSts(spec, spec.mtaSts, out);
  return out;
}

/** A `mailto:` address or an `https:` URL, with no `,` `!` or `;` (TLS-RPT and CAA separators). */
function reportUri(what: string, uri: string): string {
  if (uri.startsWith('mailto:')) return `mailto:${mailAddress(what, uri.slice('mailto:'.length))}`;
  let url: URL | undefined;
  try {
    url = new URL(uri);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || /[\s,;!"\\]/.test(uri)) {
    throw new ConfigError(`${what} ${quote(uri)} is not a mailto: address or an https: URL (without , ; ! or spaces), e.g. mailto:tlsrpt@example.com`);
  }
  hostname(what, url.hostname);
  return uri;
}

/** The DANE, MTA-STS, TLS-RPT and CAA records of the domain, sorted. Throws ConfigError on a malformed value. */
export function mailDnsRecords(spec: MailDnsSpec): DnsRecord[] {
  const domain = hostname('domain', spec.domain);
  const records: DnsRecord[] = [];
  for (const mx of spec.mx) {
    const host = hostname('MX host name', mx.hostname);
    if (spec.dane) {
      for (const key of mx.keys) {
        // DANE for SMTP (RFC 7672): senders look up _25._tcp at each MX name; 3 1 1 = DANE-EE, SPKI, SHA-256.
        if (key.spkiSha256) records.push({ name: ownerName(host, '_25', '_tcp'), type: 'TLSA', value: tlsaData(key.spkiSha256) });
      }
    }
    // CAA issuer-domain-name (RFC 8659 section 4.2) is a domain name: the same grammar as a host name here.
    for (const [i, issuer] of spec.caaIssuers.entries()) {
      records.push({ name: ownerName(host), type: 'CAA', value: `0 issue "${hostname(`caaIssuers[${i}]`, issuer)}"` });
    }
    if (spec.caaIncidentUri !== undefined) {
      records.push({ name: ownerName(host), type: 'CAA', value: `0 iodef "${reportUri('caaIncidentUri', spec.caaIncidentUri)}"` });
    }
  }
  if (spec.mtaSts) {
    records.push({ name: ownerName(domain, '_mta-sts'), type: 'TXT', value: txtData('MTA-STS record', mtaStsRecordText(renderMtaStsPolicy(spec.mtaSts))) });
  }
  if (spec.tlsReportUris.length > 0) {
    const uris = spec.tlsReportUris.map((u, i) => reportUri(`tlsReportUris[${i}]`, u));
    records.push({ name: ownerName(domain, '_smtp', '_tls'), type: 'TXT', value: txtData('TLS-RPT record', `v=TLSRPTv1; rua=${uris.join(',')}`) });
  }
  return sortedRecords(records);
}
