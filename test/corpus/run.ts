// `npm run corpus -- PATH`: `kube-hygiene check` over a folder of other people's manifests, which
// the repository does not hold. It must never crash, print nothing on stderr, and refuse as input
// errors only files kubectl refuses too. Prints the check's own summary line and exits non-zero
// when one of those fails.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npm run corpus -- PATH   (a folder of Kubernetes manifests)\n');
  process.exit(2);
}
const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const started = process.hrtime.bigint();
const run = spawnSync(process.execPath, [BIN, 'check', '-o', 'json', path], {
  encoding: 'utf8',
  maxBuffer: 1 << 28,
});
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const problems: string[] = [];
if (run.stderr) problems.push(`stderr: ${run.stderr}`);
if (run.status !== 0 && run.status !== 1 && run.status !== 2)
  problems.push(`exit ${run.status ?? run.signal}`);
let summary: Record<string, number> = {};
try {
  const out = JSON.parse(run.stdout) as { summary: Record<string, number>; errors: { message: string }[] };
  summary = out.summary;
  for (const e of out.errors)
    if (!/Map keys must be unique|kubectl reads/.test(e.message))
      problems.push(`input error kubectl accepts: ${e.message}`);
} catch {
  problems.push(`output is not JSON: ${run.stdout.slice(0, 200)}`);
}
process.stdout.write(
  `checked ${summary.documents} objects: ${summary.denied} denied, ${summary.warned} warned, ${summary.errors} input errors in ${Math.round(ms)} ms\n`,
);
for (const p of problems) process.stdout.write(`PROBLEM ${p}\n`);
process.exit(problems.length ? 1 : 0);
