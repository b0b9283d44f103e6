import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CertificateFiles,
  ClientCertPolicy,
  ClientIdentity,
  KeyAlgorithm,
  LocalPki,
  PostfixContainer,
  PostfixImage,
  PostfixServer,
  SaslBackend,
  SecurityLevel,
  ServerCertificate,
  SessionCache,
  SubmissionMode,
  SubmissionPort,
  TlsProfile,
  TlsServer,
} from '../index';

/** Development certificates of the example, generated once into `.pki/` and reused by every synth. */
export interface ExamplePki {
  readonly serverRsa: CertificateFiles;
  readonly serverEcdsa: CertificateFiles;
  readonly clientCa: CertificateFiles;
  readonly relayClient: CertificateFiles;
  /** Development SASL credentials (`user password`), created once with a random password, mode 0600. */
  readonly saslCredentialsFile: string;
}

/** Writes a development credentials file once; later synths reuse it unchanged. */
function ensureDevelopmentCredentials(path: string, user: string): string {
  if (!existsSync(path)) writeFileSync(path, `${user} ${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  return path;
}

export const EXAMPLE_HOSTNAME = 'mx.example.com';

export async function prepareExamplePki(pki: LocalPki): Promise<ExamplePki> {
  await pki.ensureRootCa('example-root');
  await pki.ensureIntermediate('example-intermediate', 'example-root');
  const hostnames = [EXAMPLE_HOSTNAME];
  return {
    serverRsa: await pki.ensureServerCert('mx-rsa', { issuer: 'example-intermediate', hostnames, algorithm: KeyAlgorithm.RSA }),
    serverEcdsa: await pki.ensureServerCert('mx-ecdsa', { issuer: 'example-intermediate', hostnames, algorithm: KeyAlgorithm.ECDSA }),
    clientCa: await pki.ensureRootCa('example-client-ca'),
    relayClient: await pki.ensureClientCert('relay-client', { issuer: 'example-client-ca', commonName: 'relay.example.net' }),
    saslCredentialsFile: ensureDevelopmentCredentials(join(pki.directory, 'sasl-credentials'), `alice@${EXAMPLE_HOSTNAME}`),
  };
}

export interface ExampleMailStackProps {
  readonly pki: ExamplePki;
}

/**
 * One realistic server: MX on 25 (opportunistic TLS, asks for client certificates, relays for listed
 * client-certificate fingerprints), submission on 587 (STARTTLS required, AUTH only over TLS),
 * submissions on 465 (wrapper mode), and TLS session resumption.
 */
export class ExampleMailStack extends TerraformStack {
  public readonly server: PostfixServer;

  constructor(scope: Construct, id: string, props: ExampleMailStackProps) {
    super(scope, id);
    const { pki } = props;
    new DockerProvider(this, 'docker', {});
    // State next to cdktf.json, named relative to the stack directory Terraform runs in: cdktf's default
    // records the project's absolute path, and cdk.tf.json would differ between checkouts.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });

    const mx = new PostfixServer(this, 'mx', {
      hostname: EXAMPLE_HOSTNAME,
      localDomains: ['example.com'],
      sasl: SaslBackend.cyrusSasldb(pki.saslCredentialsFile),
    });
    new TlsServer(mx, 'Tls', {
      certificates: [
        ServerCertificate.fromFiles({ chainFile: pki.serverEcdsa.chainPath, keyFile: pki.serverEcdsa.keyPath }),
        ServerCertificate.fromFiles({ chainFile: pki.serverRsa.chainPath, keyFile: pki.serverRsa.keyPath }),
      ],
      securityLevel: SecurityLevel.MAY,
      profile: TlsProfile.INTERMEDIATE, // mandatory TLS (587, 465); port 25 keeps Postfix's opportunistic defaults
    });
    new ClientCertPolicy(mx, 'ClientCerts', {
      trustedCaFiles: [pki.clientCa.certPath],
      relayClients: [ClientIdentity.fromCertificateFile(pki.relayClient.certPath, 'relay.example.net')],
    });
    new SessionCache(mx, 'Sessions', { timeoutSeconds: 3600 });
    new SubmissionPort(mx, 'Submission', { mode: SubmissionMode.STARTTLS });
    new SubmissionPort(mx, 'Submissions', { mode: SubmissionMode.WRAPPER });

    const image = new PostfixImage(this, 'Image');
    new PostfixContainer(this, 'MxContainer', { server: mx, image });
    this.server = mx;
  }
}

/** The example app, built but not synthesized (so `npm run render` can read it too). */
export async function buildExampleApp(pkiDirectory?: string): Promise<App> {
  const app = new App();
  const pki = await prepareExamplePki(new LocalPki({ directory: pkiDirectory }));
  new ExampleMailStack(app, 'example', { pki });
  return app;
}
