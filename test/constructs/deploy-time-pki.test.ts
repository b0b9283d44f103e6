import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import {
  ClientCertPolicy,
  DeployTimePki,
  GENERATION_STAGING_DIRECTORY,
  KeyAlgorithm,
  PostfixContainer,
  PostfixImage,
  PostfixServer,
  TlsProfile,
  TlsServer,
} from '../../index';

function relayStack(withIntermediate: boolean): { json: any; stack: TerraformStack } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'dt');
  new DockerProvider(stack, 'docker', {});
  new TlsProvider(stack, 'tls', {});
  const pki = new DeployTimePki(stack, 'Pki', { withIntermediate });
  const server = new PostfixServer(stack, 'relay', { hostname: 'relay.example.com', publicMx: false });
  new TlsServer(server, 'Tls', {
    certificates: [
      pki.serverCertificate('Server', ['relay.example.com']),
      pki.serverCertificate('ServerRsa', ['relay.example.com'], KeyAlgorithm.RSA),
    ],
  });
  new ClientCertPolicy(server, 'ClientCerts', { trustedCaPems: [pki.rootCertPem], permitAllClientCertificates: true });
  new PostfixContainer(stack, 'Container', { server, image: new PostfixImage(stack, 'Image') });
  return { json: JSON.parse(Testing.synth(stack)), stack };
}

/** The loader's uploads, by the path the file gets under /etc/postfix. */
function uploads(json: any): Record<string, { content?: string; source?: string }> {
  const [loader] = (Object.values(json.resource.docker_container) as any[]).filter((c) => c.must_run === false);
  return Object.fromEntries(loader.upload.map((u: any) => [u.file.replace(`${GENERATION_STAGING_DIRECTORY}/`, '/etc/postfix/'), u]));
}

describe('DeployTimePki', () => {
  test.each([
    [KeyAlgorithm.ECDSA, undefined],
    [KeyAlgorithm.RSA, "certificates[0] \"CN=relay.example.com\" has a 2048-bit RSA key, weaker than profile 'internet-nl' accepts"],
  ])('its %s key size is known at synth: the internet-nl profile checks it', (algorithm, problem) => {
    const stack = new TerraformStack(Testing.app(), 'dt');
    new TlsProvider(stack, 'tls', {});
    const pki = new DeployTimePki(stack, 'Pki', {});
    const server = new PostfixServer(stack, 'relay', { hostname: 'relay.example.com', publicMx: false });
    new TlsServer(server, 'Tls', { certificates: [pki.serverCertificate('Server', ['relay.example.com'], algorithm)], profile: TlsProfile.INTERNET_NL });
    if (problem) expect(() => Testing.synth(stack, true)).toThrow(problem);
    else expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(server.node.metadata.filter((m) => m.type === '@cdktf/warn')).toEqual([]);
  });

  test('keys reach the container as tls provider references, never as key material', () => {
    const { json } = relayStack(true);
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/PRIVATE KEY/);
    const files = uploads(json);
    expect(files['/etc/postfix/tls/private/ecdsa.key.pem'].content).toMatch(/^\$\{tls_private_key\.[A-Za-z0-9_]+\.private_key_pem\}$/);
    expect(files['/etc/postfix/tls/private/rsa.key.pem'].content).toMatch(/^\$\{tls_private_key\.[A-Za-z0-9_]+\.private_key_pem\}$/);
    expect(Object.keys(json.resource.tls_private_key)).toHaveLength(4); // root, intermediate, ECDSA and RSA server
  });

  test('the chain is the leaf followed by the intermediate, and the CAfile is the root', () => {
    const files = uploads(relayStack(true).json);
    expect(files['/etc/postfix/tls/ecdsa.chain.pem'].content).toMatch(
      /^\$\{tls_locally_signed_cert\.Pki_Server_[A-Z0-9]+\.cert_pem\}\$\{tls_locally_signed_cert\.Pki_Intermediate_[A-Z0-9]+\.cert_pem\}$/,
    );
    expect(files['/etc/postfix/tls/client-ca.pem'].content).toMatch(/^\$\{tls_self_signed_cert\.Pki_Root_[A-Z0-9]+\.cert_pem\}$/);
  });

  test('without an intermediate the chain is the leaf alone', () => {
    const files = uploads(relayStack(false).json);
    expect(files['/etc/postfix/tls/ecdsa.chain.pem'].content).toMatch(/^\$\{tls_locally_signed_cert\.Pki_Server_[A-Z0-9]+\.cert_pem\}$/);
  });

  test('server certificates carry the host name and serverAuth; RSA also keyEncipherment', () => {
    const { json } = relayStack(false);
    const requests = Object.values(json.resource.tls_cert_request) as any[];
    expect(requests.every((r) => JSON.stringify(r.dns_names) === '["relay.example.com"]')).toBe(true);
    const certs = json.resource.tls_locally_signed_cert;
    const rsa = Object.entries(certs).find(([k]) => k.startsWith('Pki_ServerRsa_'))?.[1] as any;
    expect(rsa.allowed_uses).toEqual(['digital_signature', 'server_auth', 'key_encipherment']);
  });

  test('CAs known only at deploy time cannot be counted: permitAllClientCertificates gets a warning', () => {
    const { stack } = relayStack(false);
    Testing.synth(stack);
    const server = stack.node.findChild('relay');
    const warnings = server.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings.some((w) => w.includes('[permit-all-clientcerts-unknown-cas]'))).toBe(true);
  });

  test('DSA is refused with the reason', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'dsa');
    const pki = new DeployTimePki(stack, 'Pki');
    expect(() => pki.serverCertificate('S', ['mx.example.com'], KeyAlgorithm.DSA)).toThrow(/\[dsa\/Pki\].*DSA is obsolete/);
  });
});

describe('the tls provider is an optional peer dependency', () => {
  test('the library loads without it, and DeployTimePki says what to install', () => {
    jest.isolateModules(() => {
      jest.doMock('@cdktf/provider-tls/lib/private-key', () => {
        throw new Error("Cannot find module '@cdktf/provider-tls/lib/private-key'");
      });
      const library = require('../../index') as typeof import('../../index');
      const { Testing: testing, TerraformStack: Stack } = require('cdktf') as typeof import('cdktf');
      const stack = new Stack(testing.app(), 'no-tls');
      expect(() => new library.DeployTimePki(stack, 'Pki')).toThrow(
        /\[no-tls\/Pki\] DeployTimePki needs the tls provider bindings, which are not installed \(Cannot find module '@cdktf\/provider-tls\/lib\/private-key'\): npm install @cdktf\/provider-tls@\^11/,
      );
    });
  });
});
