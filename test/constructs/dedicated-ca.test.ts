/**
 * Issue 9 part 2: permitAllClientCertificates only with a dedicated CA. A CA of the system trust store is
 * refused unless declared dedicated; trust hierarchies are counted, not PEM blocks; an intermediate
 * without its root is refused because Postfix would never trust it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { buildServer, errorOf, newStack, ServerParts, useTestPki } from '../helpers/fixtures';

const pki = useTestPki();
const ISRG_ROOT = '/etc/ssl/certs/ISRG_Root_X1.pem';
const describeIfStore = existsSync('/etc/ssl/certs/ca-certificates.crt') && existsSync(ISRG_ROOT) ? describe : describe.skip;

function synth(parts: ServerParts): void {
  const { stack } = newStack();
  buildServer(stack, 'mx', pki(), parts);
  Testing.synth(stack, true);
}

describeIfStore('CAs of the system trust store', () => {
  test('ISRG Root X1 with permitAllClientCertificates is refused, naming the CA and dedicatedCa', () => {
    const message = errorOf(() => synth({ clientCerts: { trustedCaFiles: [ISRG_ROOT], permitAllClientCertificates: true } })).message;
    expect(message).toContain('[stack/mx] [permit-all-clientcerts-public-ca]');
    expect(message).toContain('ISRG Root X1');
    expect(message).toContain('dedicatedCa: true');
  });

  test('the same CA given as a literal PEM (trustedCaPems) is refused too', () => {
    const message = errorOf(() => synth({ clientCerts: { trustedCaPems: [readFileSync(ISRG_ROOT, 'utf8')], permitAllClientCertificates: true } })).message;
    expect(message).toContain('[permit-all-clientcerts-public-ca]');
  });

  test('declared dedicated, it renders', () => {
    expect(() => synth({ clientCerts: { trustedCaFiles: [ISRG_ROOT], permitAllClientCertificates: true, dedicatedCa: true } })).not.toThrow();
  });

  test('the test PKI\'s own client CA is not in the store: it renders without the declaration', () => {
    expect(() => synth({ clientCerts: { trustedCaFiles: [pki().clientCa.certPath], permitAllClientCertificates: true } })).not.toThrow();
  });

  test('relayClients with a system-store CA is no permit-all: no refusal', () => {
    expect(() => synth({ clientCerts: { trustedCaFiles: [ISRG_ROOT], relayClients: [] } })).not.toThrow();
  });
});

describe('trust hierarchies, not PEM blocks', () => {
  test('an intermediate alone is refused: Postfix verifies no client through it', () => {
    const t = pki();
    const message = errorOf(() => synth({ clientCerts: { trustedCaFiles: [t.intermediate.certPath], permitAllClientCertificates: true } })).message;
    expect(message).toContain('[stack/mx] [ca-without-root]');
    expect(message).toContain('partial-chain');
    expect(message).toContain('trustedCaFiles');
  });

  test('what the refusal rests on, with the real openssl: without partial-chain verification a client under the intermediate only verifies when the root is trusted too', () => {
    const t = pki();
    const verify = (...trusted: string[]): string => {
      try {
        return execFileSync('openssl', ['verify', '-purpose', 'sslclient', ...trusted.flatMap((f) => ['-trusted', f]), t.bad.clientOnly.chainFile], { encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
      }
    };
    expect(verify(t.intermediate.certPath)).toContain('unable to get issuer certificate');
    expect(verify(t.intermediate.certPath, t.root.certPath)).toContain(': OK');
  });

  test('the intermediate with its root is one hierarchy: accepted for permitAllClientCertificates', () => {
    const t = pki();
    expect(() => synth({ clientCerts: { trustedCaFiles: [t.intermediate.certPath, t.root.certPath], permitAllClientCertificates: true } })).not.toThrow();
  });

  test('two unrelated roots are two hierarchies: refused', () => {
    const t = pki();
    const message = errorOf(() => synth({ clientCerts: { trustedCaFiles: [t.clientCa.certPath, t.otherClientCa.certPath], permitAllClientCertificates: true } })).message;
    expect(message).toContain('with 2 trust hierarchies');
  });
});
