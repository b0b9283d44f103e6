import { Construct } from 'constructs';
import type { SubmissionSpec } from '../lib/server-spec';
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
}

/** A mail submission service for users' mail clients: TLS always required, relaying only after authentication. */
export class SubmissionPort extends Construct {
  /** @internal */
  public readonly _spec: SubmissionSpec;

  constructor(scope: Construct, id: string, props: SubmissionPortProps = {}) {
    super(scope, id);
    refuseTokens(this, props);
    typedProps(this, props, { port: 'number', saslAuthentication: 'boolean', authOnly: 'boolean', requireClientCertificate: 'boolean' });
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
    this._spec = {
      id: this.node.path,
      port,
      listenAddress: props.listenAddress,
      mode: mode === SubmissionMode.WRAPPER ? 'wrapper' : 'starttls',
      saslAuth: props.saslAuthentication ?? true,
      requireClientCert: props.requireClientCertificate ?? false,
    };
    server._addSubmission(this);
  }
}
