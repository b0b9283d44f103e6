/**
 * The certificate purpose checks of `openssl verify -purpose sslserver|sslclient`
 * (crypto/x509/v3_purp.c: check_purpose_ssl_server / _client) and of X509_check_ca.
 *
 * The seed requires a Postfix server certificate to pass `openssl verify -purpose sslserver`;
 * client certificates matched by `permit_tls_clientcerts` must pass `sslclient` on the client's
 * side. Each check only constrains extensions that are present: a certificate without
 * keyUsage, extendedKeyUsage and nsCertType is usable for both.
 */
import { CertificateInfo, KeyUsageFlags } from './certificate-info';

export type TlsRole = 'server' | 'client';

export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
  /** Server Gated Crypto: OpenSSL still counts these as server usages. */
  nsSgc: '2.16.840.1.113730.4.1',
  msSgc: '1.3.6.1.4.1.311.10.3.3',
} as const;

const EKU_NAMES: Record<string, string> = Object.fromEntries(Object.entries(EKU).map(([name, oid]) => [oid, name]));

/** Netscape certificate type bits (obsolete, but OpenSSL still honours them). */
const NS_SSL_CLIENT = 0x80;
const NS_SSL_SERVER = 0x40;

const KU = KeyUsageFlags;

/** Readable form of an EKU list for messages. */
export function describeEku(oids: readonly string[]): string {
  return oids.map((o) => EKU_NAMES[o] ?? o).join(', ');
}

/** Readable form of keyUsage flags for messages. */
export function describeKeyUsage(flags: number): string {
  const names = Object.entries(KU)
    .filter(([, v]) => (flags & v) !== 0)
    .map(([k]) => k);
  return names.length > 0 ? names.join(', ') : '(none)';
}

/**
 * Why OpenSSL would refuse this certificate as a TLS server or client end-entity certificate;
 * an empty list means the purpose check passes.
 */
export function purposeProblems(cert: CertificateInfo, role: TlsRole): string[] {
  const problems: string[] = [];
  const eku = cert.extendedKeyUsage;
  const wanted = role === 'server' ? [EKU.serverAuth, EKU.nsSgc, EKU.msSgc] : [EKU.clientAuth];
  // anyExtendedKeyUsage does not help: OpenSSL's xku_reject only looks for the specific usages.
  if (eku !== undefined && !eku.some((o) => (wanted as string[]).includes(o))) {
    problems.push(`its extendedKeyUsage (${describeEku(eku) || 'empty'}) does not include ${role}Auth`);
  }
  const ns = cert.nsCertType;
  const nsBit = role === 'server' ? NS_SSL_SERVER : NS_SSL_CLIENT;
  if (ns !== undefined && (ns & nsBit) === 0) {
    problems.push(`its Netscape certificate type does not include SSL ${role}`);
  }
  const ku = cert.keyUsage;
  const kuAllowed =
    role === 'server'
      ? KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement
      : KU.digitalSignature | KU.keyAgreement;
  if (ku !== undefined && (ku & kuAllowed) === 0) {
    const need = role === 'server' ? 'digitalSignature (or keyEncipherment/keyAgreement)' : 'digitalSignature (or keyAgreement)';
    problems.push(`its keyUsage (${describeKeyUsage(ku)}) lacks ${need}`);
  }
  return problems;
}

/** X509_check_ca for v3 certificates: basicConstraints cA=true and, if keyUsage is present, keyCertSign. */
export function caProblems(cert: CertificateInfo): string[] {
  const problems: string[] = [];
  const bc = cert.basicConstraints;
  if (!bc?.ca) problems.push(bc ? 'its basicConstraints has cA=FALSE' : 'it has no basicConstraints extension with cA=TRUE');
  const ku = cert.keyUsage;
  if (ku !== undefined && (ku & KU.keyCertSign) === 0) {
    problems.push(`its keyUsage (${describeKeyUsage(ku)}) lacks keyCertSign`);
  }
  return problems;
}
