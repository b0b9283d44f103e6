import { Aspects } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { DeployFile, SASL_CONFIG_DIRECTORY } from '../lib/deploy-file';
import { ConfigError, Diagnostic, Severity } from '../lib/diagnostics';
import { accessSync, constants } from 'node:fs';
import type { MainCfParameter } from '../lib/main-cf';
import { renderServer, RenderedServer } from '../lib/render-server';
import type { SaslSpec, ServerSpec } from '../lib/server-spec';
import { validateServer } from '../lib/validate-server';
import { parseNetwork } from '../lib/networks';
import { absolutePath, hostname, integer, literal, mailAddress, parameterName, quote, word } from '../lib/values';
import type { ServerCertificate } from './certificates';
import type { ClientCertPolicy } from './client-cert-policy';
import { PostfixVersion } from './enums';
import { checked, constructError, oneOf, refuseTokens, reportDiagnostics, typedProps } from './errors';
import type { SessionCache } from './session-cache';
import type { SmtpClientTls } from './smtp-client-tls';
import type { SubmissionPort } from './submission-port';
import type { TlsServer } from './tls-server';

/** The SASL implementation smtpd asks to authenticate submission clients. */
export class SaslBackend {
  /** Dovecot's auth socket, relative to the queue directory. */
  public static dovecot(socketPath: string = 'private/auth'): SaslBackend {
    return new SaslBackend({ type: 'dovecot', path: word('dovecot socket path', socketPath) });
  }

  /** Cyrus SASL with the given application name (reads `<name>.conf`, e.g. /etc/postfix/sasl/smtpd.conf). */
  public static cyrus(applicationName: string = 'smtpd'): SaslBackend {
    return new SaslBackend({ type: 'cyrus', path: word('Cyrus application name', applicationName) });
  }

  /**
   * Cyrus SASL with users from a local credentials file (`user password` per line), loaded into a sasldb
   * at container start. The file is copied by path and never inlined; mechanisms PLAIN and LOGIN, which
   * the submission ports only offer over TLS.
   */
  public static cyrusSasldb(credentialsFile: string): SaslBackend {
    const file = resolve(credentialsFile);
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new ConfigError(`SASL credentials file ${quote(credentialsFile)} cannot be read: create it with one "user password" line per user (mode 0600)`);
    }
    return new SaslBackend({ type: 'cyrus', path: 'smtpd', sasldbPath: SASLDB }, [
      { containerPath: SASL_CONFIG, content: SASLDB_CONFIG, secret: false },
      { containerPath: SASL_CREDENTIALS, sourcePath: file, secret: true },
    ]);
  }

  private constructor(
    /** @internal */ public readonly _spec: SaslSpec,
    /** @internal */ public readonly _files: readonly DeployFile[] = [],
  ) {}
}

const SASL_CONFIG = `${SASL_CONFIG_DIRECTORY}/smtpd.conf`;
/** Read by the container's entrypoint, which loads it into /etc/postfix/sasl/sasldb2 with saslpasswd2. */
const SASL_CREDENTIALS = `${SASL_CONFIG_DIRECTORY}/private/credentials`;
const SASLDB = '/etc/postfix/sasl/sasldb2';
const SASLDB_CONFIG = `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: ${SASLDB}\n`;

/** Props of a `PostfixServer`. */
export interface PostfixServerProps {
  /** Fully qualified host name (`myhostname`); server certificates must cover it. */
  readonly hostname: string;
  /**
   * The Postfix release that runs the files: parameters it does not know are not rendered, and what it
   * deprecates is refused or warned about. Must match the container's PostfixImage.
   * @default PostfixVersion.V3_10 (the shipped image's default, Debian 13)
   */
  readonly postfixVersion?: PostfixVersion;
  /**
   * Whether the SMTP service is a publicly referenced MX. RFC 3207 forbids requiring TLS on one.
   * @default true
   */
  readonly publicMx?: boolean;
  /**
   * Run the SMTP (MX) service. Set false for a submission-only server.
   * @default true
   */
  readonly smtpService?: boolean;
  /**
   * Port of the SMTP service.
   * @default 25
   */
  readonly smtpPort?: number;
  /**
   * Address the SMTP service listens on.
   * @default - all addresses
   */
  readonly listenAddress?: string;
  /**
   * Domains delivered locally besides `$myhostname` and `localhost` (`mydestination`).
   * @default - none
   */
  readonly localDomains?: string[];
  /**
   * Networks allowed to relay without authentication (`mynetworks`, `permit_mynetworks`), CIDR notation.
   * Prefixes shorter than /8 (IPv4) or /16 (IPv6) are refused; ranges routed on the Internet are warned about.
   * @default - none: relaying only by client certificate or SASL
   */
  readonly trustedNetworks?: string[];
  /**
   * Run smtpd and the other Debian-chrooted services chrooted under /var/spool/postfix. The container is
   * already the isolation boundary, and a chroot hides a CApath outside it.
   * @default false
   */
  readonly chroot?: boolean;
  /**
   * Where Postfix writes its log (`maillog_file`); the container's stdout by default.
   * @default '/dev/stdout'
   */
  readonly maillogFile?: string;
  /**
   * Address that receives mail for root, postmaster, abuse and MAILER-DAEMON (bounce and delivery-problem
   * notices, RFC 5321 and RFC 2142 mailboxes), forwarded through the alias table.
   * @default - delivered to /var/mail/root in the container's writable layer, lost when it is replaced
   */
  readonly postmasterAddress?: string;
  /**
   * SASL backend for submission ports that authenticate users.
   * @default - none
   */
  readonly sasl?: SaslBackend;
  /**
   * Most processes per service (`default_process_limit`), i.e. concurrent SMTP sessions per port.
   * @default - Postfix's default, 100
   */
  readonly processLimit?: number;
  /**
   * Connections an smtpd (or other) process serves before it is replaced (`max_use`). Fewer forks save
   * about 5% of server CPU per TLS session (measured by `npm run bench`); processes still recycle on
   * reload and when idle.
   * @default 1000 (Postfix's own default is 100)
   */
  readonly maxUse?: number;
  /**
   * Concurrent connections allowed from one client address (`smtpd_client_connection_count_limit`); 0 means
   * no limit. Raise it for a relay that receives from a few busy clients.
   * @default - Postfix's default, 50
   */
  readonly clientConnectionLimit?: number;
  /**
   * Further main.cf parameters. Names the library renders from typed props are refused, as are
   * obsolete and unsafe ones and every parameter that can grant relaying, widen trust or enable AUTH
   * (lib/relay-parameters.ts), and `permit_*` restrictions in any value; values are literal (no `$`
   * expansion, no line breaks).
   * @default - none
   */
  readonly additionalParameters?: { [name: string]: string };
}

/** A TCP port the server listens on. */
export interface Listener {
  /** TCP port. */
  readonly port: number;
  /** Address it is bound to; undefined for all addresses. */
  readonly address?: string;
  /** Whether TLS starts with the first byte (wrapper mode) rather than after STARTTLS. */
  readonly implicitTls: boolean;
}

/** Measured: fewer smtpd forks per TLS session than Postfix's 100, without losing a feature. */
const DEFAULT_MAX_USE = 1000;

/** @internal Checks an address to listen on: an IP address or a host name. */
export function checkListenAddress(scope: IConstruct, address: string): void {
  if (isIP(address) === 0) checked(scope, () => hostname('listenAddress', address));
}

/** Marks PostfixServer instances across copies of the library (two installed versions share one app). */
const POSTFIX_SERVER_SYMBOL = Symbol.for('postfix-tls-cdktf.PostfixServer');

/**
 * One Postfix instance. Add a `TlsServer`, and optionally a `ClientCertPolicy`, a `SessionCache`, a
 * `SmtpClientTls` and `SubmissionPort`s as its children; it renders main.cf and master.cf from them at synth.
 */
export class PostfixServer extends Construct {
  /** Whether `x` is a PostfixServer, also one made by another copy of this library (unlike `instanceof`). */
  public static isPostfixServer(x: any): x is PostfixServer {
    return x !== null && typeof x === 'object' && POSTFIX_SERVER_SYMBOL in x;
  }

  /** The server a construct belongs to: the nearest PostfixServer above it. */
  public static of(scope: IConstruct): PostfixServer {
    for (let node: IConstruct | undefined = scope.node.scope; node; node = node.node.scope) {
      if (PostfixServer.isPostfixServer(node)) return node;
    }
    throw constructError(scope, `${scope.constructor.name} must be created inside a PostfixServer: pass the server as its scope`);
  }

  public readonly hostname: string;
  /** The Postfix release the files are rendered for. */
  public readonly postfixVersion: PostfixVersion;
  private readonly props: PostfixServerProps;
  private tls?: TlsServer;
  private clientCerts?: ClientCertPolicy;
  private sessionCache?: SessionCache;
  private smtpClient?: SmtpClientTls;
  private readonly submissions: SubmissionPort[] = [];
  private rendered?: RenderedServer;
  private diagnostics?: readonly Diagnostic[];

  constructor(scope: Construct, id: string, props: PostfixServerProps) {
    super(scope, id);
    Object.defineProperty(this, POSTFIX_SERVER_SYMBOL, { value: true });
    this.props = props;
    refuseTokens(this, props);
    typedProps(this, props, { publicMx: 'boolean', smtpService: 'boolean', smtpPort: 'number', chroot: 'boolean', processLimit: 'number', maxUse: 'number', clientConnectionLimit: 'number' });
    this.hostname = checked(this, () => hostname('hostname', props.hostname));
    this.postfixVersion = checked(this, () => oneOf('postfixVersion', props.postfixVersion ?? PostfixVersion.V3_10, PostfixVersion));
    checked(this, () => {
      if (props.smtpPort !== undefined) integer('smtpPort', props.smtpPort, 1, 65535);
      if (props.processLimit !== undefined) integer('processLimit', props.processLimit, 1, 100000);
      if (props.maxUse !== undefined) integer('maxUse', props.maxUse, 1, 1000000);
      if (props.clientConnectionLimit !== undefined) integer('clientConnectionLimit', props.clientConnectionLimit, 0, 100000);
      (props.localDomains ?? []).forEach((d) => hostname('local domain', d));
      for (const network of props.trustedNetworks ?? []) {
        word('trusted network', network);
        const problem = parseNetwork(network);
        if (typeof problem === 'string') throw new ConfigError(`trusted network ${quote(network)} ${problem} (e.g. 192.0.2.0/24, [2001:db8::]/32)`);
      }
      absolutePath('maillogFile', props.maillogFile ?? '/dev/stdout');
      if (props.postmasterAddress !== undefined) mailAddress('postmasterAddress', props.postmasterAddress);
      for (const [name, value] of Object.entries(props.additionalParameters ?? {})) {
        parameterName(name);
        literal(`additional parameter ${name}`, value);
      }
    });
    if (props.listenAddress !== undefined) checkListenAddress(this, props.listenAddress);
    // Aspects run at synth before anything is resolved (also under cdktf Testing, which skips validations),
    // so an invalid server stops synth with its own errors, and every child exists by then.
    Aspects.of(this).add({
      visit: (node) => {
        if (node !== this) return;
        reportDiagnostics(this, this.validation());
        this.render();
      },
    });
  }

  /** Findings of the cross-construct rules, computed once the tree is complete (at synth). */
  private validation(): readonly Diagnostic[] {
    this.diagnostics ??= validateServer(this._model());
    return this.diagnostics;
  }

  /**
   * @internal Whether the server renders. Resources read its files only then: cdktf resolves values once
   * before aspects run, and the server's aspect is where its errors are reported, with its path.
   */
  public _renderable(): boolean {
    if (this.validation().some((d) => d.severity === Severity.ERROR)) return false;
    try {
      this.render();
      return true;
    } catch {
      return false;
    }
  }

  /** Children may only join before the server is rendered (at synth, or by an explicit render()). */
  private checkOpen(child: IConstruct): void {
    if (this.rendered || this.diagnostics) {
      throw constructError(child, `server ${this.node.path} was already rendered (by synth or a call to render(), files() or listeners()): create its children first`);
    }
  }

  private single<T extends IConstruct>(existing: T | undefined, child: T, kind: string): T {
    this.checkOpen(child);
    if (existing) throw constructError(child, `server already has a ${kind} (${existing.node.path}): a server takes one`);
    return child;
  }

  /** @internal The server certificates of its TlsServer (none without one). */
  public _serverCertificates(): readonly ServerCertificate[] {
    return this.tls?.certificates ?? [];
  }

  /** @internal Called by the TlsServer child. */
  public _addTls(child: TlsServer): void {
    this.tls = this.single(this.tls, child, 'TlsServer');
  }

  /** @internal Called by the ClientCertPolicy child. */
  public _addClientCerts(child: ClientCertPolicy): void {
    this.clientCerts = this.single(this.clientCerts, child, 'ClientCertPolicy');
  }

  /** @internal Called by the SessionCache child. */
  public _addSessionCache(child: SessionCache): void {
    this.sessionCache = this.single(this.sessionCache, child, 'SessionCache');
  }

  /** @internal Called by the SmtpClientTls child. */
  public _addSmtpClient(child: SmtpClientTls): void {
    this.smtpClient = this.single(this.smtpClient, child, 'SmtpClientTls');
  }

  /** @internal Called by each SubmissionPort child. */
  public _addSubmission(child: SubmissionPort): void {
    this.checkOpen(child);
    this.submissions.push(child);
  }

  /** @internal The pure model of this server, built from its props and children. */
  public _model(): ServerSpec {
    const p = this.props;
    // Code-unit order, not localeCompare: synth output must not depend on the machine's locale.
    const additionalParameters: MainCfParameter[] = Object.entries(p.additionalParameters ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value }));
    return {
      id: this.node.path,
      postfixVersion: this.postfixVersion,
      hostname: this.hostname,
      publicMx: p.publicMx ?? true,
      smtp: p.smtpService === false ? undefined : { port: p.smtpPort ?? 25, listenAddress: p.listenAddress },
      localDomains: p.localDomains ?? [],
      trustedNetworks: p.trustedNetworks ?? [],
      chrootSmtpd: p.chroot ?? false,
      maillogFile: p.maillogFile ?? '/dev/stdout',
      postmasterAddress: p.postmasterAddress,
      tls: this.tls?._spec,
      clientCerts: this.clientCerts?._spec,
      sessionCache: this.sessionCache?._spec,
      smtpClient: this.smtpClient?._spec,
      sasl: p.sasl?._spec,
      submissions: this.submissions.map((s) => s._spec),
      capacity: { processLimit: p.processLimit, clientConnectionLimit: p.clientConnectionLimit, maxUse: p.maxUse ?? DEFAULT_MAX_USE },
      additionalParameters,
    };
  }

  /**
   * Rendered main.cf, master.cf and lookup tables; throws with every error if the server is invalid.
   * Synth calls it; call it yourself only once the server's children exist.
   */
  public render(): RenderedServer {
    this.rendered ??= checked(this, () => renderServer(this._model()));
    return this.rendered;
  }

  /** The TCP listeners of this server: the SMTP service and each submission port. */
  public listeners(): Listener[] {
    const spec = this._model();
    return [
      ...(spec.smtp ? [{ port: spec.smtp.port, address: spec.smtp.listenAddress, implicitTls: false }] : []),
      ...spec.submissions.map((s) => ({ port: s.port, address: s.listenAddress, implicitTls: s.mode === 'wrapper' })),
    ];
  }

  /**
   * @internal Where and how a health probe without a client certificate checks the server: a STARTTLS
   * handshake where the service offers one to such a client, the TLS banner on a wrapper port, the plain
   * banner otherwise (no TLS, anonymous ciphers only, or a client certificate required).
   */
  public _healthProbe(): { readonly port: number; readonly address?: string; readonly mode: 'plain' | 'starttls' | 'tls' } | undefined {
    const spec = this._model();
    const tlsForStrangers = spec.tls !== undefined && spec.tls.securityLevel !== 'none' && !spec.tls.certificateless;
    if (spec.smtp) {
      const requiresCertificate = spec.clientCerts?.require === true && spec.tls?.securityLevel === 'encrypt';
      return { port: spec.smtp.port, address: spec.smtp.listenAddress, mode: tlsForStrangers && !requiresCertificate ? 'starttls' : 'plain' };
    }
    const submission = spec.submissions.find((s) => s.mode !== 'wrapper') ?? spec.submissions[0];
    if (!submission) return undefined;
    if (submission.mode === 'wrapper') return { port: submission.port, address: submission.listenAddress, mode: 'tls' };
    const certificateOnly = submission.requireClientCert || spec.clientCerts?.require === true;
    return { port: submission.port, address: submission.listenAddress, mode: !spec.tls?.certificateless && !certificateOnly ? 'starttls' : 'plain' };
  }

  /** Every file the container needs: rendered configuration, tables, certificates, keys (by path only). */
  public files(): DeployFile[] {
    const rendered = this.render();
    return [
      { containerPath: '/etc/postfix/main.cf', content: rendered.mainCf, secret: false },
      { containerPath: '/etc/postfix/master.cf', content: rendered.masterCf, secret: false },
      ...rendered.tables.map((t) => ({ containerPath: t.path, content: t.content, secret: false })),
      ...(this.tls?._files ?? []),
      ...(this.clientCerts?._files ?? []),
      ...(this.smtpClient?._files ?? []),
      ...(this.props.sasl?._files ?? []),
    ];
  }
}
