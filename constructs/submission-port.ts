import { Construct } from 'constructs';
import type { SubmissionSpec } from '../lib/server-spec';
import { senderLoginEntries } from '../lib/sender-logins';
import { integer } from '../lib/values';
import { SubmissionMode } from './enums';
import { warning } from '../lib/diagnostics';
import { checked, constructError, oneOf, refuseTokens, reportDiagnostics, typedProps } from './errors';
import { PostfixServer, checkListenAddress } from './postfix-server';

/** Props of a `SubmissionPort`. */
export interface SubmissionPortProps {
  /**
   * STARTTLS required (587) or implicit TLS (465, wrapper mode, rendered only into master.cf).
   * @default SubmissionMode.STARTTLS
   */
  readonly mode?: SubmissionMode;
  /**
   * TCP port.
   * @default 587 for STARTTLS, 465 for WRAPPER
   */
  readonly port?: number;
  /**
   * Address to listen on (e.g. 127.0.0.1).
   * @default - all addresses
   */
  readonly listenAddress?: string;
  /**
   * Offer SASL AUTH (`smtpd_sasl_auth_enable`); needs the server's `sasl` backend.
   * @default true
   */
  readonly saslAuthentication?: boolean;
  /**
   * No longer needed: a SubmissionPort always requires TLS, which makes Postfix offer AUTH only after it.
   * `true` gets a warning, `false` is refused.
   * @deprecated implied by the service's mandatory TLS; remove it
   * @default - implied
   */
  readonly authOnly?: boolean;
  /**
   * Require a client certificate that the server's ClientCertPolicy accepts (`smtpd_tls_req_ccert`).
   * @default false
   */
  readonly requireClientCertificate?: boolean;
  /**
   * Binds envelope senders to SASL logins: each login with the addresses (`alice@example.com`) or domains
   * (`@example.com`) it may use in MAIL FROM. Rendered as this service's `smtpd_sender_login_maps` with
   * `smtpd_sender_restrictions = reject_authenticated_sender_login_mismatch`: an authenticated user may
   * send only as an address listed for its login (553 otherwise); clients without a login (certificate
   * clients) are not checked. An address listed exactly is owned only by its own logins, not by the
   * logins of its `@domain` (Postfix uses the first match). Needs saslAuthentication.
   * @default - no binding: an authenticated user may use any sender address
   */
  readonly senderLogins?: { [login: string]: string[] };
  /**
   * Most AUTH commands one client address may send to this service per minute (`anvil_rate_time_unit`),
   * accepted or not (`smtpd_client_auth_rate_limit`); further AUTH gets a 4xx reply. Counted for every
   * client but the server's trustedNetworks. 0 means no limit.
   * @default 30 (Postfix's own default is 0, no limit)
   */
  readonly authRateLimit?: number;
}

/** AUTH per client and minute: far above what mail clients send (one AUTH per connection), a brake on password guessing. */
const DEFAULT_AUTH_RATE_LIMIT = 30;

/** A mail submission service for users' mail clients: TLS always required, relaying only after authentication. */
export class SubmissionPort extends Construct {
  /** @internal */
  public readonly _spec: SubmissionSpec;

  constructor(scope: Construct, id: string, props: SubmissionPortProps = {}) {
    super(scope, id);
    refuseTokens(this, props);
    typedProps(this, props, { port: 'number', saslAuthentication: 'boolean', authOnly: 'boolean', requireClientCertificate: 'boolean', authRateLimit: 'number' });
    if (props.authOnly === false) {
      throw constructError(this, 'authOnly false cannot be honoured: a SubmissionPort always requires TLS (smtpd_tls_security_level = encrypt), and Postfix then accepts AUTH only after STARTTLS (smtpd.c). Remove authOnly');
    }
    if (props.authOnly === true) {
      reportDiagnostics(this, [warning('auth-only-implied', 'authOnly is implied by the TLS a SubmissionPort always requires, and no longer rendered (smtpd_tls_auth_only): remove it')]);
    }
    const server = PostfixServer.of(this);
    const mode = checked(this, () => oneOf('mode', props.mode ?? SubmissionMode.STARTTLS, SubmissionMode));
    const port = props.port ?? (mode === SubmissionMode.WRAPPER ? 465 : 587);
    checked(this, () => integer('port', port, 1, 65535));
    if (props.listenAddress !== undefined) checkListenAddress(this, props.listenAddress);
    const saslAuth = props.saslAuthentication ?? true;
    for (const prop of ['senderLogins', 'authRateLimit'] as const) {
      if (props[prop] !== undefined && !saslAuth) {
        throw constructError(this, `${prop} applies to SASL logins, but saslAuthentication is false on this port: remove ${prop}, or enable saslAuthentication`);
      }
    }
    const authRateLimit = props.authRateLimit ?? DEFAULT_AUTH_RATE_LIMIT;
    checked(this, () => integer('authRateLimit', authRateLimit, 0, 1000000));
    const senderLogins = props.senderLogins !== undefined ? checked(this, () => senderLoginEntries('senderLogins', props.senderLogins!)) : undefined;
    this._spec = {
      id: this.node.path,
      port,
      listenAddress: props.listenAddress,
      mode: mode === SubmissionMode.WRAPPER ? 'wrapper' : 'starttls',
      saslAuth,
      requireClientCert: props.requireClientCertificate ?? false,
      ...(saslAuth ? { authRateLimit } : {}),
      ...(senderLogins ? { senderLogins } : {}),
    };
    server._addSubmission(this);
  }
}
