/**
 * A file the container needs, described without cdktf: either its content (public material only) or the
 * local path it is copied from (private keys, which must never be inlined into synthesized output).
 */
export interface DeployFile {
  /** Absolute path inside the container. */
  readonly containerPath: string;
  /** File content; never set for private keys. May be a deploy-time token. */
  readonly content?: string;
  /** Local file to copy from at deploy time (private keys, large files). */
  readonly sourcePath?: string;
  /** Whether the file is secret (private key): it is only ever referenced by path. */
  readonly secret: boolean;
}

/** Where the library places TLS material inside the container. */
export const TLS_DIRECTORY = '/etc/postfix/tls';
export const PRIVATE_KEY_DIRECTORY = `${TLS_DIRECTORY}/private`;
/** Where Cyrus SASL's `<application>.conf` (smtpd.conf) lives: `cyrus_sasl_config_path`. */
export const SASL_CONFIG_DIRECTORY = '/etc/postfix/sasl';
