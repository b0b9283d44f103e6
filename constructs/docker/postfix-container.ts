import { Container, ContainerHealthcheck, ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Annotations, Aspects, Fn, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { isIP } from 'node:net';
import { nameKey } from '../../lib/names';
import { SocketClaims } from '../../lib/networks';
import { checked, constructError, typedProps } from '../errors';
import { integer } from '../../lib/values';
import type { DeployFile } from '../../lib/deploy-file';
import { deployPath } from '../deploy-path';
import { PostfixServer } from '../postfix-server';
import { PostfixImage } from './postfix-image';

/** Props of a `PostfixContainer`. */
export interface PostfixContainerProps {
  /** The server whose rendered files the container runs. */
  readonly server: PostfixServer;
  /** The image to run. */
  readonly image: PostfixImage;
  /**
   * Container name.
   * @default - 'postfix-' + the server's construct id, lowercased
   */
  readonly containerName?: string;
  /**
   * Share the host's network stack instead of publishing ports; Postfix then listens on the host's
   * addresses directly (set listen addresses on the server to restrict it).
   * @default false
   */
  readonly hostNetwork?: boolean;
  /**
   * Host address published ports bind to (ignored with hostNetwork).
   * @default '0.0.0.0'
   */
  readonly publishAddress?: string;
  /**
   * Name of the volume holding the mail queue (/var/spool/postfix); it outlives container replacement.
   * @default - 'postfix-queue-' + container name
   */
  readonly queueVolumeName?: string;
  /**
   * Name of the volume the configuration generations are delivered into (by the loader container, see
   * docker/README.md); the Postfix container reloads each new generation without being replaced.
   * @default - 'postfix-config-' + container name
   */
  readonly configVolumeName?: string;
  /**
   * Docker restart policy.
   * @default 'unless-stopped'
   */
  readonly restart?: string;
  /**
   * Days before a server certificate expires from which the healthcheck logs a warning (shown by `docker
   * inspect` in the health log; the container stays healthy). An expired certificate is unhealthy.
   * @default 30
   */
  readonly certificateExpiryWarningDays?: number;
}

const QUEUE_DIRECTORY = '/var/spool/postfix';
/** Where the config volume is mounted in the Postfix and the loader container (docker/README.md). */
export const CONFIG_VOLUME_PATH = '/var/lib/postfix-config';
/** Where the loader container gets the rendered files, laid out as under /etc/postfix. */
export const GENERATION_STAGING_DIRECTORY = '/var/lib/postfix-staging';
/** The entrypoint flag that makes a container of the image the loader. */
export const LOAD_GENERATION_FLAG = '--load-generation';
/** The directory the rendered configuration names its files in; the loader stages them relative to it. */
const CONFIG_DIRECTORY = '/etc/postfix/';
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const RESTART_POLICIES = ['no', 'on-failure', 'always', 'unless-stopped'];
const WILDCARD_ADDRESSES = ['0.0.0.0', '::', '[::]', '*'];
/** The PostfixContainers of a stack, kept on the stack (under a shared symbol, so copies of the library agree). */
const CONTAINERS_OF_STACK = Symbol.for('postfix-tls-cdktf.PostfixContainers');
type HostBinding = { readonly port: number; readonly address?: string };

function containersOf(stack: TerraformStack): PostfixContainer[] {
  const holder = stack as unknown as { [CONTAINERS_OF_STACK]?: PostfixContainer[] };
  return (holder[CONTAINERS_OF_STACK] ??= []);
}

/** One Docker name a PostfixContainer claims: a container or a volume, what it is, and the prop that sets it. */
interface DockerName {
  readonly kind: 'container' | 'volume';
  readonly name: string;
  readonly what: string;
  readonly prop: string;
}
type NameClaim = { readonly owner: PostfixContainer; readonly claim: DockerName };
const claimKey = (claim: DockerName): string => `${claim.kind}:${nameKey(claim.name)}`;

/** The Docker names claimed by a stack's containers, by `kind:nameKey`, indexed as containers join. */
const nameIndexes = new WeakMap<PostfixContainer[], { indexed: number; readonly byKey: Map<string, NameClaim> }>();
function claimedNames(all: PostfixContainer[]): Map<string, NameClaim> {
  let index = nameIndexes.get(all);
  if (!index) nameIndexes.set(all, (index = { indexed: 0, byKey: new Map() }));
  for (; index.indexed < all.length; index.indexed++) {
    const owner = all[index.indexed];
    for (const claim of owner._dockerNames) if (!index.byKey.has(claimKey(claim))) index.byKey.set(claimKey(claim), { owner, claim });
  }
  return index.byKey;
}

/**
 * The first host-socket clash of each container of a stack, found once per synth by claiming every
 * container's sockets in creation order (each container's aspect reports its own).
 */
const socketClashes = new WeakMap<PostfixContainer[], { readonly size: number; readonly clashes: Map<PostfixContainer, HostClash> }>();
type HostClash = { readonly mine: HostBinding; readonly theirs: HostBinding; readonly container: PostfixContainer };
function hostSocketClashes(all: PostfixContainer[]): Map<PostfixContainer, HostClash> {
  let found = socketClashes.get(all);
  if (!found || found.size !== all.length) {
    const claims = new SocketClaims<{ readonly binding: HostBinding; readonly container: PostfixContainer }>();
    const clashes = new Map<PostfixContainer, HostClash>();
    for (const container of all) {
      for (const mine of container._hostBindings()) {
        const other = claims.claim(mine.port, mine.address, { binding: mine, container });
        if (other && other.container !== container && !clashes.has(container)) clashes.set(container, { mine, theirs: other.binding, container: other.container });
      }
    }
    found = { size: all.length, clashes };
    socketClashes.set(all, found);
  }
  return found.clashes;
}

/** One `filesha256()` expression per file and stack: servers often share a (wildcard) certificate's key. */
const fileHashes = new WeakMap<TerraformStack, Map<string, string>>();
function fileHashOf(stack: TerraformStack, source: string): string {
  let hashes = fileHashes.get(stack);
  if (!hashes) fileHashes.set(stack, (hashes = new Map()));
  let hash = hashes.get(source);
  if (hash === undefined) hashes.set(source, (hash = Fn.filesha256(source)));
  return hash;
}

/**
 * One Docker container running a `PostfixServer`, with a persistent queue volume and a healthcheck. The
 * rendered files reach it through a config volume: a short-lived loader container, replaced whenever the files
 * change, writes them as one complete generation, which the running Postfix checks, swaps in and reloads
 * (docker/README.md). The Postfix container is replaced only when its image or its own settings change.
 */
export class PostfixContainer extends Construct {
  /** The docker provider's container resource (Postfix). */
  public readonly container: Container;
  /** The loader container: runs once per change of the rendered files and exits. */
  public readonly loader: Container;
  /** The volume holding the mail queue. */
  public readonly queueVolume: Volume;
  /** The volume the loader writes configuration generations into. */
  public readonly configVolume: Volume;
  /** @internal The Docker names this container claims in its stack. */
  public readonly _dockerNames: readonly DockerName[];
  /** @internal The host sockets the container binds (known at synth). */
  public readonly _hostBindings: () => HostBinding[];

  constructor(scope: Construct, id: string, props: PostfixContainerProps) {
    super(scope, id);
    typedProps(this, props, { hostNetwork: 'boolean', certificateExpiryWarningDays: 'number' });
    const { server } = props;
    const name = props.containerName ?? `postfix-${server.node.id.toLowerCase()}`;
    const volumeName = props.queueVolumeName ?? `postfix-queue-${name}`;
    const configVolumeName = props.configVolumeName ?? `postfix-config-${name}`;
    const loaderName = `${name}-loader`;
    this._dockerNames = [
      { kind: 'container', name, what: 'container name', prop: 'containerName' },
      { kind: 'container', name: loaderName, what: 'loader container name (containerName + "-loader")', prop: 'containerName' },
      { kind: 'volume', name: volumeName, what: 'queue volume name', prop: 'queueVolumeName' },
      { kind: 'volume', name: configVolumeName, what: 'config volume name', prop: 'configVolumeName' },
    ];
    const siblings = containersOf(TerraformStack.of(this));
    this.checkNames(claimedNames(siblings));
    siblings.push(this);
    const restart = props.restart ?? 'unless-stopped';
    if (!RESTART_POLICIES.includes(restart)) {
      throw constructError(this, `restart ${JSON.stringify(restart)} is not a Docker restart policy: use one of ${RESTART_POLICIES.join(', ')}`);
    }
    const publishAddress = props.publishAddress ?? '0.0.0.0';
    if (isIP(publishAddress) === 0) throw constructError(this, `publishAddress ${JSON.stringify(publishAddress)} is not an IP address (e.g. 0.0.0.0 or 127.0.0.1)`);
    this.queueVolume = new Volume(this, 'Queue', { name: volumeName });
    this.configVolume = new Volume(this, 'Config', { name: configVolumeName });
    const trusted = server._model().trustedNetworks;
    if (trusted.length > 0 && !props.hostNetwork) {
      Annotations.of(this).addWarning(`[trusted-networks-behind-docker-proxy] server ${server.node.path} trusts ${trusted.join(', ')} (trustedNetworks), but the container publishes its ports through Docker, whose proxy can make every client appear to come from the Docker gateway (and IPv6 clients from an IPv4 address): strangers could relay as trusted clients. Set hostNetwork: true so Postfix sees real client addresses, or drop trustedNetworks and let clients authenticate`);
    }

    if (server.postfixVersion !== props.image.postfixVersion) {
      throw constructError(this, `server ${server.node.path} is rendered for Postfix ${server.postfixVersion} (postfixVersion), but image ${props.image.node.path} runs Postfix ${props.image.postfixVersion}: set the same postfixVersion on the PostfixServer and the PostfixImage`);
    }
    const warningDays = props.certificateExpiryWarningDays;
    if (warningDays !== undefined) checked(this, () => integer('certificateExpiryWarningDays', warningDays, 0, 3650));
    // Only a value the user chose is passed: the script's default is the documented 30.
    const expiryFlag = warningDays === undefined ? [] : ['--expiry-warning-days', String(warningDays)];
    const healthcheck = (test: string[]): ContainerHealthcheck => ({ test, interval: '10s', timeout: '8s', startPeriod: '5s', retries: 3 });
    // Host sockets: the server's own addresses with host networking, the publish address otherwise.
    this._hostBindings = () => (server._renderable() ? server.listeners().map((l) => ({ port: l.port, address: props.hostNetwork ? l.address : publishAddress })) : []);
    const networkMode = props.hostNetwork ? 'host' : undefined;
    const config = { volumeName: this.configVolume.name, containerPath: CONFIG_VOLUME_PATH };
    // Runs once and exits; an upload change replaces it (the docker provider's uploads force a new container).
    this.loader = new Container(this, 'Loader', {
      name: loaderName,
      image: props.image.imageRef,
      command: [LOAD_GENERATION_FLAG],
      restart: 'no',
      mustRun: false,
      networkMode,
      volumes: [config],
    });
    this.container = new Container(this, 'Container', {
      name,
      image: props.image.imageRef,
      restart,
      mustRun: true,
      networkMode,
      volumes: [{ volumeName: this.queueVolume.name, containerPath: QUEUE_DIRECTORY }, config],
      healthcheck: healthcheck([]),
      // Usually the first generation is there at start; the entrypoint waits for it (bounded) otherwise.
      dependsOn: [this.loader],
    });
    // The server's files, ports and healthcheck are filled in at synth, once its children all exist, so
    // the order in which the container and the server's children are created does not matter. Aspects
    // run before anything is resolved, also under cdktf Testing. An invalid server is left alone here:
    // its own aspect stops synth with its errors.
    Aspects.of(this).add({
      visit: (node) => {
        if (node !== this || !server._renderable()) return;
        const listeners = server.listeners();
        const probe = server._healthProbe();
        if (!probe) throw constructError(this, `server ${server.node.path} has no SMTP or submission service to run: keep smtpService or add a SubmissionPort`);
        // A service bound to one address is probed there (the script dials 127.0.0.1 otherwise).
        const probeAddress = probe.address !== undefined && !WILDCARD_ADDRESSES.includes(probe.address) ? [probe.address] : [];
        this.container.putHealthcheck(healthcheck(['CMD', '/usr/local/bin/healthcheck.sh', ...expiryFlag, String(probe.port), probe.mode, ...probeAddress]));
        if (!props.hostNetwork) this.container.putPorts(listeners.map((l) => ({ internal: l.port, external: l.port, ip: publishAddress })));
        const files = server.files();
        this.loader.putUpload(files.map((file) => this.upload(file)));
        const maillog = this.maillogUpload(server, files);
        if (maillog.length > 0) this.container.putUpload(maillog);
        this.checkHostPorts();
      },
    });
  }

  /**
   * Docker refuses a second container or volume of the same name at deploy time; names that differ only in case
   * or Unicode form (K and the Kelvin sign) are refused here already, as they confuse every reader. Also among
   * this container's own names (a queue volume named like the config volume).
   */
  private checkNames(claimed: ReadonlyMap<string, NameClaim>): void {
    const mine = new Map<string, DockerName>();
    for (const claim of this._dockerNames) {
      if (!DOCKER_NAME.test(claim.name)) throw constructError(this, `${claim.prop} ${JSON.stringify(claim.name)} is invalid: use letters, digits, '_', '.', '-'`);
      const other = claimed.get(claimKey(claim));
      const own = mine.get(claimKey(claim));
      if (other || own) {
        const user = other ? `${other.owner.node.path} (${JSON.stringify(other.claim.name)}, its ${other.claim.what})` : `this container's ${own!.what}`;
        throw constructError(this, `${claim.what} ${JSON.stringify(claim.name)} is already used by ${user}; names are compared ignoring case and Unicode form: set a distinct ${claim.prop}`);
      }
      mine.set(claimKey(claim), claim);
    }
  }

  /** Two containers of one stack cannot bind overlapping host sockets (EADDRINUSE at start): the later one is refused. */
  private checkHostPorts(): void {
    const clash = hostSocketClashes(containersOf(TerraformStack.of(this))).get(this);
    if (clash) {
      throw constructError(this, `host port ${clash.mine.address ?? '*'}:${clash.mine.port} overlaps ${clash.theirs.address ?? '*'}:${clash.theirs.port} of ${clash.container.node.path}, so one container cannot start (address in use): give the server another smtpPort or listenAddress, or the container another publishAddress`);
    }
  }

  /**
   * An empty log file at maillogFile when it is a file: Postfix creates a missing log file but not its directory
   * (postfix-script: "fatal: open logfile '/var/log/postfix/mail.log': cannot create file exclusively: No such file
   * or directory", and the container restarts without a word in `docker logs`). The upload makes the engine create
   * the directory (root, 0755) and a root-owned file, which Postfix then appends to.
   */
  private maillogUpload(server: PostfixServer, files: readonly DeployFile[]): ContainerUpload[] {
    const maillog = server._model().maillogFile;
    if (maillog === '/dev/stdout') return [];
    if (maillog.endsWith('/')) throw constructError(this, `maillogFile ${JSON.stringify(maillog)} of server ${server.node.path} names a directory: give a file (e.g. /var/log/mail.log), or '/dev/stdout' for docker logs`);
    if (files.some((f) => f.containerPath === maillog)) {
      throw constructError(this, `maillogFile ${JSON.stringify(maillog)} of server ${server.node.path} is a file the server uploads: give another file (e.g. /var/log/mail.log), or '/dev/stdout' for docker logs`);
    }
    return [{ file: maillog, content: '', permissions: '0600' }];
  }

  /** An upload of the loader: the file at its place under the staging directory. */
  private upload(file: DeployFile): ContainerUpload {
    if (!file.containerPath.startsWith(CONFIG_DIRECTORY)) {
      throw constructError(this, `file ${JSON.stringify(file.containerPath)} is outside ${CONFIG_DIRECTORY}, the only directory a configuration generation holds`);
    }
    const staged = `${GENERATION_STAGING_DIRECTORY}/${file.containerPath.slice(CONFIG_DIRECTORY.length)}`;
    if (file.sourcePath !== undefined) {
      // Keys travel by path only; the hash makes a changed key replace the loader (a new generation).
      const source = deployPath(this, file.sourcePath);
      return { file: staged, source, sourceHash: fileHashOf(TerraformStack.of(this), source) };
    }
    if (file.secret && !Token.isUnresolved(file.content)) {
      throw constructError(this, `refusing to inline the secret file ${file.containerPath}: give it as a local path`);
    }
    return { file: staged, content: file.content as string };
  }
}
