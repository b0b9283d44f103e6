import { readFileSync } from 'node:fs';
import { BenchPki, libraryApp, plainApp, PlainServer } from './synth-apps';

// One measured synth in a fresh process: `synth-worker MODE N OUTDIR INPUT.json`; prints JSON.
const [mode, count, outdir, input] = process.argv.slice(2);
const data = JSON.parse(readFileSync(input, 'utf8')) as { pki: BenchPki; servers: PlainServer[] };
const started = process.hrtime.bigint();
const app = mode === 'library' ? libraryApp(outdir, Number(count), data.pki) : plainApp(outdir, data.servers);
app.synth();
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
