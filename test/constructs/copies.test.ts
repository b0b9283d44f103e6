/**
 * Two copies of this library in one app (two versions installed side by side, sharing the app's cdktf
 * and constructs): constructs from one copy must find and join a server from the other, which
 * `instanceof` cannot do.
 */
import * as cdktf from 'cdktf';
import * as constructs from 'constructs';
import { PostfixServer, SessionCache, TlsServer } from '../../index';
import { newStack, serverCert, HOST, useTestPki } from '../helpers/fixtures';

const pki = useTestPki();

function secondCopy(): typeof import('../../index') {
  let copy: typeof import('../../index') | undefined;
  jest.isolateModules(() => {
    jest.doMock('cdktf', () => cdktf);
    jest.doMock('constructs', () => constructs);
    copy = require('../../index');
  });
  return copy as typeof import('../../index');
}

describe('two copies of the library in one app', () => {
  const other = secondCopy();

  test('the second copy really is another copy', () => {
    expect(other.PostfixServer).not.toBe(PostfixServer);
  });

  test('isPostfixServer recognises servers of either copy; instanceof does not', () => {
    const { stack } = newStack();
    const server = new other.PostfixServer(stack, 'mx', { hostname: HOST });
    expect(server instanceof PostfixServer).toBe(false);
    expect(PostfixServer.isPostfixServer(server)).toBe(true);
    expect(other.PostfixServer.isPostfixServer(new constructs.Construct(stack, 'Plain'))).toBe(false);
  });

  test('children from one copy join a server from the other and render into it', () => {
    const { stack } = newStack();
    const server = new other.PostfixServer(stack, 'mx', { hostname: HOST });
    const tls = new TlsServer(server, 'Tls', { certificates: [serverCert(pki().serverEcdsa)] });
    new SessionCache(server, 'Sessions', { timeoutSeconds: 600 });
    expect(PostfixServer.of(tls)).toBe(server);
    const { mainCf } = server.render();
    expect(mainCf).toContain('smtpd_tls_chain_files = /etc/postfix/tls/private/ecdsa.key.pem, /etc/postfix/tls/ecdsa.chain.pem');
    expect(mainCf).toContain('smtpd_tls_session_cache_timeout = 10m');
    expect(() => cdktf.Testing.synth(stack)).not.toThrow();
  });
});
