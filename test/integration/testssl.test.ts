/**
 * testssl.sh 3.2 (Debian 13's `testssl`, on OpenSSL 3.5, in the test-tools image with host networking) against
 * the 587 (STARTTLS) and 465 (implicit TLS) ports of an intermediate-profile server shaped like the example: dual
 * RSA + ECDSA certificates through an intermediate, SASL on both submission ports. Ports 25000-25999.
 *
 * testssl runs offline (`--nodns none`, `--ip 127.0.0.1`, no `--phone-out`) with only the checks asserted
 * here: protocols (-p), cipher categories (-s), forward secrecy with the key exchange groups (-f) and
 * vulnerabilities (-U). Both ports run in parallel.
 */
import { readFileSync } from 'node:fs';
import { PostfixVersion, SaslBackend, ServerCertificate, SubmissionMode, SubmissionPort, TlsProfile, TlsServer } from '../../index';
import { checkTestToolsImage, describeWithDocker, TEST_TOOLS_IMAGE } from './docker-available';
import { run } from './harness';
import { LOOPBACK, postfixWarnings, LiveStack, TempDir, TEST_POSTFIX_VERSION, testContainer, TestPki, testServer } from './stacks';

const SERVER = { name: 'pfit-testssl-msa', submission: 25587, submissions: 25465, host: 'msa.testssl.test' };

interface Finding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
}

/**
 * Vulnerability ids testssl 3.2 reports for a TLS service. BREACH is HTTP only; ticketbleed is only run
 * on implicit-TLS ports (testssl skips it under --starttls).
 */
const VULNERABILITIES = [
  'heartbleed', 'CCS', 'ROBOT', 'secure_renego', 'secure_client_renego', 'CRIME_TLS', 'POODLE_SSL',
  'fallback_SCSV', 'SWEET32', 'FREAK', 'DROWN', 'LOGJAM', 'BEAST', 'LUCKY13', 'RC4',
];

/** Runs testssl in the test-tools image; its JSON goes to `directory`/`jsonName` (mounted at /out). */
async function testssl(port: number, directory: string, jsonName: string, starttls: boolean): Promise<Map<string, Finding>> {
  const args = [
    '--quiet', '--color', '0', '--warnings', 'batch', '--nodns', 'none', '--ip', LOOPBACK,
    '--connect-timeout', '10', '--openssl-timeout', '10',
    ...(starttls ? ['--starttls', 'smtp'] : []),
    '-p', '-s', '-f', '-U',
    '--jsonfile', `/out/${jsonName}`,
    `${LOOPBACK}:${port}`,
  ];
  const result = await run('docker', ['run', '--rm', '--network', 'host', '-v', `${directory}:/out`, TEST_TOOLS_IMAGE, 'testssl', ...args], { timeoutMs: 500_000 });
  let findings: Finding[];
  try {
    findings = JSON.parse(readFileSync(`${directory}/${jsonName}`, 'utf8')) as Finding[];
  } catch (e) {
    throw new Error(`testssl wrote no JSON (exit ${result.code}): ${(e as Error).message}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`);
  }
  const scanProblem = findings.find((f) => f.id === 'scanProblem' || f.severity === 'FATAL');
  if (scanProblem) throw new Error(`testssl could not scan port ${port}: ${scanProblem.finding}`);
  return new Map(findings.map((f) => [f.id, f]));
}

describeWithDocker('testssl.sh against the submission ports (live Postfix)', () => {
  const tmp = new TempDir('testssl');
  const live = new LiveStack(tmp);
  const results = new Map<string, Map<string, Finding>>();

  beforeAll(async () => {
    checkTestToolsImage();
    const pki = new TestPki(`${tmp.path}/pki`);
    await pki.root('testssl-root');
    await pki.intermediate('testssl-intermediate', 'testssl-root');
    const rsa = await pki.server('testssl-rsa', 'testssl-intermediate', [SERVER.host], 'rsa');
    const ecdsa = await pki.server('testssl-ecdsa', 'testssl-intermediate', [SERVER.host], 'ecdsa');
    const credentials = tmp.file('credentials', `user pw-${Date.now()}\n`);
    await live.start('testssl', (stack, image) => {
      const msa = testServer(stack, 'msa', { hostname: SERVER.host, smtpService: false, publicMx: false, sasl: SaslBackend.cyrusSasldb(credentials) });
      new TlsServer(msa, 'Tls', {
        certificates: [
          ServerCertificate.fromFiles({ chainFile: ecdsa.chainPath, keyFile: ecdsa.keyPath }),
          ServerCertificate.fromFiles({ chainFile: rsa.chainPath, keyFile: rsa.keyPath }),
        ],
        profile: TlsProfile.INTERMEDIATE,
      });
      new SubmissionPort(msa, 'Submission', { mode: SubmissionMode.STARTTLS, port: SERVER.submission, listenAddress: LOOPBACK });
      new SubmissionPort(msa, 'Submissions', { mode: SubmissionMode.WRAPPER, port: SERVER.submissions, listenAddress: LOOPBACK });
      testContainer(stack, msa, image, SERVER.name);
    });
    const [starttls, implicit] = await Promise.all([
      testssl(SERVER.submission, tmp.path, '587.json', true),
      testssl(SERVER.submissions, tmp.path, '465.json', false),
    ]);
    results.set('587', starttls);
    results.set('465', implicit);
  }, 600_000);


  describe.each(['587', '465'])('port %s', (port) => {
    const get = (id: string): Finding => {
      const finding = results.get(port)?.get(id);
      if (!finding) throw new Error(`testssl reported no "${id}" for port ${port}`);
      return finding;
    };

    test('protocols: no SSLv2, SSLv3, TLS 1.0, TLS 1.1; TLS 1.2 and TLS 1.3 offered', () => {
      for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) expect(get(id).finding).toMatch(/^not offered/);
      for (const id of ['TLS1_2', 'TLS1_3']) expect(get(id).finding).toMatch(/^offered/);
    });

    // testssl 3.2's cipher classes: OBSOLETED is 3.0's AVERAGE (CBC), STRONG_FS / STRONG_NOFS split 3.0's STRONG.
    test('cipher classes: no NULL, anonymous (aNULL), EXPORT, LOW (incl. RC4/DES), 3DES/IDEA, obsolete CBC or AEAD without forward secrecy; strong AEAD with FS offered', () => {
      for (const id of ['cipherlist_NULL', 'cipherlist_aNULL', 'cipherlist_EXPORT', 'cipherlist_LOW', 'cipherlist_3DES_IDEA', 'cipherlist_OBSOLETED', 'cipherlist_STRONG_NOFS']) {
        expect([id, get(id).finding]).toEqual([id, 'not offered']);
      }
      expect(get('cipherlist_STRONG_FS').finding).toMatch(/^offered/);
    });

    test(`forward secrecy: ${TEST_POSTFIX_VERSION === PostfixVersion.V3_10 ? 'the post-quantum KEM X25519MLKEM768 offered, and' : 'no post-quantum KEM on 3.7;'} X25519 among the classic groups`, () => {
      expect(get('FS').finding).toMatch(/^offered/);
      expect(get('FS_ECDHE_curves').finding.split(' ')).toContain('X25519');
      if (TEST_POSTFIX_VERSION === PostfixVersion.V3_10) expect(get('FS_KEMs').finding.split(' ')).toContain('X25519MLKEM768');
      else expect(results.get(port)?.has('FS_KEMs')).toBe(false);
    });

    test('known vulnerabilities are reported not vulnerable', () => {
      for (const id of [...VULNERABILITIES, ...(port === '465' ? ['ticketbleed'] : [])]) {
        const finding = get(id);
        expect([id, finding.severity]).toEqual([id, expect.stringMatching(/^(OK|INFO)$/)]);
        // testssl writes "VULNERABLE" / "potentially VULNERABLE" in capitals; "not vulnerable" otherwise.
        expect([id, finding.finding]).not.toEqual([id, expect.stringMatching(/VULNERABLE|potentially/)]);
      }
    });
  });
  test('Postfix and the entrypoint logged no warning about the rendered configuration', async () => {
    const warnings = await postfixWarnings(live.harness);
    for (const [container, lines] of Object.entries(warnings)) expect([container, lines]).toEqual([container, []]);
  });
});
