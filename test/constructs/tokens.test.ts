import { App, TerraformStack, TerraformVariable } from 'cdktf';
import { ClientCertPolicy, ClientIdentity, PostfixServer, SessionCache, SubmissionPort, TlsServer } from '../../index';

// Values only known at deploy time would reach main.cf, master.cf or a table unchecked: refused at synth.
describe('deploy-time tokens in props that are rendered into the Postfix configuration', () => {
  const setup = (): { stack: TerraformStack; token: string; server: PostfixServer } => {
    const stack = new TerraformStack(new App(), 'stack');
    const token = new TerraformVariable(stack, 'v', { type: 'string' }).stringValue;
    const server = new PostfixServer(stack, 'mx', { hostname: 'mx.example.com', publicMx: false });
    return { stack, token, server };
  };

  test.each([
    ['hostname', (s: TerraformStack, t: string) => new PostfixServer(s, 'other', { hostname: t }), /\[stack\/other\] hostname is only known at deploy time/],
    ['additionalParameters value', (s: TerraformStack, t: string) => new PostfixServer(s, 'other', { hostname: 'mx.example.com', additionalParameters: { smtpd_banner: t } }), /\[stack\/other\] additionalParameters\.smtpd_banner is only known at deploy time/],
    ['trustedNetworks item', (s: TerraformStack, t: string) => new PostfixServer(s, 'other', { hostname: 'mx.example.com', trustedNetworks: ['192.0.2.0/24', t] }), /trustedNetworks\[1\] is only known at deploy time/],
  ])('PostfixServer %s', (_name, build, message) => {
    const { stack, token } = setup();
    expect(() => build(stack, token)).toThrow(message);
  });

  test('TlsServer excludeCiphers, SubmissionPort listenAddress, SessionCache timeout and access rule actions', () => {
    const { token, server } = setup();
    expect(() => new TlsServer(server, 'Tls', { certificateless: true, excludeCiphers: [token] })).toThrow(/\[stack\/mx\/Tls\] excludeCiphers\[0\] is only known at deploy time.*pass a literal value/);
    expect(() => new SubmissionPort(server, 'Sub', { listenAddress: token })).toThrow(/\[stack\/mx\/Sub\] listenAddress is only known at deploy time/);
    const seconds = new TerraformVariable(server, 'seconds', { type: 'number' }).numberValue;
    expect(() => new SessionCache(server, 'Cache', { timeoutSeconds: seconds })).toThrow(/\[stack\/mx\/Cache\] timeoutSeconds is only known at deploy time/);
    expect(() => new ClientCertPolicy(server, 'Cc', { accessRules: [{ client: ClientIdentity.fromFingerprint('AA:BB', 'x'), action: token }] })).toThrow(/accessRules\[0\]\.action is only known at deploy time/);
  });

  test('a client name token is refused; CA PEM tokens (file contents only) are accepted', () => {
    const { token, server } = setup();
    expect(() => ClientIdentity.fromFingerprint('AA:BB', token)).toThrow(/client name is only known at deploy time/);
    expect(() => new ClientCertPolicy(server, 'Cc', { trustedCaPems: [token], capathCaPems: [token], permitAllClientCertificates: true })).not.toThrow();
  });
});
