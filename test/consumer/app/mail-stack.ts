// A user's stack, written the way the README's "Use it in your app" shows.
import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import {
  ClientCertPolicy,
  ClientIdentity,
  DeployTimePki,
  MailDnsRecords,
  MtaStsMode,
  PostfixContainer,
  PostfixImage,
  PostfixServer,
  SaslBackend,
  SessionCache,
  SubmissionMode,
  SubmissionPort,
  TlsServer,
} from "postfix-tls-cdktf";

export interface MailStackProps {
  /** SASL users, one "user password" line each. */
  readonly saslCredentialsFile: string;
}

export class MailStack extends TerraformStack {
  public readonly server: PostfixServer;

  constructor(scope: Construct, id: string, props: MailStackProps) {
    super(scope, id);
    new DockerProvider(this, "docker", {});
    new TlsProvider(this, "tls", {});

    const pki = new DeployTimePki(this, "Pki", { withIntermediate: true });
    const mx = new PostfixServer(this, "mx", {
      hostname: "mx.example.com",
      localDomains: ["example.com"],
      sasl: SaslBackend.cyrusSasldb(props.saslCredentialsFile),
    });
    // The container may come first: the server's files are read at synth.
    new PostfixContainer(this, "MxContainer", { server: mx, image: new PostfixImage(this, "Image") });
    new TlsServer(mx, "Tls", { certificates: [pki.serverCertificate("MxCert", ["mx.example.com"])] });
    new ClientCertPolicy(mx, "ClientCerts", {
      trustedCaPems: [pki.rootCertPem],
      relayClients: [ClientIdentity.fromFingerprint("3E:5C:9A:01:22:7B:44:D0:9F:1A:6B:2C:88:E1:0D:4F:73:AA:15:C2:9B:60:37:E8:41:5D:0C:FA:92:68:B3:17", "relay.example.net")],
    });
    new SessionCache(mx, "Sessions", { timeoutSeconds: 3600 });
    new SubmissionPort(mx, "Submission", { mode: SubmissionMode.STARTTLS });
    new SubmissionPort(mx, "Submissions", { mode: SubmissionMode.WRAPPER });
    // DeployTimePki keys exist only at deploy time: no TLSA at synth, so DANE is off here.
    new MailDnsRecords(this, "Dns", {
      domain: "example.com",
      servers: [mx],
      dane: false,
      mtaSts: { mode: MtaStsMode.TESTING },
      tlsReportUris: ["mailto:tlsrpt@example.com"],
    });
    this.server = mx;
  }
}
