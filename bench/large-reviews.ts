// npm run bench:large — what one very large review costs the server and the reviews beside it.
// The built server (dist/main.js) runs in its own process over TLS. For Pods and Deployments of
// 500 to 20,000 containers that each break a rule, on /validate and /mutate, and for a Pod of
// 7 MiB of small annotation keys, it sends the large review while a prober sends small reviews
// one after another on its own connection, and prints: the time to answer, the server's CPU for
// the large review, the answer's size, and the slowest small review meanwhile (the delay a
// neighbour sees). Medians of BENCH_ROUNDS (default 3) rounds. Registry rules are off unless
// BENCH_REGISTRY_RULES=on (a bench machine reaches no registry; its lookups would be measured
// instead); BENCH_SIZES (comma-separated container counts) and BENCH_TIMEOUT (default 10s) too.
// Then, in-process, the longest single step of the engine for the larger sizes (engine-steps.ts).
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { largeReview, manyKeysReview, type LargeKind } from '../test/fixtures/large-objects.js';
import { startBenchServer, type BenchServer } from './bench-server.js';
import { engineSteps } from './engine-steps.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '500,1000,2000,5000,20000').split(',').map(Number);
const TIMEOUT = process.env.BENCH_TIMEOUT ?? '10s';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function post(server: BenchServer, agent: Agent, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: server.port,
        path,
        method: 'POST',
        ca: server.ca,
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Round {
  readonly ms: number;
  readonly cpuMs: number;
  readonly bytes: number;
  readonly slowestSmallMs: number;
  readonly smalls: number;
  readonly answer: string;
}

async function round(server: BenchServer, path: string, body: string, small: string): Promise<Round> {
  const big = new Agent({ keepAlive: true, maxSockets: 1 });
  const probe = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Connections opened and warm before the clock starts.
    await Promise.all([post(server, big, path, small), post(server, probe, '/validate', small)]);
    let done = false;
    let slowest = 0;
    let smalls = 0;
    const prober = (async () => {
      while (!done) {
        const started = performance.now();
        await post(server, probe, `/validate?timeout=${TIMEOUT}`, small);
        slowest = Math.max(slowest, performance.now() - started);
        smalls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const cpuBefore = server.cpuSeconds();
    const started = performance.now();
    const answer = await post(server, big, path, body);
    const ms = performance.now() - started;
    const cpuMs = (server.cpuSeconds() - cpuBefore) * 1000;
    done = true;
    await prober;
    return { ms, cpuMs, bytes: Buffer.byteLength(answer), slowestSmallMs: slowest, smalls, answer };
  } finally {
    big.destroy();
    probe.destroy();
  }
}

function describe(answer: string): string {
  const { response } = JSON.parse(answer) as {
    response: { allowed: boolean; patch?: string; warnings?: string[] };
  };
  if (!response.allowed) return 'denied';
  if (response.patch) return `patched (${Math.round((response.patch.length * 3) / 4)} B of patch)`;
  const unchecked = response.warnings?.some((w) => w.includes('let through unchecked'));
  return unchecked ? 'let through unchecked' : 'allowed';
}

async function measure(server: BenchServer, name: string, path: string, body: string, small: string) {
  await round(server, path, body, small); // warm-up, discarded
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(server, path, body, small));
  const m = (pick: (r: Round) => number) => median(rounds.map(pick));
  const line = [
    name.padEnd(28),
    `${(Buffer.byteLength(body) / 1048576).toFixed(2).padStart(5)} MiB`,
    `${m((r) => r.ms)
      .toFixed(0)
      .padStart(6)} ms`,
    `cpu ${m((r) => r.cpuMs)
      .toFixed(0)
      .padStart(5)} ms`,
    `answer ${String(m((r) => r.bytes)).padStart(6)} B`,
    `small reviews: slowest ${m((r) => r.slowestSmallMs)
      .toFixed(0)
      .padStart(4)} ms of ${m((r) => r.smalls)}`,
    describe(rounds[0]!.answer),
  ];
  console.log(`  ${line.join('  ')}`);
  return m((r) => r.ms);
}

async function main() {
  if (!existsSync(join(REPO, 'dist/main.js')))
    throw new Error('run `npm run build` first: the benchmark starts dist/main.js');
  const server = await startBenchServer({ registryRules: process.env.BENCH_REGISTRY_RULES === 'on' });
  try {
    const small = JSON.stringify(largeReview('Pod', 1, 'small'));
    const idle: number[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await post(server, agent, '/validate', small);
      if (i >= 100) idle.push(performance.now() - started);
    }
    agent.destroy();
    console.log(
      `large reviews: ${ROUNDS} rounds (medians), ?timeout=${TIMEOUT}, registry rules ${server.registryRules ? 'on' : 'off'}; ` +
        `a small review alone: median ${median(idle).toFixed(1)} ms, slowest ${Math.max(...idle).toFixed(1)} ms`,
    );
    for (const kind of ['Pod', 'Deployment'] as LargeKind[]) {
      for (const endpoint of ['validate', 'mutate']) {
        // Time to answer per container, per size: flat when the cost is linear in the containers.
        const perContainer: string[] = [];
        for (const n of SIZES) {
          const body = JSON.stringify(largeReview(kind, n, 'big'));
          const ms = await measure(
            server,
            `${kind} ×${n} /${endpoint}`,
            `/${endpoint}?timeout=${TIMEOUT}`,
            body,
            small,
          );
          perContainer.push(`${n}: ${((ms / n) * 1000).toFixed(0)} µs`);
        }
        console.log(`  time to answer per container: ${perContainer.join(', ')}`);
      }
    }
    for (const endpoint of ['validate', 'mutate']) {
      await measure(
        server,
        `7 MiB small keys /${endpoint}`,
        `/${endpoint}?timeout=${TIMEOUT}`,
        manyKeysReview(7, 'keys'),
        small,
      );
    }
  } finally {
    server.stop();
  }
  console.log('the engine in-process: the longest it holds the event loop at once (one step)');
  for (const line of await engineSteps(
    SIZES.filter((n) => n >= 2_000),
    ROUNDS,
  ))
    console.log(line);
}

await main();
