import * as v3_7 from './postfix-parameters-3.7';
import * as v3_10 from './postfix-parameters-3.10';

/** The Postfix releases the library renders for: Debian 12 (3.7) and Debian 13 (3.10). */
export type PostfixVersion = '3.7' | '3.10';

/** What one release knows, from its own postconf and postconf(5) (scripts/generate-postfix-parameters.ts). */
export interface PostfixRelease {
  /** The full version the table was generated from, e.g. 3.10.13. */
  readonly fullVersion: string;
  readonly parameterTypes: Readonly<Record<string, string>>;
  readonly parameters: ReadonlySet<string>;
  readonly restrictions: Readonly<Record<string, boolean>>;
  readonly maillogFilePrefixes: readonly string[];
  /** Parameters its postconf warns about ("support for parameter X will be removed"), with its advice. */
  readonly deprecated: Readonly<Record<string, string>>;
}

type GeneratedTable = Omit<typeof v3_7, 'POSTFIX_VERSION'> & { readonly POSTFIX_VERSION: string };

const release = (t: GeneratedTable): PostfixRelease => ({
  fullVersion: t.POSTFIX_VERSION,
  parameterTypes: t.PARAMETER_TYPES,
  parameters: t.POSTFIX_PARAMETERS,
  restrictions: t.RESTRICTIONS,
  maillogFilePrefixes: t.MAILLOG_FILE_PREFIXES,
  deprecated: t.DEPRECATED_PARAMETERS,
});

export const POSTFIX_RELEASES: Readonly<Record<PostfixVersion, PostfixRelease>> = { '3.7': release(v3_7), '3.10': release(v3_10) };

/** The release the library targets unless told otherwise: the default image's (Debian 12). */
export const DEFAULT_POSTFIX_VERSION: PostfixVersion = '3.7';
