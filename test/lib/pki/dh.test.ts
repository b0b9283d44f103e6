/** DH parameters, checked with openssl dhparam / pkeyparam / genpkey. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../lib/diagnostics';
import { ensureCustomDhParams, ffdheGroupPem, primeBitsOf } from '../../../lib/pki/dh';
import { openssl, opensslStatus, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('dh');
});
afterAll(() => tmp.cleanup());

describe('ffdheGroupPem', () => {
  test.each([2048, 3072, 4096] as const)('ffdhe%i is the RFC 7919 group as OpenSSL knows it', (bits) => {
    const pem = ffdheGroupPem(bits);
    const file = join(tmp.dir, `ffdhe${bits}.pem`);
    writeFileSync(file, pem);
    expect(opensslStatus(['dhparam', '-in', file, '-check', '-noout'])).toEqual({ ok: true, out: 'DH parameters appear to be ok.\n' });
    expect(openssl(['pkeyparam', '-in', file, '-text', '-noout'])).toMatch(new RegExp(`GROUP: ffdhe${bits}\\b`));
    expect(openssl(['dhparam', '-in', file, '-text', '-noout'])).toMatch(new RegExp(`\\(${bits} bit\\)[\\s\\S]*GROUP: ffdhe${bits}`));
    // Byte-identical to what OpenSSL writes for the named group.
    expect(openssl(['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:ffdhe${bits}`])).toBe(pem);
    expect(primeBitsOf(pem)).toBe(bits);
  });

  test('other sizes are refused', () => {
    expect(() => ffdheGroupPem(1024 as never)).toThrow(ConfigError);
  });
});

describe('ensureCustomDhParams', () => {
  test('generates once (a safe prime OpenSSL accepts), then reuses the file untouched', () => {
    const path = join(tmp.dir, 'sub', 'dh1024.pem');
    const first = ensureCustomDhParams(path, 1024, { allowWeak: true });
    expect(first).toMatchObject({ path, bits: 1024, cached: false });
    expect(first.generationMs).toBeGreaterThan(0);
    expect(opensslStatus(['dhparam', '-in', path, '-check', '-noout'])).toEqual({ ok: true, out: 'DH parameters appear to be ok.\n' });
    expect(openssl(['dhparam', '-in', path, '-text', '-noout'])).toMatch(/\(1024 bit\)[\s\S]*G:\s+2 \(0x2\)/);
    const before = { bytes: readFileSync(path, 'utf8'), mtime: statSync(path).mtimeMs };
    const second = ensureCustomDhParams(path, 1024, { allowWeak: true });
    expect(second).toEqual({ path, bits: 1024, generationMs: 0, cached: true });
    expect({ bytes: readFileSync(path, 'utf8'), mtime: statSync(path).mtimeMs }).toEqual(before);
  });

  test('a file of another size, or garbage, is replaced', () => {
    const path = join(tmp.dir, 'dh.pem');
    writeFileSync(path, ffdheGroupPem(2048));
    const r = ensureCustomDhParams(path, 768, { allowWeak: true });
    expect(r.cached).toBe(false);
    expect(primeBitsOf(readFileSync(path, 'utf8'))).toBe(768);
    writeFileSync(path, 'not a pem');
    expect(ensureCustomDhParams(path, 768, { allowWeak: true }).cached).toBe(false);
  });

  test('fewer than 2048 bits are refused without allowWeak, with the reason and the alternative', () => {
    const path = join(tmp.dir, 'weak.pem');
    expect(() => ensureCustomDhParams(path, 1024)).toThrow(/too weak for production[\s\S]*RFC 7919/);
    expect(() => ensureCustomDhParams(path, 256, { allowWeak: true })).toThrow(ConfigError);
    expect(existsSync(path)).toBe(false);
  });
});
