// npm run bench:registry — what a platform lookup costs against a real registry on loopback
// (docker-registry, started and seeded here, stopped at the end):
//   cold: a fresh client per lookup (HEAD + manifest [+ config]), median milliseconds;
//   burst: 1,000 concurrent lookups of one image on a fresh client, wall time and requests;
//   cached: a lookup answered from the caches, as a ratio to parsing the image reference,
//   which every rule already pays. Both are measured interleaved, so machine noise hits both.
import { resolvePlatforms } from '../src/images/platforms.js';
import { parseImageReference, type ImageReference } from '../src/images/reference.js';
import { RegistryClient } from '../src/images/registry/client.js';
import { AuthMode, startSeededRegistry } from '../test/harness/registry/registries.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PER_ROUND = Number(process.env.BENCH_ITERATIONS ?? 5000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const seeded = await startSeededRegistry(AuthMode.token);
try {
  const images = seeded.images.slice(0, 3).map((i) => `${seeded.registry.host}/${i.repo}:${i.tag}`);
  const refs = images.map((s) => (parseImageReference(s) as { ok: true; ref: ImageReference }).ref);
  let requests = 0;
  const fresh = () =>
    new RegistryClient({ registries: seeded.settings, timeoutMs: 5000, onRequest: () => void requests++ });

  const cold: number[] = [];
  for (let i = 0; i < 30; i++) {
    const start = performance.now();
    const result = await resolvePlatforms(fresh(), refs[i % refs.length]!);
    if (!result.ok) throw new Error(result.message);
    cold.push(performance.now() - start);
  }
  console.log(`cold lookup (token auth, incl. challenge and token): median ${median(cold).toFixed(2)} ms`);

  requests = 0;
  const burstClient = fresh();
  const burstStart = performance.now();
  await Promise.all(Array.from({ length: 1000 }, () => resolvePlatforms(burstClient, refs[0]!)));
  const burstMs = performance.now() - burstStart;
  console.log(`1,000 concurrent lookups of one image: ${burstMs.toFixed(1)} ms, ${requests} HTTP requests`);

  const warm = fresh();
  for (const ref of refs) await resolvePlatforms(warm, ref);
  const time = async (fn: () => unknown) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) await fn();
    return Number(process.hrtime.bigint() - start) / PER_ROUND / 1000;
  };
  const parse: number[] = [];
  const cached: number[] = [];
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    parse.push(await time(() => parseImageReference(images[n++ % images.length]!)));
    cached.push(await time(() => resolvePlatforms(warm, refs[n++ % refs.length]!)));
  }
  const ratio = median(cached) / median(parse);
  console.log(
    `cached lookup: ${median(cached).toFixed(2)} µs vs parsing the reference ${median(parse).toFixed(2)} µs: ratio ${ratio.toFixed(2)}`,
  );
} finally {
  await seeded.stop();
}
