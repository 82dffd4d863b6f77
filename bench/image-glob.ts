// npm run bench:glob — exemptImages globs against images a Pod author controls. Matching an
// image ten times longer must cost about ten times as much (linear), never a hundred
// (the quadratic blow-up of a backtracking `.*\/acme\/.*`). Prints the growth ratio per glob.
import { compileImageGlobs } from '../src/images/image-glob.js';

const SHORT = 20_000;
const ROUNDS = 7;
const LIMIT = 30; // linear ≈ 10 (noise on a shared machine reaches 20); quadratic ≈ 100

// Each image passes the glob's literal prefix and suffix checks, so the whole image is walked.
const cases: [glob: string, image: (length: number) => string][] = [
  ['**/acme/**/api', (n) => 'a/acme/'.repeat(n / 7) + 'api'],
  ['**/acme/**/api', (n) => 'a/acne/'.repeat(n / 7) + '/api'],
  ['**a**a**a**b', (n) => 'b'.repeat(n)],
  ['ghcr.io/acme/*-exporter:*', (n) => 'ghcr.io/acme/' + 'x-'.repeat(n / 2) + 'exporter:v1'],
  ['registry.k8s.io/**', (n) => 'registry.k8s.io/' + 'a/'.repeat(n / 2)],
];

function microseconds(match: (image: string) => boolean, text: string): number {
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    match(text);
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

let failed = false;
console.log(`image-glob benchmark: ${SHORT} vs ${SHORT * 10} character images, median of ${ROUNDS}`);
for (const [glob, image] of cases) {
  const matcher = compileImageGlobs([glob]);
  const match = (text: string) => matcher(text, undefined);
  const short = microseconds(match, image(SHORT));
  const long = microseconds(match, image(SHORT * 10));
  const ratio = long / short;
  failed ||= ratio > LIMIT;
  console.log(
    `${glob.padEnd(26)} ${short.toFixed(0).padStart(7)} µs → ${long.toFixed(0).padStart(8)} µs  ×${ratio.toFixed(1)} (limit ×${LIMIT})`,
  );
}
process.exit(failed ? 1 : 0);
