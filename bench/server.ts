// npm run bench:server — the admission server over real TLS with keep-alive, against a bare
// Fastify TLS server that only parses the body and returns a fixed allowed answer of the same
// shape (the ceiling for this stack on this machine), in one run, phases interleaved so a noisy
// machine slows both alike. Prints throughput, p50/p99, the ratio (goal ≥ 0.70), p99 at half the
// server's own saturation rate (goal < 5 ms), and how long hostile bodies hold the event loop.
// BENCH_SECONDS (default 4) sets each phase's length, BENCH_ROUNDS (default 3) how many times
// the saturation phases and the paced phases alternate, BENCH_CONNECTIONS (default 16) the pool,
// BENCH_POLICY a policy file for the server (default: the embedded default policy);
// BENCH_REGISTRY_RULES=off the default policy with the rules that ask registries turned off.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { generateCa, generateServingCertificate } from '../src/certs/generate.js';
import { parseDocument } from 'yaml';
import { pacedLoad, type PacedResult } from './paced-load.js';
import { RULES } from '../src/rules/index.js';
import { hostileTimings } from './hostile-bodies.js';

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RATIO_GOAL = 0.7;
const P99_GOAL_MS = 5;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// BENCH_REVIEWS: comma-separated review files to send in turn (bare names: examples/reviews/).
const REVIEWS = (process.env.BENCH_REVIEWS ?? 'pod-create.json,deployment-create.json').split(',');
const bodies = REVIEWS.map((name) =>
  readFileSync(name.includes('/') ? join(REPO, name) : join(REPO, 'examples/reviews', name), 'utf8'),
);

/** The bare server: what Fastify + TLS + JSON cost with no decision at all. */
async function serveBare(port: number, cert: string, key: string) {
  const app = Fastify({ https: { cert, key, minVersion: 'TLSv1.2' }, bodyLimit: 7 * 1024 * 1024 });
  app.post('/validate', async (req) => {
    const { request } = req.body as { request: { uid: string } };
    return {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: request.uid, allowed: true },
    };
  });
  app.get('/readyz', async () => ({ ready: true }));
  await app.listen({ port, host: '127.0.0.1' });
}

/**
 * The default policy without the rules that ask registries. No registry answers on a bench
 * machine, so with them on the run measures lookup failures, not a cluster's cached answers.
 */
function registryOffPolicy(): string {
  const doc = parseDocument(readFileSync(join(REPO, 'policies/default.yaml'), 'utf8'));
  for (const rule of RULES) if (rule.needsRegistry) doc.setIn(['rules', rule.id, 'action'], 'off');
  const file = join(mkdtempSync(join(tmpdir(), 'kube-hygiene-bench-')), 'registry-off.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

function policyArgs(): string[] {
  if (process.env.BENCH_POLICY) return ['--policy', process.env.BENCH_POLICY];
  return process.env.BENCH_REGISTRY_RULES === 'off' ? ['--policy', registryOffPolicy()] : [];
}

/** user + system CPU seconds a process has used (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return NaN;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetchReady(port).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on ${port} did not become ready`);
}

async function fetchReady(port: number): Promise<boolean> {
  const res = await autocannon({ url: `https://127.0.0.1:${port}/readyz`, amount: 1, connections: 1 });
  return res.non2xx === 0 && res.errors === 0 && res.requests.total === 1;
}

function load(port: number, extra: Record<string, unknown> = {}): Promise<Result> {
  return autocannon({
    url: `https://127.0.0.1:${port}/validate?timeout=10s`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'application/json' },
    requests: bodies.map((body) => ({ method: 'POST', body })),
    ...extra,
  });
}

function check(name: string, r: Result): Result {
  if (r.errors || r.non2xx || r.timeouts) {
    throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  }
  return r;
}

const fmt = (r: Result) =>
  `${Math.round(r.requests.average).toString().padStart(6)} req/s  p50 ${r.latency.p50.toFixed(1)} ms  p99 ${r.latency.p99.toFixed(1)} ms`;

async function main() {
  const main = join(REPO, 'dist/main.js');
  if (!existsSync(main)) throw new Error('run `npm run build` first: the benchmark starts dist/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'kube-hygiene-bench-'));
  const ca = generateCa();
  const leaf = generateServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  writeFileSync(cert, leaf.certPem);
  writeFileSync(key, leaf.keyPem, { mode: 0o600 });

  const [realPort, metricsPort, barePort] = [await freePort(), await freePort(), await freePort()];
  const policy = policyArgs();
  // info level, as deployed: one log line per decision is part of the cost (written to /dev/null).
  const real = spawn(
    process.execPath,
    [
      main,
      '--host',
      '127.0.0.1',
      '--port',
      `${realPort}`,
      '--metrics-port',
      `${metricsPort}`,
      '--cert',
      cert,
      '--key',
      key,
      '--drain-delay',
      '0',
      ...policy,
    ],
    { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' } },
  );
  const bare = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--bare', `${barePort}`, cert, key],
    {
      stdio: 'ignore',
    },
  );
  const stop = () => {
    for (const child of [real, bare])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.on('exit', stop);
  let halfP99 = Infinity;
  try {
    await Promise.all([waitReady(realPort, real), waitReady(barePort, bare)]);
    console.log(
      `server benchmark: TLS keep-alive, ${CONNECTIONS} connections, ${SECONDS} s per phase, reviews ${REVIEWS.join(' + ')}, policy ${policy[1] ?? 'the embedded default'}`,
    );
    // Warm-up, discarded: kube-hygiene has far more code for the JIT to compile and a heap that
    // is still growing for its first seconds under load (its first measured round used to come
    // out a third below the others), so each server gets one whole phase first.
    await load(realPort);
    await load(barePort);
    // A neighbour on the shared machine can slow one phase by a fifth: the phases alternate, each
    // round gives a ratio, and the median round counts.
    const reals: Result[] = [];
    const bares: Result[] = [];
    const cpu = { real: [] as number[], bare: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, port, child, results, costs] of [
        ['kube-hygiene', realPort, real, reals, cpu.real],
        ['bare', barePort, bare, bares, cpu.bare],
      ] as const) {
        const before = cpuSeconds(child.pid!);
        const result = check(name, await load(port));
        results.push(result);
        costs.push(((cpuSeconds(child.pid!) - before) / result.requests.total) * 1e6);
      }
    }
    const ratios = reals.map((r, i) => r.requests.average / bares[i]!.requests.average);
    const ratio = median(ratios);
    const middle = ratios.indexOf(ratio);
    const r = reals[middle]!;
    const b = bares[middle]!;
    console.log(`  kube-hygiene /validate  ${fmt(r)}`);
    console.log(`  bare Fastify TLS        ${fmt(b)}`);
    console.log(
      `  throughput ratio ${ratio.toFixed(2)} (goal ≥ ${RATIO_GOAL}; median of ${ratios.map((x) => x.toFixed(2)).join(', ')})`,
    );
    // CPU time per request is what a shared machine's noise disturbs least.
    const realCpu = median(cpu.real);
    const bareCpu = median(cpu.bare);
    console.log(
      `  server CPU per request (median): kube-hygiene ${realCpu.toFixed(0)} µs, bare ${bareCpu.toFixed(0)} µs: ` +
        `bare/kube-hygiene ${(bareCpu / realCpu).toFixed(2)} (the throughput ratio when CPU-bound)`,
    );
    const rate = Math.max(1, Math.floor(r.requests.average / 2));
    const bareRate = Math.max(1, Math.floor(b.requests.average / 2));
    // The bare server at its own half saturation shows what this machine (and the load
    // generator sharing it) allows a server at that load: the floor under the p99 goal.
    const halves: [string, number, number, string][] = [
      ['kube-hygiene', realPort, rate, "half of kube-hygiene's saturation"],
      ['bare        ', barePort, rate, "half of kube-hygiene's saturation"],
      ['bare        ', barePort, bareRate, "half of bare's own saturation"],
    ];
    // The pacing client's first run pays its own warm-up; a discarded second of each phase keeps
    // that out of whichever phase would come first. A pause of the shared machine can decide one
    // 4-second p99, so each phase runs ROUNDS times, interleaved, and the median counts.
    for (const [, port, paced] of halves)
      await pacedLoad(port, '/validate?timeout=10s', bodies, paced, 1, CONNECTIONS);
    const paced = halves.map(() => [] as PacedResult[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [name, port, at]] of halves.entries()) {
        const h = await pacedLoad(port, '/validate?timeout=10s', bodies, at, SECONDS, CONNECTIONS);
        if (h.errors || h.non2xx)
          throw new Error(`${name} at half rate: ${h.errors} errors, ${h.non2xx} non-2xx`);
        paced[i]!.push(h);
      }
    }
    for (const [i, [name, port, at, what]] of halves.entries()) {
      const runs = paced[i]!;
      const p99 = median(runs.map((h) => h.p99));
      console.log(
        `  ${name} paced at ${at} req/s (${what}): ${Math.round(median(runs.map((h) => h.rate)))} req/s  ` +
          `p50 ${median(runs.map((h) => h.p50)).toFixed(2)} ms  p99 ${p99.toFixed(2)} ms ` +
          `(median of ${runs.map((h) => h.p99.toFixed(1)).join(', ')})`,
      );
      if (port === realPort) halfP99 = p99;
    }
    console.log(`  p99 goal at half saturation: < ${P99_GOAL_MS} ms`);
    console.log('hostile bodies, in-process through Fastify (time the event loop is held per request):');
    for (const line of await hostileTimings(leaf.certPem, leaf.keyPem, bodies[0]!)) console.log(line);
    process.exitCode = ratio >= RATIO_GOAL && halfP99 < P99_GOAL_MS ? 0 : 1;
  } finally {
    stop();
  }
}

if (process.argv[2] === '--bare') {
  const [port, cert, key] = process.argv.slice(3);
  await serveBare(Number(port), readFileSync(cert!, 'utf8'), readFileSync(key!, 'utf8'));
} else {
  await main();
}
