// npm run bench:engine — the cost of a whole decision (parse → rules → serialised response)
// as a ratio to a bare JSON.parse + JSON.stringify of the same body, both measured in this run,
// interleaved, so a noisy machine slows both alike. The ratio must stay under 3.
import { readFileSync } from 'node:fs';
import { handleReview } from '../src/admission/handle.js';
import { loadPolicyFile } from '../src/policy/load.js';

const policy = loadPolicyFile();
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PER_ROUND = Number(process.env.BENCH_ITERATIONS ?? 2000);
const LIMIT = 3;

const bodies = ['pod-create.json', 'deployment-update.json'].map((name) => ({
  name,
  text: readFileSync(new URL(`./reviews/${name}`, import.meta.url), 'utf8'),
}));

async function decide(text: string): Promise<string> {
  const outcome = await handleReview(JSON.parse(text), 'validate', { policy });
  return JSON.stringify(outcome.body);
}

function bare(text: string): string {
  return JSON.stringify(JSON.parse(text));
}

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) await fn();
  return Number(process.hrtime.bigint() - start) / PER_ROUND / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

let failed = false;
console.log(`engine benchmark: ${ROUNDS} rounds × ${PER_ROUND} iterations, median per round`);
for (const { name, text } of bodies) {
  const decided = JSON.parse(await decide(text));
  await time(() => bare(text));
  await time(() => decide(text));
  const bareUs: number[] = [];
  const decideUs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = await time(() => bare(text));
    const d = await time(() => decide(text));
    bareUs.push(b);
    decideUs.push(d);
    ratios.push(d / b);
  }
  const ratio = median(ratios);
  failed ||= ratio >= LIMIT;
  console.log(
    `${name.padEnd(24)} ${(text.length / 1024).toFixed(1)} KiB  allowed=${decided.response.allowed}  ` +
      `bare parse+stringify ${median(bareUs).toFixed(1)} µs  decision ${median(decideUs).toFixed(1)} µs  ` +
      `ratio ${ratio.toFixed(2)} (limit ${LIMIT})`,
  );
}
process.exitCode = failed ? 1 : 0;
