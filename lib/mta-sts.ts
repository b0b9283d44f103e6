import { createHash } from 'node:crypto';
import { ConfigError } from './diagnostics';
import { hostname, integer, quote } from './values';

/** MTA-STS policy modes (RFC 8461 section 3.2). */
export type MtaStsMode = 'enforce' | 'testing' | 'none';

/** An MTA-STS policy: what `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` serves. */
export interface MtaStsPolicySpec {
  readonly mode: MtaStsMode;
  /** MX patterns: host names, or `*.` and a domain for any one label below it. */
  readonly mx: readonly string[];
  readonly maxAgeSeconds: number;
}

/** The largest max_age RFC 8461 allows: one year. */
export const MTA_STS_MAX_AGE_LIMIT = 31557600;
/** The longest policy id (`sts-id-value = 1*32(ALPHA / DIGIT)`). */
const ID_LENGTH = 32;

/** An MX pattern (`sts-policy-mx-value = ["*."] Domain`), lower-cased. */
export function mxPattern(what: string, pattern: string): string {
  return pattern.startsWith('*.') ? `*.${hostname(what, pattern.slice(2))}` : hostname(what, pattern);
}

/** The policy file: `key: value` lines ended by CRLF (section 3.2), in the RFC's field order. */
export function renderMtaStsPolicy(spec: MtaStsPolicySpec): string {
  if (!['enforce', 'testing', 'none'].includes(spec.mode)) throw new ConfigError(`MTA-STS mode ${quote(spec.mode)} is not enforce, testing or none`);
  integer('mtaSts.maxAgeSeconds', spec.maxAgeSeconds, 0, MTA_STS_MAX_AGE_LIMIT);
  if (spec.mode !== 'none' && spec.mx.length === 0) throw new ConfigError(`an MTA-STS policy in mode ${spec.mode} needs at least one mx pattern`);
  const mx = [...new Set(spec.mx.map((p, i) => mxPattern(`MTA-STS mx[${i}]`, p)))];
  return ['version: STSv1', `mode: ${spec.mode}`, ...mx.map((p) => `mx: ${p}`), `max_age: ${spec.maxAgeSeconds}`].map((l) => `${l}\r\n`).join('');
}

/**
 * The policy id of the `_mta-sts` TXT record: derived from the policy text, so it changes exactly when the
 * policy does (senders refetch the policy when the id changes, section 3.1).
 */
export function mtaStsPolicyId(policy: string): string {
  return createHash('sha256').update(policy).digest('hex').slice(0, ID_LENGTH);
}

/** The `_mta-sts` TXT text for a policy (section 3.1). */
export function mtaStsRecordText(policy: string): string {
  return `v=STSv1; id=${mtaStsPolicyId(policy)}`;
}
