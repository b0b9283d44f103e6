import type * as TxtRecordSetModule from '@cdktf/provider-dns/lib/txt-record-set';
import { Annotations, Aspects, Lazy, TerraformOutput, TerraformProvider, Token } from 'cdktf';
import { Construct } from 'constructs';
import { DnsRecord, nameInZone, renderZoneFile, txtText } from '../lib/dns-records';
import { MailDnsSpec, MxKeySpec, mailDnsRecords, validateMailDns } from '../lib/mail-dns';
import { renderMtaStsPolicy } from '../lib/mta-sts';
import { PKI_RULES, checkServerHostname } from '../lib/pki/check';
import { spkiSha256Hex } from '../lib/pki/fingerprint';
import { chainsToStore } from '../lib/pki/trust';
import { hostname, integer, quote } from '../lib/values';
import type { ServerCertificate } from './certificates';
import { MtaStsMode } from './enums';
import { checked, constructError, oneOf, refuseTokens, reportDiagnostics, typedProps } from './errors';
import { PostfixServer } from './postfix-server';
import { systemCas } from './system-store';

/** One DNS record, in zone-file presentation form. */
export interface MailDnsRecord {
  /** Absolute owner name with its trailing dot, e.g. `_25._tcp.mx.example.com.`. */
  readonly name: string;
  /** Record type: TLSA, TXT or CAA. */
  readonly recordType: string;
  /** RDATA as a zone file writes it, e.g. `3 1 1 8f4e...` or `"v=STSv1; id=..."`. */
  readonly value: string;
}

/** An MTA-STS policy (RFC 8461) for the domain, with the MX patterns taken from the servers. */
export interface MtaStsOptions {
  /** What senders do when an MX fails the policy. */
  readonly mode: MtaStsMode;
  /**
   * How long senders cache the policy, in seconds (`max_age`, at most 31557600).
   * @default 604800 (one week)
   */
  readonly maxAgeSeconds?: number;
}

/** Sending the records by RFC 2136 dynamic update with the hashicorp/dns provider (`@cdktf/provider-dns`). */
export interface DnsUpdateOptions {
  /** The zone the records are updated in, with its trailing dot (e.g. `example.com.`); it must hold the mail domain. */
  readonly zone: string;
  /**
   * The `DnsProvider` to send the updates with: you configure its RFC 2136 server and TSIG key.
   * @default - the stack's dns provider without an alias
   */
  readonly provider?: TerraformProvider;
}

/** Props of `MailDnsRecords`. */
export interface MailDnsRecordsProps {
  /** The mail domain the servers are MX hosts of: owner of the `_mta-sts` and `_smtp._tls` records. */
  readonly domain: string;
  /** The MX hosts: each server's host name and the keys of its TlsServer certificates. */
  readonly servers: PostfixServer[];
  /**
   * Publish DANE-EE TLSA records (`_25._tcp.MX IN TLSA 3 1 1 <SPKI SHA-256>`) for every key of every server.
   * They protect only in a DNSSEC-signed zone.
   * @default true
   */
  readonly dane?: boolean;
  /**
   * An MTA-STS policy and its `_mta-sts` TXT record (the id changes with the policy text). The policy file
   * must be served at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`.
   * @default - no MTA-STS
   */
  readonly mtaSts?: MtaStsOptions;
  /**
   * Where senders send TLS reports (RFC 8460): `mailto:` addresses or `https:` URLs, in the `_smtp._tls` TXT record.
   * @default - no TLS-RPT record
   */
  readonly tlsReportUris?: string[];
  /**
   * CA domains allowed to issue certificates for the MX names (CAA `issue`), e.g. `letsencrypt.org`.
   * @default - no CAA records
   */
  readonly caaIssuers?: string[];
  /**
   * Where CAs report refused certificate requests (CAA `iodef`): a `mailto:` address or an `https:` URL.
   * @default - none
   */
  readonly caaIncidentUri?: string;
  /**
   * TLSA records (`3 1 1 HEX`) you have seen live in DNS (e.g. `dig +short TLSA _25._tcp.MX`) for at least the
   * TTL. A server certificate switched to a new key (`KeyRollover.SWITCHED`, or `previousPublicKeyFile`) is
   * refused at synth until its record is listed here.
   * @default - none declared
   */
  readonly publishedTlsa?: string[];
  /**
   * TTL of the records in the zone-file text and in the dns provider's record sets, in seconds.
   * @default 3600
   */
  readonly ttlSeconds?: number;
  /**
   * Also create `dns_txt_record_set` resources for the TXT records (MTA-STS, TLS-RPT), sent by RFC 2136 at
   * deploy. The provider has no TLSA or CAA resources: those stay in the zone file only, with a warning.
   * @default - no dns provider resources
   */
  readonly dnsUpdate?: DnsUpdateOptions;
}

const DEFAULT_MAX_AGE_SECONDS = 604800;

type TxtRecordSet = typeof TxtRecordSetModule.TxtRecordSet;
let txtRecordSetClass: TxtRecordSet | undefined;
/** The dns provider's TXT record set, loaded on first use: it is an optional peer dependency, needed only here. */
function txtRecordSet(scope: Construct): TxtRecordSet {
  if (!txtRecordSetClass) {
    try {
      txtRecordSetClass = (require('@cdktf/provider-dns/lib/txt-record-set') as typeof TxtRecordSetModule).TxtRecordSet;
    } catch (e) {
      throw constructError(scope, `dnsUpdate needs the dns provider bindings, which are not installed (${(e as Error).message.split('\n')[0]}): npm install @cdktf/provider-dns@^9`);
    }
  }
  return txtRecordSetClass;
}

/**
 * The DNS records that make a mail domain's TLS verifiable: DANE TLSA for every MX key, MTA-STS, TLS-RPT and
 * CAA. Published as the `records`, `zoneFile` and `mtaStsPolicy` properties and as Terraform outputs
 * (`zone_file`, `mta_sts_policy`) for the DNS tooling, and with `dnsUpdate` the TXT records as dns provider
 * resources; nothing here changes the servers.
 */
export class MailDnsRecords extends Construct {
  private readonly spec: () => MailDnsSpec;
  private readonly ttlSeconds: number;
  private readonly dnsUpdate?: DnsUpdateOptions;
  private computed?: { readonly records: DnsRecord[]; readonly policy?: string };

  constructor(scope: Construct, id: string, props: MailDnsRecordsProps) {
    super(scope, id);
    refuseTokens(this, { ...props, servers: [] });
    typedProps(this, props, { dane: 'boolean', ttlSeconds: 'number' });
    typedProps(this, props.mtaSts ?? {}, { maxAgeSeconds: 'number' });
    this.ttlSeconds = props.ttlSeconds ?? 3600;
    checked(this, () => {
      integer('ttlSeconds', this.ttlSeconds, 0, 2147483647);
      if (props.mtaSts) oneOf('mtaSts.mode', props.mtaSts.mode, MtaStsMode);
    });
    if (props.dnsUpdate) {
      const { zone, provider } = props.dnsUpdate;
      if (typeof zone !== 'string' || !zone.endsWith('.')) throw constructError(this, `dnsUpdate.zone ${typeof zone === 'string' ? quote(zone) : String(zone)} is not a zone name with its trailing dot, e.g. example.com.`);
      checked(this, () => hostname('dnsUpdate.zone', zone.slice(0, -1)));
      if (provider !== undefined && !(TerraformProvider.isTerraformProvider(provider) && provider.terraformResourceType === 'dns')) {
        throw constructError(this, 'dnsUpdate.provider is not a DnsProvider (@cdktf/provider-dns/lib/provider)');
      }
      txtRecordSet(this); // without the package, fail here rather than at synth
      this.dnsUpdate = props.dnsUpdate;
    }
    for (const [i, server] of (props.servers ?? []).entries()) {
      if (!PostfixServer.isPostfixServer(server)) throw constructError(this, `servers[${i}] is not a PostfixServer`);
    }
    // Read when first needed: the servers' TlsServers may be created after this construct.
    this.spec = () => ({
      domain: props.domain,
      mx: props.servers.map((server) => ({
        hostname: server.hostname,
        keys: server._serverCertificates().flatMap((certificate, i) => keySpecs(`${server.node.path} certificates[${i}]`, certificate, server.hostname)),
      })),
      dane: props.dane ?? true,
      mtaSts: props.mtaSts && {
        mode: props.mtaSts.mode,
        mx: props.servers.map((s) => s.hostname),
        maxAgeSeconds: props.mtaSts.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS,
      },
      tlsReportUris: props.tlsReportUris ?? [],
      caaIssuers: props.caaIssuers ?? [],
      caaIncidentUri: props.caaIncidentUri,
      publishedTlsa: props.publishedTlsa,
    });
    // As for PostfixServer: an aspect reports problems with this path before any value is resolved.
    Aspects.of(this).add({ visit: (node) => void (node === this && this.compute()) });
    new TerraformOutput(this, 'zone_file', { value: Lazy.stringValue({ produce: () => this.zoneFile }), description: 'DANE, MTA-STS, TLS-RPT and CAA records (zone-file text)' });
    if (props.mtaSts) {
      new TerraformOutput(this, 'mta_sts_policy', { value: Lazy.stringValue({ produce: () => this.mtaStsPolicy }), description: 'serve at https://mta-sts.DOMAIN/.well-known/mta-sts.txt' });
    }
  }

  /** The records, sorted by name, type and value. */
  public get records(): MailDnsRecord[] {
    return this.compute().records.map((r) => ({ name: r.name, recordType: r.type, value: r.value }));
  }

  /** The records as zone-file lines (`NAME TTL IN TYPE RDATA`). */
  public get zoneFile(): string {
    return renderZoneFile(this.compute().records, this.ttlSeconds);
  }

  /** The MTA-STS policy file text (CRLF line ends), or undefined without `mtaSts`. */
  public get mtaStsPolicy(): string | undefined {
    return this.compute().policy;
  }

  private compute(): { readonly records: DnsRecord[]; readonly policy?: string } {
    if (!this.computed) {
      const spec = this.spec();
      reportDiagnostics(this, validateMailDns(spec));
      const computed = checked(this, () => ({ records: mailDnsRecords(spec), policy: spec.mtaSts && renderMtaStsPolicy(spec.mtaSts) }));
      // The resources follow the records, so they are made once, when the records are known.
      if (this.dnsUpdate) this.publish(computed.records, this.dnsUpdate);
      this.computed = computed;
    }
    return this.computed;
  }

  /** One `dns_txt_record_set` per TXT owner name; warns about the records the dns provider cannot write. */
  private publish(records: readonly DnsRecord[], { zone, provider }: DnsUpdateOptions): void {
    const origin = zone.toLowerCase();
    const sets = new Map<string, string[]>();
    for (const r of records.filter((record) => record.type === 'TXT')) {
      const name = nameInZone(r.name, origin);
      if (name === undefined) throw constructError(this, `dnsUpdate.zone ${quote(zone)} does not hold the record ${r.name} TXT: give the zone of the mail domain`);
      sets.set(name, [...(sets.get(name) ?? []), txtText(r.value)]);
    }
    const TxtRecordSet = txtRecordSet(this);
    // Names relative to the zone, as the provider takes them; never the apex (a zone is a host name, TXT owners start with _).
    for (const [name, txt] of sets) new TxtRecordSet(this, `Txt ${name}`, { zone: origin, name, txt, ttl: this.ttlSeconds, provider });
    const unsupported = [...new Set(records.filter((r) => r.type !== 'TXT').map((r) => `${r.name} ${r.type}`))];
    if (unsupported.length > 0) {
      Annotations.of(this).addWarning(
        `[dns-provider-unsupported-record] the dns provider has no TLSA or CAA resources, so dnsUpdate does not send ${unsupported.join(', ')}: publish them another way, from zoneFile or the zone_file output`,
      );
    }
  }
}

/** What DNS needs from a certificate and its rollover keys; deploy-time material is unknown at synth. */
function keySpecs(source: string, certificate: ServerCertificate, hostname: string): MxKeySpec[] {
  if (Token.isUnresolved(certificate.chainPem)) return [{ source, role: 'current' }];
  const store = systemCas();
  const { next, previous } = certificate._rollover;
  return [
    {
      source,
      role: 'current',
      spkiSha256: spkiSha256Hex(certificate.chainPem),
      publiclyTrusted: store && chainsToStore(certificate.chainPem, store),
      namesHost: !checkServerHostname(certificate.chainPem, hostname).some((d) => d.rule === PKI_RULES.hostnameMismatch),
    },
    ...(next ? [{ source: `${source} next key`, role: 'next' as const, spkiSha256: next }] : []),
    ...(previous ? [{ source: `${source} previous key`, role: 'previous' as const, spkiSha256: previous }] : []),
  ];
}
