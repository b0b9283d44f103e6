import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  ClientCertPolicy,
  ClientIdentity,
  PostfixServer,
  SaslBackend,
  SecurityLevel,
  SessionCache,
  SubmissionMode,
  SubmissionPort,
  TlsServer,
} from '../../index';
import { buildServer, errorOf, FIXED_FINGERPRINTS, HOST, mainCfLines, masterService, newStack, serverCert, useTestPki } from '../helpers/fixtures';

const pki = useTestPki();

describe('a PostfixServer composed of its children', () => {
  test('renders the parameters of TlsServer, ClientCertPolicy, SessionCache and SubmissionPort together', () => {
    const { stack } = newStack();
    const mx = new PostfixServer(stack, 'mx', { hostname: HOST, sasl: SaslBackend.dovecot() });
    new TlsServer(mx, 'Tls', { certificates: [serverCert(pki().serverEcdsa), serverCert(pki().serverRsa)] });
    new ClientCertPolicy(mx, 'ClientCerts', {
      trustedCaFiles: [pki().clientCa.certPath],
      relayClients: [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay.example.net')],
    });
    new SessionCache(mx, 'Sessions', { timeoutSeconds: 1800 });
    new SubmissionPort(mx, 'Submission');
    new SubmissionPort(mx, 'Submissions', { mode: SubmissionMode.WRAPPER });

    const { mainCf, masterCf, tables } = mx.render();
    expect(mainCfLines(mainCf)).toEqual(
      expect.arrayContaining([
        'myhostname = mx.example.com',
        'smtpd_tls_chain_files = /etc/postfix/tls/private/ecdsa.key.pem, /etc/postfix/tls/ecdsa.chain.pem, /etc/postfix/tls/private/rsa.key.pem, /etc/postfix/tls/rsa.chain.pem',
        'smtpd_tls_security_level = may',
        'smtpd_tls_CAfile = /etc/postfix/tls/client-ca.pem',
        'smtpd_tls_ask_ccert = yes',
        'relay_clientcerts = hash:/etc/postfix/tables/relay_clientcerts',
        'smtpd_relay_restrictions = permit_tls_clientcerts, reject_unauth_destination',
        'smtpd_tls_session_cache_timeout = 30m',
        'smtpd_sasl_type = dovecot',
        'smtpd_sasl_path = private/auth',
      ]),
    );
    // Postfix 3.10, the default: the smtpd services offer the post-quantum group first.
    expect(masterService(masterCf, 'smtp')).toEqual(['smtp       inet  n       -       n       -       -       smtpd', '-o tls_eecdh_auto_curves=X25519MLKEM768,X25519,X448,prime256v1,secp384r1,secp521r1']);
    expect(masterService(masterCf, 'submission')).toEqual(expect.arrayContaining(['-o smtpd_tls_security_level=encrypt', '-o smtpd_sasl_auth_enable=yes']));
    expect(masterService(masterCf, 'submissions')).toEqual(expect.arrayContaining(['-o smtpd_tls_wrappermode=yes']));
    expect(tables).toEqual([{ path: '/etc/postfix/tables/relay_clientcerts', content: `${FIXED_FINGERPRINTS.relay} relay.example.net\n` }]);
  });

  test('a server without a TlsServer is refused at synth, naming the server', () => {
    const { stack } = newStack();
    const mx = new PostfixServer(stack, 'mx', { hostname: HOST });
    expect(() => Testing.synth(stack)).toThrow(/^\[stack\/mx\] \[server-without-tls\] the server has no TlsServer: add one as its child/);
    expect(() => mx.render()).toThrow(/\[server-without-tls\]/);
  });

  test('a server with TLS explicitly off renders without TLS parameters', () => {
    const { stack } = newStack();
    const mx = new PostfixServer(stack, 'mx', { hostname: HOST, publicMx: false });
    new TlsServer(mx, 'Tls', { securityLevel: SecurityLevel.NONE });
    const { mainCf } = mx.render();
    expect(mainCf).toContain('myhostname = mx.example.com');
    expect(mainCf).toContain('smtpd_tls_security_level = none');
    expect(mainCf).not.toMatch(/^smtpd_tls_(chain_files|cert_file|CAfile)/m);
  });

  test('children may sit deeper in the tree: PostfixServer.of finds the nearest server above', () => {
    const { stack } = newStack();
    const mx = new PostfixServer(stack, 'mx', { hostname: HOST });
    const group = new Construct(mx, 'Group');
    const tls = new TlsServer(group, 'Tls', { certificates: [serverCert(pki().serverEcdsa)] });
    expect(PostfixServer.of(tls)).toBe(mx);
    expect(mx.render().mainCf).toContain('smtpd_tls_chain_files = /etc/postfix/tls/private/ecdsa.key.pem, /etc/postfix/tls/ecdsa.chain.pem');
  });

  test('the spec of a server reflects its children', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki(), { sessionCache: {}, submissions: [{}] });
    const spec = mx._model();
    expect(spec.id).toBe('stack/mx');
    expect(spec.tls?.certificates.map((c) => c.algorithm)).toEqual(['ecdsa']);
    expect(spec.sessionCache).toEqual({ database: undefined, timeoutSeconds: undefined, alwaysIssueSessionIds: undefined });
    expect(spec.submissions.map((s) => s.id)).toEqual(['stack/mx/Submission0']);
    expect(mx.listeners()).toEqual([
      { port: 25, address: undefined, implicitTls: false },
      { port: 587, address: undefined, implicitTls: false },
    ]);
  });
});

describe('children outside a PostfixServer', () => {
  const children: [string, (scope: Construct) => unknown][] = [
    ['TlsServer', (scope) => new TlsServer(scope, 'Child', { certificates: [serverCert(pki().serverEcdsa)] })],
    ['ClientCertPolicy', (scope) => new ClientCertPolicy(scope, 'Child', {})],
    ['SessionCache', (scope) => new SessionCache(scope, 'Child', {})],
    ['SubmissionPort', (scope) => new SubmissionPort(scope, 'Child', {})],
  ];

  test.each(children)('%s directly in a stack is refused with its path and how to fix it', (kind, create) => {
    const { stack } = newStack();
    expect(errorOf(() => create(stack)).message).toBe(
      `[stack/Child] ${kind} must be created inside a PostfixServer: pass the server as its scope`,
    );
  });

  test.each(children)('%s inside another construct that is not under a server is refused', (kind, create) => {
    const { stack } = newStack();
    const group = new Construct(stack, 'Group');
    expect(errorOf(() => create(group)).message).toMatch(new RegExp(`^\\[stack/Group/Child\\] ${kind} must be created inside a PostfixServer`));
  });
});

describe('one child of each singular kind per server', () => {
  test('a second TlsServer is refused, naming the first', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki());
    const e = errorOf(() => new TlsServer(mx, 'Tls2', { certificates: [serverCert(pki().serverRsa)] }));
    expect(e.message).toBe('[stack/mx/Tls2] server already has a TlsServer (stack/mx/Tls): a server takes one');
  });

  test('a second ClientCertPolicy is refused', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki(), { clientCerts: {} });
    expect(errorOf(() => new ClientCertPolicy(mx, 'More', {})).message).toBe(
      '[stack/mx/More] server already has a ClientCertPolicy (stack/mx/ClientCerts): a server takes one',
    );
  });

  test('a second SessionCache is refused', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki(), { sessionCache: {} });
    expect(errorOf(() => new SessionCache(mx, 'More', {})).message).toBe(
      '[stack/mx/More] server already has a SessionCache (stack/mx/Sessions): a server takes one',
    );
  });

  test('several SubmissionPorts are allowed and each becomes a master.cf service', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki(), {
      submissions: [{}, { mode: SubmissionMode.WRAPPER }, { port: 2587, listenAddress: '127.0.0.1' }],
    });
    const { masterCf } = mx.render();
    expect(masterService(masterCf, 'submission')).toBeDefined();
    expect(masterService(masterCf, 'submissions')).toBeDefined();
    expect(masterService(masterCf, '127.0.0.1:2587')).toBeDefined();
  });

  test('a child added after the server was rendered is refused instead of silently missing from the output', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki());
    mx.render();
    expect(errorOf(() => new SessionCache(mx, 'Late')).message).toBe(
      '[stack/mx/Late] server stack/mx was already rendered (by synth or a call to render(), files() or listeners()): create its children first',
    );
  });
});

describe('several servers in one stack', () => {
  test('each renders independently: own hostname, header, certificates, TLS level, services and tables', () => {
    const { stack } = newStack();
    const mx = buildServer(stack, 'mx', pki(), {
      clientCerts: { trustedCaFiles: [pki().clientCa.certPath], relayClients: [ClientIdentity.fromFingerprint(FIXED_FINGERPRINTS.relay, 'relay')] },
      submissions: [{}],
    });
    const internal = buildServer(stack, 'internal', pki(), {
      server: { hostname: 'other.example.org', publicMx: false, smtpPort: 2525, trustedNetworks: ['192.0.2.0/24'] },
      tls: { certificates: [serverCert(pki().bad.otherHost)], securityLevel: SecurityLevel.ENCRYPT },
    });
    const a = mx.render();
    const b = internal.render();

    expect(a.mainCf).toContain('# Rendered by postfix-tls-cdktf for server stack/mx;');
    expect(b.mainCf).toContain('# Rendered by postfix-tls-cdktf for server stack/internal;');
    expect(mainCfLines(a.mainCf)).toEqual(expect.arrayContaining(['myhostname = mx.example.com', 'smtpd_tls_security_level = may']));
    expect(mainCfLines(b.mainCf)).toEqual(
      expect.arrayContaining(['myhostname = other.example.org', 'smtpd_tls_security_level = encrypt', 'mynetworks = 192.0.2.0/24']),
    );
    expect(a.mainCf).toContain('relay_clientcerts = ');
    expect(b.mainCf).not.toContain('relay_clientcerts');
    expect(b.mainCf).not.toContain('smtpd_sasl_type');
    expect(a.mainCf).not.toContain('mynetworks');
    expect(a.tables).toHaveLength(1);
    expect(b.tables).toHaveLength(0);
    expect(masterService(a.masterCf, 'smtp')).toBeDefined();
    expect(masterService(a.masterCf, 'submission')).toBeDefined();
    expect(masterService(b.masterCf, '2525')).toBeDefined();
    expect(masterService(b.masterCf, 'submission')).toBeUndefined();
    expect(internal.files().map((f) => f.containerPath)).not.toContain('/etc/postfix/tables/relay_clientcerts');
  });

  test('the stack with both servers synthesizes with validations, and an invalid one does not break the other', () => {
    const { stack } = newStack();
    const good = buildServer(stack, 'good', pki());
    const bad = buildServer(stack, 'bad', pki(), { tls: { certificates: [serverCert(pki().serverEcdsa)], securityLevel: SecurityLevel.ENCRYPT } });
    expect(good.render().mainCf).toContain('smtpd_tls_security_level = may');
    expect(() => bad.render()).toThrow(/^\[stack\/bad\] server stack\/bad cannot be rendered/);
    const e = errorOf(() => Testing.synth(stack, true));
    expect(e.message).toContain('[stack/bad] [tls-required-on-public-mx]');
    expect(e.message).not.toContain('[stack/good]');
  });
});
