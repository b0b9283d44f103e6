import '../helpers/fast-check-seed';
import fc from 'fast-check';
import { SocketClaims } from '../../lib/networks';

// An oracle written independently of lib/networks: the URL parser canonicalises IPv6 spellings.
function canonical(address: string | undefined): { family?: 4 | 6; any: boolean; text: string } {
  if (address === undefined || address === '*') return { any: true, text: '*' };
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bare)) return { family: 4, any: bare === '0.0.0.0', text: bare };
  if (bare.includes(':')) {
    const text = new URL(`http://[${bare}]/`).hostname;
    return { family: 6, any: text === '[::]', text };
  }
  return { any: false, text: bare.toLowerCase() };
}
function overlapsPairwise(a: string | undefined, b: string | undefined): boolean {
  const x = canonical(a);
  const y = canonical(b);
  if (x.text === '*' || y.text === '*' || x.text === y.text) return true;
  return x.family !== undefined && x.family === y.family && (x.any || y.any);
}

const SPELLINGS = [undefined, '*', '0.0.0.0', '127.0.0.1', '127.0.0.2', '::', '[::]', '0:0::0', '::1', '[::1]', '0:0:0:0:0:0:0:1', '2001:db8::1', '2001:DB8:0::1', 'mx.example.com', 'MX.example.com'];

describe('SocketClaims', () => {
  test('reports the earliest earlier claim that overlaps, as a pairwise comparison does', () => {
    const claim = fc.record({ port: fc.constantFrom(25, 587), address: fc.constantFrom(...SPELLINGS) });
    fc.assert(
      fc.property(fc.array(claim, { maxLength: 12 }), (claims) => {
        const index = new SocketClaims<number>();
        claims.forEach((mine, i) => {
          const expected = claims.findIndex((other, j) => j < i && other.port === mine.port && overlapsPairwise(other.address, mine.address));
          expect(index.claim(mine.port, mine.address, i)).toBe(expected < 0 ? undefined : expected);
        });
      }),
      { numRuns: 500 },
    );
  });

  test('a port is claimed independently of the others', () => {
    const index = new SocketClaims<string>();
    expect(index.claim(25, '*', 'smtp')).toBeUndefined();
    expect(index.claim(587, '127.0.0.1', 'submission')).toBeUndefined();
    expect(index.claim(25, '::1', 'other')).toBe('smtp');
  });
});
