/**
 * SmtpClientTls: the typed outbound TLS client. What it ships into the container (CA bundle, policy table,
 * client certificate by path), how it joins its server, and that the real postconf reads what it renders.
 */
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing, TerraformVariable } from 'cdktf';
import { readFileSync } from 'node:fs';
import {
  CipherGrade, GENERATION_STAGING_DIRECTORY, PostfixContainer, PostfixImage, SmtpClientSecurityLevel, SmtpClientTls, TlsProfile, TlsProtocol, TlsServer,
} from '../../index';
import { buildServer, errorOf, mainCfLines, newStack, serverCert, useTestPki } from '../helpers/fixtures';
import { describeIfPostconf, postconfCheck } from '../helpers/postconf';

const pki = useTestPki();

const POLICY = { destination: '[127.0.0.1]:35025', securityLevel: SmtpClientSecurityLevel.VERIFY, match: ['receiver.outpol.test'], minimumProtocol: TlsProtocol.TLS_1_3, cipherGrade: CipherGrade.HIGH };

function mainCf(server: { render(): { mainCf: string } }): Record<string, string> {
  return Object.fromEntries(mainCfLines(server.render().mainCf).map((l) => [l.slice(0, l.indexOf(' =')), l.slice(l.indexOf(' =') + 3)]));
}

describe('SmtpClientTls: what it renders and ships', () => {
  test('VERIFY with trusted CA files, a policy table and a client certificate', () => {
    const t = pki();
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', t, {
      smtpClient: { securityLevel: SmtpClientSecurityLevel.VERIFY, trustedCaFiles: [t.root.certPath, t.clientCa.certPath], policies: [POLICY], certificate: serverCert(t.serverEcdsa), profile: TlsProfile.MODERN },
    });
    Testing.synth(stack, true);
    expect(mainCf(server)).toMatchObject({
      smtp_tls_security_level: 'verify',
      smtp_tls_loglevel: '1',
      smtp_tls_CAfile: '/etc/postfix/tls/smtp-ca.pem',
      smtp_tls_chain_files: '/etc/postfix/tls/private/smtp-ecdsa.key.pem, /etc/postfix/tls/smtp-ecdsa.chain.pem',
      smtp_tls_mandatory_protocols: '>=TLSv1.3',
      smtp_tls_policy_maps: 'hash:/etc/postfix/tables/smtp_tls_policy',
    });
    const files = Object.fromEntries(server.files().map((f) => [f.containerPath, f]));
    // The two CA certificates, nothing else.
    expect(files['/etc/postfix/tls/smtp-ca.pem'].content).toBe(`${readFileSync(t.root.certPath, 'utf8').trim()}\n\n${readFileSync(t.clientCa.certPath, 'utf8').trim()}\n`);
    expect(files['/etc/postfix/tables/smtp_tls_policy'].content).toBe('[127.0.0.1]:35025 verify match=receiver.outpol.test protocols=>=TLSv1.3 ciphers=high\n');
    expect(files['/etc/postfix/tls/private/smtp-ecdsa.key.pem']).toEqual({ containerPath: '/etc/postfix/tls/private/smtp-ecdsa.key.pem', sourcePath: t.serverEcdsa.keyPath, secret: true });
    expect(files['/etc/postfix/tls/smtp-ecdsa.chain.pem'].content).not.toContain('PRIVATE KEY');
    // The server's own certificate keeps its paths.
    expect(files['/etc/postfix/tls/private/ecdsa.key.pem'].sourcePath).toBe(t.serverEcdsa.keyPath);
  });

  test('the loader uploads the policy table and the CA bundle, and the client key only by path', () => {
    const t = pki();
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', t, { smtpClient: { trustedCaFiles: [t.root.certPath], policies: [POLICY], certificate: serverCert(t.serverEcdsa) } });
    new DockerProvider(stack, 'docker', {});
    new PostfixContainer(stack, 'Box', { server, image: new PostfixImage(stack, 'Image') });
    const json = Testing.synth(stack, true);
    const containers = Object.values(JSON.parse(json).resource.docker_container) as { must_run: boolean; upload: { file: string; content?: string; source?: string }[] }[];
    const [loader] = containers.filter((c) => !c.must_run);
    const byFile = Object.fromEntries(loader.upload.map((u) => [u.file.replace(`${GENERATION_STAGING_DIRECTORY}/`, '/etc/postfix/'), u]));
    expect(byFile['/etc/postfix/tables/smtp_tls_policy'].content).toContain('[127.0.0.1]:35025 verify');
    expect(byFile['/etc/postfix/tls/smtp-ca.pem'].content).toContain('BEGIN CERTIFICATE');
    expect(byFile['/etc/postfix/tls/private/smtp-ecdsa.key.pem'].content).toBeUndefined();
    expect(byFile['/etc/postfix/tls/private/smtp-ecdsa.key.pem'].source).toBeDefined();
    expect(json).not.toContain('PRIVATE KEY');
  });

  test('trustSystemCas reads the image\'s system bundle and ships no CA file', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), { smtpClient: { securityLevel: SmtpClientSecurityLevel.SECURE, trustSystemCas: true } });
    Testing.synth(stack, true);
    expect(mainCf(server).smtp_tls_CAfile).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(server.files().map((f) => f.containerPath)).not.toContain('/etc/postfix/tls/smtp-ca.pem');
  });

  test('a deploy-time CA PEM (a token) becomes the CA file content', () => {
    const { stack } = newStack();
    const ca = new TerraformVariable(stack, 'ca', { type: 'string' }).stringValue;
    const server = buildServer(stack, 'mx', pki(), { smtpClient: { securityLevel: SmtpClientSecurityLevel.VERIFY, trustedCaPems: [ca] } });
    expect(mainCf(server).smtp_tls_CAfile).toBe('/etc/postfix/tls/smtp-ca.pem');
    expect(server.files().find((f) => f.containerPath === '/etc/postfix/tls/smtp-ca.pem')?.content).toBe(ca);
  });

  test('without a SmtpClientTls the outbound defaults stay, and additionalParameters may override them', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), { server: { additionalParameters: { smtp_tls_security_level: 'encrypt' } } });
    Testing.synth(stack, true);
    expect(mainCf(server)).toMatchObject({ smtp_tls_security_level: 'encrypt', smtp_tls_loglevel: '1' });
  });
});

describe('SmtpClientTls: place in the tree', () => {
  test('isSmtpClientTls tells it apart from other constructs', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki());
    const client = new SmtpClientTls(server, 'Outbound');
    expect(SmtpClientTls.isSmtpClientTls(client)).toBe(true);
    expect(SmtpClientTls.isSmtpClientTls(server.node.findChild('Tls') as TlsServer)).toBe(false);
    expect(SmtpClientTls.isSmtpClientTls(undefined)).toBe(false);
  });

  test('a server takes one SmtpClientTls, and it must be inside a server', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki(), { smtpClient: {} });
    expect(errorOf(() => new SmtpClientTls(server, 'Second')).message).toBe('[stack/mx/Second] server already has a SmtpClientTls (stack/mx/Outbound): a server takes one');
    expect(errorOf(() => new SmtpClientTls(stack, 'Loose')).message).toContain('[stack/Loose] SmtpClientTls must be created inside a PostfixServer');
  });

  test('a deploy-time destination is refused: the table is checked at synth', () => {
    const { stack } = newStack();
    const server = buildServer(stack, 'mx', pki());
    const variable = new TerraformVariable(stack, 'dest', { type: 'string' });
    expect(errorOf(() => new SmtpClientTls(server, 'Outbound', { policies: [{ destination: variable.stringValue, securityLevel: SmtpClientSecurityLevel.MAY }] })).message).toContain(
      '[stack/mx/Outbound] policies[0].destination is only known at deploy time',
    );
  });
});

describeIfPostconf('SmtpClientTls output read back by the real postconf', () => {
  test('every level with policies, CA and certificate: no warning, every parameter read back as rendered', () => {
    const t = pki();
    for (const securityLevel of Object.values(SmtpClientSecurityLevel)) {
      const { stack } = newStack();
      const server = buildServer(stack, 'mx', t, {
        smtpClient: { securityLevel, trustedCaFiles: [t.root.certPath], certificate: serverCert(t.serverRsa), policies: [POLICY, { destination: '.example.org', securityLevel: SmtpClientSecurityLevel.DANE }] },
      });
      Testing.synth(stack, true);
      const result = postconfCheck(server.render());
      expect([securityLevel, result.warnings]).toEqual([securityLevel, []]);
      expect(result.mainParameters).toEqual(mainCf(server));
    }
  });
});
