import { readFileSync } from 'node:fs';
import type { App } from 'cdktf';
import type { BenchPki, PlainServer } from './synth-plain-app';

// One measured synth in a fresh process: `synth-worker MODE N OUTDIR INPUT.json`; prints JSON. The clock
// starts before the library (or, for the baseline, cdktf and the provider) is loaded, as `cdktf synth`
// pays that too.
const started = process.hrtime.bigint();
const [mode, count, outdir, input] = process.argv.slice(2);
const data = JSON.parse(readFileSync(input, 'utf8')) as { pki: BenchPki; servers: PlainServer[] };
const app: App =
  mode === 'library'
    ? (require('./synth-library-app') as typeof import('./synth-library-app')).libraryApp(outdir, Number(count), data.pki)
    : (require('./synth-plain-app') as typeof import('./synth-plain-app')).plainApp(outdir, data.servers);
app.synth();
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
