import { Construct } from 'constructs';
import { ConfigError } from '../lib/diagnostics';
import type { SessionCacheDatabaseType, SessionCacheSpec } from '../lib/server-spec';
import { absolutePath, integer, quote } from '../lib/values';
import { checked, refuseTokens, typedProps } from './errors';
import { PostfixServer } from './postfix-server';

const DEFAULT_CACHE_PATH = '/var/lib/postfix/smtpd_scache';
const SESSION_CACHE_TYPES: readonly SessionCacheDatabaseType[] = ['btree', 'lmdb', 'hash', 'texthash'];

/** Where resumable TLS sessions live. */
export class SessionStore {
  /** RFC 5077 session tickets: stateless resumption, no database (what Postfix recommends). */
  public static readonly TICKETS = new SessionStore(undefined, DEFAULT_CACHE_PATH);

  /** A Berkeley DB btree cache maintained by tlsmgr. */
  public static btree(path: string = DEFAULT_CACHE_PATH): SessionStore {
    return new SessionStore('btree', path);
  }

  /** An LMDB cache maintained by tlsmgr (Debian package postfix-lmdb). */
  public static lmdb(path: string = DEFAULT_CACHE_PATH): SessionStore {
    return new SessionStore('lmdb', path);
  }

  /** Any other cache type, e.g. `hash` (refused types such as `texthash` give a clear error at synth). */
  public static of(databaseType: string, path: string = DEFAULT_CACHE_PATH): SessionStore {
    if (!SESSION_CACHE_TYPES.includes(databaseType as SessionCacheDatabaseType)) {
      throw new ConfigError(`session cache type ${quote(databaseType)} is not one of ${SESSION_CACHE_TYPES.join(', ')}: use SessionStore.lmdb or SessionStore.btree`);
    }
    return new SessionStore(databaseType as SessionCacheDatabaseType, path);
  }

  private constructor(
    /** @internal */ public readonly _type: SessionCacheDatabaseType | undefined,
    /** @internal */ public readonly _path: string,
  ) {}
}

/** Props of a `SessionCache`. */
export interface SessionCacheProps {
  /**
   * Session tickets or a cache database.
   * @default SessionStore.TICKETS
   */
  readonly store?: SessionStore;
  /**
   * How long a session stays resumable, in seconds (`smtpd_tls_session_cache_timeout`). Also the ticket
   * key lifetime. 0 disables resumption.
   * @default - Postfix's default, 3600
   */
  readonly timeoutSeconds?: number;
  /**
   * Issue session ids even without a cache database and tickets (`smtpd_tls_always_issue_session_ids`); with
   * either, Postfix issues them anyway and `false` only gets a warning.
   * @default - Postfix's default, true
   */
  readonly alwaysIssueSessionIds?: boolean;
}

/** TLS session resumption for the SMTP server: saves the cost of full handshakes for returning clients. */
export class SessionCache extends Construct {
  /** @internal */
  public readonly _spec: SessionCacheSpec;

  constructor(scope: Construct, id: string, props: SessionCacheProps = {}) {
    super(scope, id);
    refuseTokens(this, props);
    typedProps(this, props, { timeoutSeconds: 'number', alwaysIssueSessionIds: 'boolean' });
    const server = PostfixServer.of(this);
    const store = props.store ?? SessionStore.TICKETS;
    if (props.timeoutSeconds !== undefined) {
      checked(this, () => integer('timeoutSeconds', props.timeoutSeconds as number, 0, Number.MAX_SAFE_INTEGER));
    }
    if (store._type !== undefined) checked(this, () => absolutePath('session cache path', store._path));
    this._spec = {
      database: store._type !== undefined ? { type: store._type, path: store._path } : undefined,
      timeoutSeconds: props.timeoutSeconds,
      alwaysIssueSessionIds: props.alwaysIssueSessionIds,
    };
    server._addSessionCache(this);
  }
}
