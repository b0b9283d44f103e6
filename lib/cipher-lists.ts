import { createSecureContext } from 'node:tls';
import type { CipherGrade, KeyAlgorithm } from './server-spec';

/** Postfix's built-in `tls_<grade>_cipherlist` values (postconf -d, 3.7; low and export mean medium since 3.8). */
const GRADE_LISTS: Readonly<Record<CipherGrade, string>> = {
  high: 'aNULL:-aNULL:HIGH:@STRENGTH',
  medium: 'aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH',
  low: 'aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH',
  export: 'aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH',
  null: 'eNULL:!aNULL',
};

/** Suites a certificate of each type can serve: the others' authentication, anonymous, PSK and SRP removed. */
const USABLE_WITH: Readonly<Record<KeyAlgorithm, string>> = {
  rsa: '!aECDSA:!aDSS:!aNULL:!PSK:!SRP',
  ecdsa: '!aRSA:!aDSS:!aNULL:!PSK:!SRP',
  dsa: '!aRSA:!aECDSA:!aNULL:!PSK:!SRP',
  // TLS 1.2 serves EdDSA certificates with the ECDSA-authenticated suites (RFC 8422).
  ed25519: '!aRSA:!aDSS:!aNULL:!PSK:!SRP',
  ed448: '!aRSA:!aDSS:!aNULL:!PSK:!SRP',
};

/** The OpenSSL cipher string Postfix builds for a grade and exclusions (tls_set_ciphers: `LIST:!X:!Y`). */
export function cipherString(grade: CipherGrade, exclusions: readonly string[]): string {
  return [GRADE_LISTS[grade], ...exclusions.map((e) => `!${e}`)].join(':');
}

// Servers of one stack usually share their TLS settings; a TLS context costs about a quarter millisecond.
const matches = new Map<string, boolean>();

/** Whether OpenSSL (node's, of the same 3.x line as Debian's) matches at least one suite of `ciphers`. */
function matchesAny(ciphers: string): boolean {
  let found = matches.get(ciphers);
  if (found === undefined) {
    try {
      createSecureContext({ ciphers });
      found = true;
    } catch {
      found = false;
    }
    matches.set(ciphers, found);
  }
  return found;
}

/** The certificate types left without a TLS 1.2 (and lower) suite by the grade and exclusions. */
export function algorithmsWithoutSuites(grade: CipherGrade, exclusions: readonly string[], algorithms: readonly KeyAlgorithm[]): KeyAlgorithm[] {
  const list = cipherString(grade, exclusions);
  return [...new Set(algorithms)].filter((a) => !matchesAny(`${list}:${USABLE_WITH[a]}`));
}
