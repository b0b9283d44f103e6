import { Construct } from 'constructs';
import type { SubmissionSpec } from '../lib/server-spec';
import { integer } from '../lib/values';
import { SubmissionMode } from './enums';
import { checked, oneOf, refuseTokens, typedProps } from './errors';
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
   * Offer AUTH only after TLS is active (`smtpd_tls_auth_only`).
   * @default true
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
      authOnly: props.authOnly ?? true,
      requireClientCert: props.requireClientCertificate ?? false,
    };
    server._addSubmission(this);
  }
}
