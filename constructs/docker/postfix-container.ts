import { Container, containerPortsToTerraform, ContainerUpload, containerUploadToTerraform } from '@cdktf/provider-docker/lib/container';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Annotations, Aspects, Fn, Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import { isIP } from 'node:net';
import { constructError } from '../errors';
import type { DeployFile } from '../../lib/deploy-file';
import { deployPath } from '../deploy-path';
import { Listener, PostfixServer } from '../postfix-server';
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
   * Docker restart policy.
   * @default 'unless-stopped'
   */
  readonly restart?: string;
}

const QUEUE_DIRECTORY = '/var/spool/postfix';
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const RESTART_POLICIES = ['no', 'on-failure', 'always', 'unless-stopped'];
const WILDCARD_ADDRESSES = ['0.0.0.0', '::', '[::]', '*'];

/** One Docker container running a `PostfixServer`, with a persistent queue volume and a healthcheck. */
export class PostfixContainer extends Construct {
  /** The docker provider's container resource. */
  public readonly container: Container;
  /** The volume holding the mail queue. */
  public readonly queueVolume: Volume;

  constructor(scope: Construct, id: string, props: PostfixContainerProps) {
    super(scope, id);
    const { server } = props;
    const name = props.containerName ?? `postfix-${server.node.id.toLowerCase()}`;
    if (!DOCKER_NAME.test(name)) {
      throw constructError(this, `containerName ${JSON.stringify(name)} is invalid: use letters, digits, '_', '.', '-'`);
    }
    const volumeName = props.queueVolumeName ?? `postfix-queue-${name}`;
    if (!DOCKER_NAME.test(volumeName)) throw constructError(this, `queueVolumeName ${JSON.stringify(volumeName)} is invalid: use letters, digits, '_', '.', '-'`);
    const restart = props.restart ?? 'unless-stopped';
    if (!RESTART_POLICIES.includes(restart)) {
      throw constructError(this, `restart ${JSON.stringify(restart)} is not a Docker restart policy: use one of ${RESTART_POLICIES.join(', ')}`);
    }
    const publishAddress = props.publishAddress ?? '0.0.0.0';
    if (isIP(publishAddress) === 0) throw constructError(this, `publishAddress ${JSON.stringify(publishAddress)} is not an IP address (e.g. 0.0.0.0 or 127.0.0.1)`);
    this.queueVolume = new Volume(this, 'Queue', { name: volumeName });
    const trusted = server._model().trustedNetworks;
    if (trusted.length > 0 && !props.hostNetwork) {
      Annotations.of(this).addWarning(`[trusted-networks-behind-docker-proxy] server ${server.node.path} trusts ${trusted.join(', ')} (trustedNetworks), but the container publishes its ports through Docker, whose proxy can make every client appear to come from the Docker gateway (and IPv6 clients from an IPv4 address): strangers could relay as trusted clients. Set hostNetwork: true so Postfix sees real client addresses, or drop trustedNetworks and let clients authenticate`);
    }

    // The server's files, ports and healthcheck are read at synth, once its children all exist, so the
    // order in which the container and the server's children are created does not matter. Values made
    // this way skip the provider's attribute mapping, hence its *ToTerraform functions. An invalid
    // server gives nothing here: its own aspect stops synth with its errors before output is written.
    const whenRenderable = <T>(produce: () => T[]): T[] => (server._renderable() ? produce() : []);
    const noService = `server ${server.node.path} has no SMTP or submission service to run: keep smtpService or add a SubmissionPort`;
    Aspects.of(this).add({ visit: (node) => node === this && server._renderable() && probe() });
    const probe = (): Listener => {
      const listeners = server.listeners();
      const chosen = listeners.find((l) => !l.implicitTls) ?? listeners[0];
      if (!chosen) throw constructError(this, noService);
      return chosen;
    };
    this.container = new Container(this, 'Container', {
      name,
      image: props.image.imageRef,
      restart,
      mustRun: true,
      networkMode: props.hostNetwork ? 'host' : undefined,
      ports: props.hostNetwork
        ? undefined
        : Lazy.anyValue({ produce: () => whenRenderable(() => server.listeners().map((l) => containerPortsToTerraform({ internal: l.port, external: l.port, ip: publishAddress }))) }),
      volumes: [{ volumeName: this.queueVolume.name, containerPath: QUEUE_DIRECTORY }],
      healthcheck: {
        // A service bound to one address is probed there (the script dials 127.0.0.1 otherwise).
        test: Lazy.listValue({
          produce: () => whenRenderable(() => {
            const p = probe();
            return [
              'CMD',
              '/usr/local/bin/healthcheck.sh',
              String(p.port),
              p.implicitTls ? 'tls' : 'plain',
              ...(p.address !== undefined && !WILDCARD_ADDRESSES.includes(p.address) ? [p.address] : []),
            ];
          }),
        }),
        interval: '10s',
        timeout: '8s',
        startPeriod: '5s',
        retries: 3,
      },
      upload: Lazy.anyValue({ produce: () => whenRenderable(() => server.files().map((file) => containerUploadToTerraform(this.upload(file)))) }),
    });
  }

  private upload(file: DeployFile): ContainerUpload {
    if (file.sourcePath !== undefined) {
      // Keys travel by path only; the hash makes a changed key replace the container.
      const source = deployPath(this, file.sourcePath);
      return { file: file.containerPath, source, sourceHash: Fn.filesha256(source) };
    }
    if (file.secret && !Token.isUnresolved(file.content)) {
      throw constructError(this, `refusing to inline the secret file ${file.containerPath}: give it as a local path`);
    }
    return { file: file.containerPath, content: file.content as string };
  }
}
