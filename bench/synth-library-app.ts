// The library's side of the synth benchmark, loaded only by library runs: it uses the compiled package
// (dist/, from `npm run build`), as a user's app does.
import { App, TerraformStack } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
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
} from '../dist/index';
import type { BenchPki, PlainServer } from './synth-plain-app';

const serverHostname = (i: number): string => `mx${i}.bench.example.com`;
export const publishAddress = (i: number): string => `127.1.${i >> 8}.${i & 255}`;

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
    // One loopback address per server: containers of one stack may not publish the same host socket.
    new PostfixContainer(stack, `mx${i}Container`, { server, image, publishAddress: publishAddress(i) });
  }
  return app;
}

/** The files and ports of the library's servers, for the baseline to reproduce. */
export function plainServersFrom(app: App): PlainServer[] {
  return app.node
    .findAll()
    .filter((c): c is PostfixServer => PostfixServer.isPostfixServer(c))
    .map((s, i) => ({ name: s.node.id, files: s.files(), ports: s.listeners().map((l) => l.port), address: publishAddress(i) }));
}
