import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { App, Fn, TerraformStack } from 'cdktf';
import {
  ClientCertPolicy,
  ClientIdentity,
  PostfixContainer,
  PostfixImage,
  PostfixServer,
  ServerCertificate,
  SessionCache,
  SubmissionMode,
  SubmissionPort,
  TlsServer,
} from '../index';
import type { DeployFile } from '../lib/deploy-file';

/** Certificate files shared by every benchmark server (a wildcard certificate covers all host names). */
export interface BenchPki {
  readonly rsaChain: string;
  readonly rsaKey: string;
  readonly ecdsaChain: string;
  readonly ecdsaKey: string;
  readonly clientCa: string;
  readonly clientCert: string;
}

export const serverHostname = (i: number): string => `mx${i}.bench.example.com`;

/** N servers built with the library's constructs, like the example MX. */
export function libraryApp(outdir: string, count: number, pki: BenchPki): App {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'bench');
  new DockerProvider(stack, 'docker', {});
  const image = new PostfixImage(stack, 'Image');
  const rsa = ServerCertificate.fromFiles({ chainFile: pki.rsaChain, keyFile: pki.rsaKey });
  const ecdsa = ServerCertificate.fromFiles({ chainFile: pki.ecdsaChain, keyFile: pki.ecdsaKey });
  const client = ClientIdentity.fromCertificateFile(pki.clientCert, 'relay.example.net');
  for (let i = 0; i < count; i++) {
    const server = new PostfixServer(stack, `mx${i}`, { hostname: serverHostname(i), localDomains: ['example.com'] });
    new TlsServer(server, 'Tls', { certificates: [ecdsa, rsa] });
    new ClientCertPolicy(server, 'ClientCerts', { trustedCaFiles: [pki.clientCa], relayClients: [client] });
    new SessionCache(server, 'Sessions', { timeoutSeconds: 3600 });
    new SubmissionPort(server, 'Submission', { saslAuthentication: false, requireClientCertificate: true });
    new SubmissionPort(server, 'Submissions', { mode: SubmissionMode.WRAPPER, saslAuthentication: false, requireClientCertificate: true });
    new PostfixContainer(stack, `mx${i}Container`, { server, image });
  }
  return app;
}

/** What the baseline needs per server: the same files and ports, computed before it is timed. */
export interface PlainServer {
  readonly name: string;
  readonly files: readonly DeployFile[];
  readonly ports: readonly number[];
}

/** The same docker resources written by hand with plain cdktf: no validation, no rendering. */
export function plainApp(outdir: string, servers: readonly PlainServer[]): App {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'bench');
  new DockerProvider(stack, 'docker', {});
  const image = new Image(stack, 'Image', { name: 'postfix-tls-cdktf:latest', keepLocally: true, buildAttribute: { context: '/opt/docker', networkMode: 'host' } });
  for (const server of servers) {
    const volume = new Volume(stack, `${server.name}Queue`, { name: `postfix-queue-${server.name}` });
    new Container(stack, `${server.name}Container`, {
      name: `postfix-${server.name}`,
      image: image.imageId,
      restart: 'unless-stopped',
      mustRun: true,
      ports: server.ports.map((port) => ({ internal: port, external: port, ip: '0.0.0.0' })),
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

/** The files and ports of the library's servers, for the baseline to reproduce. */
export function plainServersFrom(app: App): PlainServer[] {
  return app.node
    .findAll()
    .filter((c): c is PostfixServer => c instanceof PostfixServer)
    .map((s) => ({ name: s.node.id, files: s.files(), ports: s.listeners().map((l) => l.port) }));
}
