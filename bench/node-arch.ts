// npm run bench:node-arch — what node-arch adds to a Pod review once its images are cached:
// the sample Pod CREATE (3 containers, on /mutate) with its images pointed at a real registry
// on loopback (started and seeded here, stopped at the end), decided with node-arch on and
// every lookup answered from the caches, as a ratio to the same review with node-arch off.
// Both are measured interleaved in this run, so machine noise hits both. Limit: 1.5.
import { readFileSync } from 'node:fs';
import { handleReview } from '../src/admission/handle.js';
import { parsePolicy } from '../src/policy/load.js';
import { RegistryClient } from '../src/images/registry/client.js';
import { RegistryLookups } from '../src/images/image-lookup.js';
import { AuthMode, startSeededRegistry } from '../test/harness/registry/registries.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PER_ROUND = Number(process.env.BENCH_ITERATIONS ?? 2000);
const LIMIT = 1.5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const seeded = await startSeededRegistry(AuthMode.token);
try {
  const host = seeded.registry.host;
  const images = ['multi:v1.0.0', 'dockerlist:1.0', 'amd64only:v2.1.0'].map((i) => `${host}/${i}`);
  const review = JSON.parse(readFileSync(new URL('./reviews/pod-create.json', import.meta.url), 'utf8'));
  review.request.object.spec.containers.forEach((c: { image: string }, i: number) => {
    c.image = images[i % images.length]!;
  });
  const text = JSON.stringify(review);
  const registries = JSON.stringify(seeded.settings);
  // Same policy either way but for node-arch; image-tag would deny the fixture tags.
  const policyWith = (nodeArch: string) =>
    parsePolicy(
      `registries: ${registries}\nrules: { image-tag: { action: off }, node-arch: { action: ${nodeArch} } }`,
      'bench',
    );
  const on = policyWith('deny');
  const off = policyWith('off');
  const registry = new RegistryLookups(new RegistryClient({ registries: seeded.settings, timeoutMs: 5000 }));

  const decide = async (policy: typeof off) => {
    const outcome = await handleReview(JSON.parse(text), 'mutate', { policy, registry });
    return JSON.stringify(outcome.body);
  };
  const first = JSON.parse(await decide(on)).response;
  if (!first.allowed || !first.patch)
    throw new Error(`expected an allowed, pinned answer: ${JSON.stringify(first)}`);
  const time = async (fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) await fn();
    return Number(process.hrtime.bigint() - start) / PER_ROUND / 1000;
  };
  await time(() => decide(off));
  await time(() => decide(on));
  const offUs: number[] = [];
  const onUs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await time(() => decide(off));
    const b = await time(() => decide(on));
    offUs.push(a);
    onUs.push(b);
    ratios.push(b / a);
  }
  const ratio = median(ratios);
  console.log(
    `node-arch, cached lookups: Pod CREATE (3 images, pinned by the answer) ${median(onUs).toFixed(1)} µs ` +
      `vs node-arch off ${median(offUs).toFixed(1)} µs: ratio ${ratio.toFixed(2)} (limit ${LIMIT})`,
  );
  process.exitCode = ratio > LIMIT ? 1 : 0;
} finally {
  await seeded.stop();
}
