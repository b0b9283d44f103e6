import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { printTable } from './stats';
import { benchSynth } from './synth';

// `npm run bench`: medians over repeated runs, each against its baseline measured in the same run.
async function main(): Promise<void> {
  const counts = (process.env.BENCH_SERVERS ?? '1,100,1000').split(',').map(Number);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version };
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GiB, Node ${machine.node}`);

  const synth = await benchSynth(counts, (n) => (n >= 1000 ? 3 : 5));
  console.log('\nSynth: library constructs vs plain cdktf with the same docker resources and file contents');
  printTable(
    ['servers', 'runs', 'library ms', 'plain ms', 'ratio', 'library MB', 'plain MB'],
    synth.map((r) => [String(r.servers), String(r.runs), r.libraryMs.toFixed(0), r.plainMs.toFixed(0), (r.libraryMs / r.plainMs).toFixed(2), r.libraryMaxRssMb.toFixed(0), r.plainMaxRssMb.toFixed(0)]),
  );

  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ machine, synth }, null, 2)}\n`);
  console.log(`\nwrote ${join(dir, 'latest.json')}`);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
