import type * as CertRequestModule from '@cdktf/provider-tls/lib/cert-request';
import type * as LocallySignedCertModule from '@cdktf/provider-tls/lib/locally-signed-cert';
import type * as PrivateKeyModule from '@cdktf/provider-tls/lib/private-key';
import type * as SelfSignedCertModule from '@cdktf/provider-tls/lib/self-signed-cert';
import { Construct } from 'constructs';
import { ServerCertificate } from './certificates';
import { KeyAlgorithm } from './enums';
import { checked, constructError, typedProps } from './errors';
import { hostname as checkHostname, quote, safeText } from '../lib/values';

/** RSA size of the keys the tls provider makes. */
const RSA_BITS = 2048;

/** Props of a `DeployTimePki`. */
export interface DeployTimePkiProps {
  /**
   * Common name of the root CA.
   * @default - the construct path + ' root CA'
   */
  readonly rootCommonName?: string;
  /**
   * Issue leaf certificates from an intermediate CA (chain: leaf, intermediate) instead of the root.
   * @default false
   */
  readonly withIntermediate?: boolean;
  /**
   * Validity of leaf certificates in hours.
   * @default 9528 (397 days)
   */
  readonly leafValidityHours?: number;
}

const CA_VALIDITY_HOURS = 10 * 365 * 24;
const CA_USES = ['cert_signing', 'crl_signing', 'digital_signature'];

/** A certificate and its private key, both as deploy-time references (Terraform state holds the key). */
export interface DeployTimeKeyPair {
  /** Certificate PEM (a token). */
  readonly certPem: string;
  /** Reference to the private key PEM (a token); never a literal key. */
  readonly keyPem: string;
}

type TlsResources = typeof CertRequestModule & typeof LocallySignedCertModule & typeof PrivateKeyModule & typeof SelfSignedCertModule;
let tlsResources: TlsResources | undefined;
/** The tls provider's resources, loaded on first use: it is an optional peer dependency, needed only here. */
function tls(scope: Construct): TlsResources {
  if (!tlsResources) {
    try {
      tlsResources = {
        ...(require('@cdktf/provider-tls/lib/cert-request') as typeof CertRequestModule),
        ...(require('@cdktf/provider-tls/lib/locally-signed-cert') as typeof LocallySignedCertModule),
        ...(require('@cdktf/provider-tls/lib/private-key') as typeof PrivateKeyModule),
        ...(require('@cdktf/provider-tls/lib/self-signed-cert') as typeof SelfSignedCertModule),
      };
    } catch (e) {
      throw constructError(scope, `DeployTimePki needs the tls provider bindings, which are not installed (${(e as Error).message.split('\n')[0]}): npm install @cdktf/provider-tls@^11`);
    }
  }
  return tlsResources;
}

/**
 * A PKI generated at deploy time with the tls provider (`@cdktf/provider-tls`): root CA, optional
 * intermediate, server and client certificates. Keys live in Terraform state, never in the synthesized
 * JSON; the stack needs a `TlsProvider`.
 */
export class DeployTimePki extends Construct {
  /** PEM of the root CA (deploy-time reference), for a ClientCertPolicy's `trustedCaPems`. */
  public readonly rootCertPem: string;
  private readonly issuer: DeployTimeKeyPair;
  /** Intermediate certificate PEM that follows each leaf in a chain ('' without an intermediate). */
  private readonly chainTail: string;
  private readonly leafValidityHours: number;

  constructor(scope: Construct, id: string, props: DeployTimePkiProps = {}) {
    super(scope, id);
    typedProps(this, props, { withIntermediate: 'boolean', leafValidityHours: 'number' });
    this.leafValidityHours = props.leafValidityHours ?? 9528;
    const { PrivateKey, SelfSignedCert } = tls(this);
    const rootKey = new PrivateKey(this, 'RootKey', { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
    const root = new SelfSignedCert(this, 'Root', {
      privateKeyPem: rootKey.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: CA_VALIDITY_HOURS,
      allowedUses: CA_USES,
      subject: [{ commonName: checked(this, () => safeText('rootCommonName', props.rootCommonName ?? `${this.node.path} root CA`)) }],
    });
    this.rootCertPem = root.certPem;
    const rootCa = { certPem: root.certPem, keyPem: rootKey.privateKeyPem };
    this.issuer = props.withIntermediate
      ? this.issue('Intermediate', rootCa, KeyAlgorithm.ECDSA, { commonName: `${this.node.path} intermediate CA` }, CA_USES, true)
      : rootCa;
    this.chainTail = props.withIntermediate ? this.issuer.certPem : '';
  }

  /** A server certificate for the given host names, chained to this PKI's CA. */
  public serverCertificate(id: string, hostnames: string[], algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA): ServerCertificate {
    if (algorithm !== KeyAlgorithm.ECDSA && algorithm !== KeyAlgorithm.RSA) {
      throw constructError(this, `DeployTimePki makes ECDSA and RSA server keys, not ${quote(algorithm)} (DSA is obsolete; EdDSA only makes sense next to one of them): use ECDSA or RSA`);
    }
    const dnsNames = hostnames.map((h) => checked(this, () => checkHostname('hostname', h)));
    const uses = ['digital_signature', 'server_auth', ...(algorithm === KeyAlgorithm.RSA ? ['key_encipherment'] : [])];
    const leaf = this.issue(id, this.issuer, algorithm, { commonName: dnsNames[0] }, uses, false, dnsNames);
    const certificate = ServerCertificate.fromDeployTimePem({ chainPem: `${leaf.certPem}${this.chainTail}`, privateKeyPem: leaf.keyPem, algorithm });
    // The sizes issue() asks the tls provider for, so profiles with a key floor can check them at synth.
    certificate._publicKey = { subject: `CN=${dnsNames[0]}`, ...(algorithm === KeyAlgorithm.RSA ? { rsaBits: RSA_BITS } : { curve: 'prime256v1' }) };
    return certificate;
  }

  /** A client certificate; returns its certificate PEM and key as deploy-time references. */
  public clientCertificate(id: string, commonName: string): DeployTimeKeyPair {
    const cn = checked(this, () => safeText('commonName', commonName));
    return this.issue(id, this.issuer, KeyAlgorithm.ECDSA, { commonName: cn }, ['digital_signature', 'client_auth'], false);
  }

  private issue(id: string, issuer: DeployTimeKeyPair, algorithm: KeyAlgorithm, subject: { commonName: string }, allowedUses: string[], isCa: boolean, dnsNames?: string[]): DeployTimeKeyPair {
    const { PrivateKey, CertRequest, LocallySignedCert } = tls(this);
    const key = new PrivateKey(this, `${id}Key`, algorithm === KeyAlgorithm.RSA ? { algorithm: 'RSA', rsaBits: RSA_BITS } : { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
    const request = new CertRequest(this, `${id}Request`, { privateKeyPem: key.privateKeyPem, subject: [subject], dnsNames });
    const cert = new LocallySignedCert(this, id, {
      certRequestPem: request.certRequestPem,
      caCertPem: issuer.certPem,
      caPrivateKeyPem: issuer.keyPem,
      isCaCertificate: isCa,
      validityPeriodHours: isCa ? CA_VALIDITY_HOURS : this.leafValidityHours,
      allowedUses,
    });
    return { certPem: cert.certPem, keyPem: key.privateKeyPem };
  }
}
