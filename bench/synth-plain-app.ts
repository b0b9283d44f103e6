// The baseline of the synth benchmark: the same docker resources in plain cdktf, without the library.
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { App, Fn, TerraformStack } from 'cdktf';
import type { DeployFile } from '../dist/index';

/** Certificate files shared by every benchmark server (a wildcard certificate covers all host names). */
export interface BenchPki {
  readonly rsaChain: string;
  readonly rsaKey: string;
  readonly ecdsaChain: string;
  readonly ecdsaKey: string;
  readonly clientCa: string;
  readonly clientCert: string;
}

/** What the baseline needs per server: the same files and ports, computed before it is timed. */
export interface PlainServer {
  readonly name: string;
  readonly files: readonly DeployFile[];
  readonly ports: readonly number[];
  /** Host address the ports are published on. */
  readonly address: string;
}

/** The same docker resources written by hand with plain cdktf: no validation, no rendering. */
export function plainApp(outdir: string, servers: readonly PlainServer[]): App {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'bench');
  new DockerProvider(stack, 'docker', {});
  const image = new Image(stack, 'Image', { name: 'postfix-tls-cdktf:trixie', keepLocally: true, buildAttribute: { context: '/opt/docker', networkMode: 'host' } });
  for (const server of servers) {
    const volume = new Volume(stack, `${server.name}Queue`, { name: `postfix-queue-${server.name}` });
    new Container(stack, `${server.name}Container`, {
      name: `postfix-${server.name}`,
      image: image.imageId,
      restart: 'unless-stopped',
      mustRun: true,
      ports: server.ports.map((port) => ({ internal: port, external: port, ip: server.address })),
      volumes: [{ volumeName: volume.name, containerPath: '/var/spool/postfix' }],
      healthcheck: { test: ['CMD', '/usr/local/bin/healthcheck.sh', '25', 'plain'], interval: '10s', timeout: '8s', startPeriod: '5s', retries: 3 },
      upload: server.files.map((f) =>
        f.sourcePath !== undefined
          ? { file: f.containerPath, source: f.sourcePath, sourceHash: Fn.filesha256(f.sourcePath) }
          : { file: f.containerPath, content: f.content as string },
      ),
    });
  }
  return app;
}

