import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { printTable } from './stats';
import { benchSynth } from './synth';
import { benchTls, printTlsReport, tlsOptionsFromEnv } from './tls';

// `npm run bench`: medians over repeated runs, each against its baseline measured in the same run.
/** The library's synth may cost at most this much more than plain cdktf with the same resources. */
const SYNTH_RATIO_TARGET = 1.15;

// BENCH_ONLY=synth|tls runs one section and keeps the other section of an existing latest.json.
async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (only !== undefined && only !== 'synth' && only !== 'tls') throw new Error(`BENCH_ONLY=${only}: use synth or tls`);
  const counts = (process.env.BENCH_SERVERS ?? '1,100,1000').split(',').map(Number);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GiB, Node ${machine.node}`);

  const dir = join(__dirname, 'results');
  const file = join(dir, 'latest.json');
  const previous = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, unknown>;
  const results: Record<string, unknown> = { ...previous, machine };

  if (only !== 'tls') {
    // Small apps are cheap and noisy: more runs for a stable median.
    const synth = await benchSynth(counts, (n) => (n >= 1000 ? 3 : n >= 100 ? 7 : 11));
    console.log('\nSynth: library constructs vs plain cdktf with the same docker resources and file contents');
    printTable(
      ['servers', 'runs', 'library ms', 'plain ms', 'ratio', `target <= ${SYNTH_RATIO_TARGET}`, 'library MB', 'plain MB'],
      synth.map((r) => {
        const ratio = r.libraryMs / r.plainMs;
        return [String(r.servers), String(r.runs), r.libraryMs.toFixed(0), r.plainMs.toFixed(0), ratio.toFixed(2), ratio <= SYNTH_RATIO_TARGET ? 'met' : 'MISSED', r.libraryMaxRssMb.toFixed(0), r.plainMaxRssMb.toFixed(0)];
      }),
    );
    results.synth = synth;
  }

  if (only !== 'synth') {
    if (process.env.BENCH_TLS === '0') {
      console.log('\nTLS: skipped (BENCH_TLS=0)');
      results.tls = { skipped: 'BENCH_TLS=0' };
    } else {
      console.log('\nTLS: library defaults vs Debian default Postfix TLS, on Postfix 3.7 (Debian 12) and 3.10 (Debian 13), live containers on 127.0.0.1');
      const tls = await benchTls(tlsOptionsFromEnv());
      if ('skipped' in tls) {
        console.log(`!!! TLS benchmark SKIPPED: ${tls.skipped}`);
      } else {
        printTlsReport(tls);
      }
      results.tls = tls;
    }
  }

  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
