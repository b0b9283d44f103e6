import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPki } from '../lib/pki/local-pki';
import { libraryApp, plainServersFrom } from './synth-library-app';
import type { BenchPki } from './synth-plain-app';
import { median } from './stats';

export interface SynthResult {
  readonly servers: number;
  readonly runs: number;
  readonly libraryMs: number;
  readonly plainMs: number;
  readonly libraryMaxRssMb: number;
  readonly plainMaxRssMb: number;
}

async function benchPki(dir: string): Promise<BenchPki> {
  const pki = new LocalPki(dir);
  await pki.ensureRootCa('root');
  await pki.ensureIntermediate('intermediate', 'root');
  const hostnames = ['*.bench.example.com'];
  const rsa = await pki.ensureServerCert('rsa', { issuer: 'intermediate', hostnames, algorithm: 'rsa' });
  const ecdsa = await pki.ensureServerCert('ecdsa', { issuer: 'intermediate', hostnames, algorithm: 'ecdsa' });
  const clientCa = await pki.ensureRootCa('client-ca');
  const client = await pki.ensureClientCert('client', { issuer: 'client-ca', commonName: 'relay.example.net' });
  return { rsaChain: rsa.chainPath, rsaKey: rsa.keyPath, ecdsaChain: ecdsa.chainPath, ecdsaKey: ecdsa.keyPath, clientCa: clientCa.certPath, clientCert: client.certPath };
}

function runWorker(mode: 'library' | 'plain', count: number, outdir: string, input: string): { ms: number; maxRssMb: number } {
  const out = execFileSync(
    process.execPath,
    [require.resolve('ts-node/dist/bin'), '--swc', '--transpile-only', join(__dirname, 'synth-worker.ts'), mode, String(count), outdir, input],
    { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' }, maxBuffer: 1 << 20 },
  );
  rmSync(outdir, { recursive: true, force: true });
  return JSON.parse(out);
}

/** Synth time and peak memory of N library servers versus the same resources in plain cdktf, interleaved. */
export async function benchSynth(counts: readonly number[], runsFor: (n: number) => number): Promise<SynthResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    const pki = await benchPki(join(work, 'pki'));
    const results: SynthResult[] = [];
    for (const count of counts) {
      // The baseline gets the library's file contents, computed here and not timed.
      const servers = plainServersFrom(libraryApp(join(work, 'prepare'), count, pki));
      const input = join(work, `input-${count}.json`);
      writeFileSync(input, JSON.stringify({ pki, servers }));
      const library: { ms: number; maxRssMb: number }[] = [];
      const plain: { ms: number; maxRssMb: number }[] = [];
      const runs = runsFor(count);
      for (let r = 0; r < runs; r++) {
        library.push(runWorker('library', count, join(work, `out-l-${r}`), input));
        plain.push(runWorker('plain', count, join(work, `out-p-${r}`), input));
      }
      results.push({
        servers: count,
        runs,
        libraryMs: median(library.map((x) => x.ms)),
        plainMs: median(plain.map((x) => x.ms)),
        libraryMaxRssMb: median(library.map((x) => x.maxRssMb)),
        plainMaxRssMb: median(plain.map((x) => x.maxRssMb)),
      });
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
