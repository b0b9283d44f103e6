import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseBundle } from '../lib/pki/trust';

/** The system trust store of Debian and Ubuntu, read once at synth when it exists. */
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
let systemStore: X509Certificate[] | undefined;

/** The CAs of the system trust store, or undefined on a machine without Debian's bundle. */
export function systemCas(): X509Certificate[] | undefined {
  if (!existsSync(SYSTEM_CA_BUNDLE)) return undefined;
  systemStore ??= parseBundle(readFileSync(SYSTEM_CA_BUNDLE, 'utf8'));
  return systemStore;
}
