/**
 * Finite-field Diffie-Hellman parameters for `smtpd_tls_dh1024_param_file`.
 *
 * With OpenSSL 3 and Postfix >= 3.7 the parameter can stay empty: OpenSSL then uses the RFC 7919
 * groups itself. A file is still useful to pin a group (ffdhe2048/3072/4096 as PKCS#3
 * "DH PARAMETERS", which OpenSSL recognises by value and reports as `GROUP: ffdheNNNN`) or to
 * use custom parameters, which take a long, random time to generate and so are made once and
 * cached.
 */
import { generatePrimeSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../diagnostics';
import { children, encodeTlv, encodeUnsignedInteger, readTlv, Tag } from './der';
import { blocksOfKind, toPem } from './pem';

export type FfdheBits = 2048 | 3072 | 4096;

// RFC 7919 appendix A. Each larger prime shares its leading digits with the smaller ones
// (they all start from the binary expansion of e), so they are stored as one expansion.
const FFDHE_SHARED =
  'FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695' +
  'A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A' +
  'D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935' +
  '984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A' +
  'BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4' +
  'AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61' +
  '9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005';
const FFDHE_PRIMES: Record<FfdheBits, string> = {
  2048: FFDHE_SHARED + 'C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF',
  3072:
    FFDHE_SHARED +
    'C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B' +
    'BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C' +
    'AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF' +
    '5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E' +
    '0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF',
  4096:
    FFDHE_SHARED +
    'C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B' +
    'BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C' +
    'AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF' +
    '5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E' +
    '0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB' +
    '7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A' +
    '7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038' +
    '092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF' +
    '8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E655F6AFFFFFFFFFFFFFFFF',
};

/** PKCS#3 DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER } (no privateValueLength). */
function dhParametersDer(prime: Uint8Array, generator: number): Buffer {
  return encodeTlv(Tag.SEQUENCE, Buffer.concat([encodeUnsignedInteger(prime), encodeUnsignedInteger(Uint8Array.of(generator))]));
}

/** An RFC 7919 group as a `DH PARAMETERS` PEM, byte-identical to `openssl genpkey -genparam -pkeyopt group:ffdheN`. */
export function ffdheGroupPem(bits: FfdheBits): string {
  const hex = FFDHE_PRIMES[bits];
  if (hex === undefined) throw new ConfigError(`no RFC 7919 group of ${String(bits)} bits: use 2048, 3072 or 4096`);
  return toPem('DH PARAMETERS', dhParametersDer(Buffer.from(hex, 'hex'), 2));
}

/** Below this, finite-field DH is breakable with academic resources (Logjam, 2015). */
export const MIN_PRODUCTION_DH_BITS = 2048;

export interface CustomDhOptions {
  /** Allow fewer than 2048 bits: only for tests that need fast generation. Never in production. */
  readonly allowWeak?: boolean;
}

export interface CustomDhResult {
  readonly path: string;
  readonly bits: number;
  /** Wall-clock milliseconds spent generating; 0 when an existing file was reused. */
  readonly generationMs: number;
  readonly cached: boolean;
}

/**
 * Makes custom DH parameters (safe prime p, generator 2) at `path` once and reuses them on later
 * calls, so a second synth does no work and leaves the file unchanged. A file whose prime has a
 * different size, or that does not hold DH parameters, is replaced.
 */
export function ensureCustomDhParams(path: string, bits: number, options: CustomDhOptions = {}): CustomDhResult {
  if (!Number.isInteger(bits) || bits < 512 || bits > 8192) {
    throw new ConfigError(`DH parameter size ${bits} is not usable: choose 2048, 3072 or 4096 bits`);
  }
  if (bits < MIN_PRODUCTION_DH_BITS && options.allowWeak !== true) {
    throw new ConfigError(
      `DH parameters of ${bits} bits are too weak for production (Logjam): use at least ${MIN_PRODUCTION_DH_BITS} bits, ` +
        `or leave smtpd_tls_dh1024_param_file empty so OpenSSL uses the RFC 7919 groups`,
    );
  }
  if (existsSync(path) && primeBitsOf(readFileSync(path, 'utf8')) === bits) {
    return { path, bits, generationMs: 0, cached: true };
  }
  const started = process.hrtime.bigint();
  // p = 23 mod 24 makes 2 a generator of the large prime-order subgroup of a safe prime; it is
  // the condition `openssl dhparam` (DH_GENERATOR_2) uses.
  const prime = generatePrimeSync(bits, { safe: true, add: 24n, rem: 23n });
  const pem = toPem('DH PARAMETERS', dhParametersDer(new Uint8Array(prime), 2));
  const generationMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, pem, { mode: 0o644 });
  chmodSync(tmp, 0o644);
  renameSync(tmp, path);
  return { path, bits, generationMs, cached: false };
}

/** Bit length of the prime in a DH PARAMETERS file, or undefined when the file is not one. */
export function primeBitsOf(pem: string): number | undefined {
  try {
    const [block] = blocksOfKind(pem, 'parameters').filter((b) => b.label === 'DH PARAMETERS');
    if (!block) return undefined;
    const [p] = children(readTlv(block.der));
    if (!p || p.tagByte !== Tag.INTEGER) return undefined;
    const magnitude = p.content[0] === 0 ? p.content.subarray(1) : p.content;
    if (magnitude.length === 0) return undefined;
    return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]));
  } catch {
    return undefined;
  }
}
