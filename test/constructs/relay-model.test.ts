/**
 * Issue 9 part 1, reproduced through the constructs: each configuration that made a live server relay for
 * 127.0.0.2 now stops synth with the prop and the fix; trusted networks behind Docker's proxy are warned about.
 */
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing } from 'cdktf';
import { PostfixContainer, PostfixImage } from '../../index';
import { buildServer, errorOf, fullSynthAnnotations, newStack, ServerParts, useTestPki } from '../helpers/fixtures';

const pki = useTestPki();

function synthError(parts: ServerParts): string {
  const { stack } = newStack();
  buildServer(stack, 'mx', pki(), parts);
  return errorOf(() => Testing.synth(stack, true)).message;
}

describe('open-relay configurations are refused at synth', () => {
  test.each([
    [{ server: { trustedNetworks: ['0.0.0.0/0', '[::]/0'] } }, ['[stack/mx] [trusted-network-too-broad]', '"0.0.0.0/0"', '"[::]/0"', 'trustedNetworks']],
    [{ server: { additionalParameters: { relay_domains: 'static:ALL' } } }, ['[stack/mx] [relay-parameter]', 'relay_domains = "static:ALL"', 'localDomains']],
    [{ server: { additionalParameters: { smtpd_authorized_xclient_hosts: '0.0.0.0/0' } } }, ['[relay-parameter]', 'XCLIENT', 'trustedNetworks']],
    [{ server: { additionalParameters: { smtpd_upstream_proxy_protocol: 'haproxy' } } }, ['[relay-parameter]', 'PROXY header', 'hostNetwork']],
    [{ server: { additionalParameters: { smtpd_sasl_auth_enable: 'yes' } } }, ['[relay-parameter]', 'port 25', 'saslAuthentication']],
    [{ server: { additionalParameters: { import_environment: 'MAIL_CONFIG=/tmp' } } }, ['[relay-parameter]', 'import_environment']],
    [{ server: { additionalParameters: { smtpd_recipient_restrictions: 'permit' } } }, ['[relay-parameter]', 'static:, cidr:, pcre:, tcp:']],
    [{ server: { additionalParameters: { smtpd_client_restrictions: 'check_client_access cidr:/etc/postfix/open' } } }, ['[relay-parameter]', 'smtpd_client_restrictions']],
  ] as [ServerParts, string[]][])('%j', (parts, shows) => {
    const message = synthError(parts);
    for (const text of shows) expect(message).toContain(text);
  });
});

describe('trusted networks and the Docker proxy', () => {
  const build = (hostNetwork: boolean, trustedNetworks: string[]) => {
    const { app, stack } = newStack();
    new DockerProvider(stack, 'docker');
    const server = buildServer(stack, 'mx', pki(), { server: { trustedNetworks, publicMx: false } });
    new PostfixContainer(stack, 'Box', { server, image: new PostfixImage(stack, 'Image'), hostNetwork });
    return fullSynthAnnotations(app).filter((a) => a.message.includes('[trusted-networks-behind-docker-proxy]'));
  };

  test('published ports with trustedNetworks: warned on the container, naming the networks and hostNetwork', () => {
    const warnings = build(false, ['10.1.0.0/16']);
    expect(warnings).toEqual([{ constructPath: 'stack/Box', level: '@cdktf/warn', message: expect.stringContaining('10.1.0.0/16') }]);
    expect(warnings[0].message).toContain('hostNetwork: true');
  });

  test('host networking, or no trusted networks: no warning', () => {
    expect(build(true, ['10.1.0.0/16'])).toEqual([]);
    expect(build(false, [])).toEqual([]);
  });

  test('a public trusted range is a warning on the server, not an error', () => {
    const { app, stack } = newStack();
    buildServer(stack, 'mx', pki(), { server: { trustedNetworks: ['8.8.8.0/24'] } });
    const warnings = fullSynthAnnotations(app).filter((a) => a.message.includes('[trusted-network-public]'));
    expect(warnings).toEqual([{ constructPath: 'stack/mx', level: '@cdktf/warn', message: expect.stringContaining('"8.8.8.0/24"') }]);
  });
});
