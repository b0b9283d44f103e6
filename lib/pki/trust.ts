import { X509Certificate } from 'node:crypto';

/**
 * What a set of trusted CA certificates lets OpenSSL verify, as Postfix uses it: a chain verifies only up to
 * a self-signed anchor in the set (Postfix sets no X509_V_FLAG_PARTIAL_CHAIN), so a trust hierarchy is one
 * self-signed root with the intermediates it issued, and an intermediate without its root trusts nobody.
 */
export interface TrustAnalysis {
  /** Self-signed roots: each is one trust hierarchy, whatever number of intermediates comes with it. */
  readonly hierarchies: number;
  /** Subjects of CAs that are not self-signed and whose issuers do not lead to a root of the set. */
  readonly withoutRoot: readonly string[];
  /** Subjects of CAs whose key is in the system store, or that a CA of the system store issued. */
  readonly inSystemStore: readonly string[];
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle (unparsable blocks are left out: the file checks refuse them). */
export function parseBundle(pem: string): X509Certificate[] {
  return (pem.match(PEM_BLOCK) ?? []).flatMap((block) => {
    try {
      return [new X509Certificate(block)];
    } catch {
      return [];
    }
  });
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

const spki = (cert: X509Certificate): string => cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

// Servers of one stack usually share their CAs: each distinct set is analysed once per store.
const analyses = new WeakMap<object, Map<string, TrustAnalysis>>();
const NO_STORE = {};

/** Trust hierarchies of `pems`, CAs that chain to no root, and CAs of the system store (when it is given). */
export function analyseTrust(pems: readonly string[], systemStore?: readonly X509Certificate[]): TrustAnalysis {
  const store = systemStore ?? NO_STORE;
  let cache = analyses.get(store);
  if (!cache) analyses.set(store, (cache = new Map()));
  const key = pems.join('\0');
  let analysis = cache.get(key);
  if (!analysis) cache.set(key, (analysis = Object.freeze(analyseUncached(pems, systemStore))));
  return analysis;
}

function analyseUncached(pems: readonly string[], systemStore?: readonly X509Certificate[]): TrustAnalysis {
  const certs = pems.flatMap((pem) => parseBundle(pem));
  const unique = [...new Map(certs.map((c) => [c.fingerprint256, c])).values()];
  const roots = unique.filter((c) => issuedBy(c, c));
  const anchored = new Set(roots);
  // Grow the anchored set down the hierarchies until no CA joins (each pass adds one level).
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of unique) {
      if (!anchored.has(c) && [...anchored].some((a) => issuedBy(c, a))) {
        anchored.add(c);
        grew = true;
      }
    }
  }
  const systemKeys = new Set((systemStore ?? []).map(spki));
  const inSystemStore = systemStore === undefined ? [] : unique.filter((c) => systemKeys.has(spki(c)) || systemStore.some((s) => issuedBy(c, s)));
  return {
    hierarchies: new Set(roots.map(spki)).size,
    withoutRoot: unique.filter((c) => !anchored.has(c)).map((c) => c.subject.replace(/\n/g, ', ')),
    inSystemStore: inSystemStore.map((c) => c.subject.replace(/\n/g, ', ')),
  };
}

/**
 * Whether a chain (leaf first) leads to a CA of `store`: from the leaf, through issuers given in the chain,
 * to a certificate that a CA of the store issued (what a sender verifying with that store accepts).
 */
export function chainsToStore(chainPem: string, store: readonly X509Certificate[]): boolean {
  const chain = parseBundle(chainPem);
  const visited = new Set<X509Certificate>();
  for (let cert: X509Certificate | undefined = chain[0]; cert && !visited.has(cert); cert = chain.find((c) => c !== cert && issuedBy(cert!, c))) {
    visited.add(cert);
    if (store.some((s) => s.fingerprint256 === cert!.fingerprint256 || issuedBy(cert!, s))) return true;
  }
  return false;
}
