// npm run bench:server — the admission server (dist/main.js) over real TLS with keep-alive,
// against a bare Fastify TLS server that parses the review and answers without deciding
// (bench/bare-server.ts), in one run, phases alternating so a noisy machine slows both alike.
// Same body for both: a ~6 KB Pod CREATE with managedFields whose sidecars lack POD_NAME and
// POD_NAMESPACE (bench/reviews/pod-create.json), so /mutate answers with a patch; the bare
// server returns that same patch. Registry rules off, no cluster. Prints each goal's figure
// and PASS/FAIL (docs/performance.md), and exits 1 when one fails:
// - /validate and /mutate throughput ≥ 0.75× the bare server's (median of the rounds' ratios);
// - p99 paced at half of kube-hygiene's own saturation ≤ 1.5× the bare server's at that rate;
// - kube-hygiene's RSS after BENCH_RSS_SECONDS (60) at saturation ≤ 120 MB.
// BENCH_SHORT=1 (npm run bench:server:short): 2 s phases, 10 s of saturation before reading
// the RSS, no hostile bodies; about two minutes. BENCH_SECONDS, BENCH_ROUNDS,
// BENCH_CONNECTIONS, BENCH_RSS_SECONDS override; BENCH_REVIEW another review file; BENCH_POLICY
// another policy file; BENCH_REGISTRY_RULES=on keeps the default policy's registry rules;
// BENCH_BEFORE=path/to/dist/main.js adds another build of the server to every phase
// (before/after figures from one run), named BENCH_BEFORE_NAME.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseDocument } from 'yaml';
import { generateCa, generateServingCertificate } from '../src/certs/generate.js';
import { RULES } from '../src/rules/index.js';
import { pacedLoad } from './paced-load.js';
import { hostileTimings } from './hostile-bodies.js';
import { freePort } from '../test/harness/free-port.js';
import { imageNodeFlags } from './image-node-flags.js';

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const SHORT = process.env.BENCH_SHORT === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (SHORT ? 2 : 4));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RSS_SECONDS = Number(process.env.BENCH_RSS_SECONDS ?? (SHORT ? 10 : 60));
const GOAL = { ratio: 0.75, p99Factor: 1.5, rssMb: 120 };
const ENDPOINTS = ['validate', 'mutate'] as const;
type Endpoint = (typeof ENDPOINTS)[number];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load1 = () => loadavg()[0]!.toFixed(1);
const reviewFile = join(REPO, process.env.BENCH_REVIEW ?? 'bench/reviews/pod-create.json');
const body = JSON.stringify(JSON.parse(readFileSync(reviewFile, 'utf8')));

interface Server {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
}

/** One POST, its JSON answer (also the readiness probe, with GET). */
function call(port: number, path: string, payload?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: payload ? 'POST' : 'GET', rejectUnauthorized: false },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text && JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    if (payload) req.setHeader('content-type', 'application/json');
    req.end(payload);
  });
}

async function started(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  // The server's log goes to a pipe read by another process, as a container runtime reads it:
  // read here, it would cost the load generator's own event loop a turn per write.
  const reader = spawn('cat', [], { stdio: ['pipe', 'ignore', 'inherit'] });
  const child = spawn(
    process.execPath,
    [...imageNodeFlags(), ...args.map((a) => a.replace('PORT', `${port}`))],
    { env, stdio: ['ignore', reader.stdin!, 'inherit'] },
  );
  // The server has its own copy of the pipe's end: with ours closed, the reader ends when the
  // server does, and neither keeps this process running.
  reader.stdin!.destroy();
  process.on('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (reader.exitCode === null) reader.kill('SIGKILL');
  });
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ready = await call(port, '/readyz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { name, port, child };
    if (Date.now() > until) throw new Error(`${name} did not become ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The default policy without the rules that ask registries (no registry answers here). */
function policyFile(dir: string): string {
  if (process.env.BENCH_POLICY) return process.env.BENCH_POLICY;
  const doc = parseDocument(readFileSync(join(REPO, 'policies/default.yaml'), 'utf8'));
  if (process.env.BENCH_REGISTRY_RULES !== 'on')
    for (const rule of RULES) if (rule.needsRegistry) doc.setIn(['rules', rule.id, 'action'], 'off');
  writeFileSync(join(dir, 'policy.yaml'), doc.toString());
  return join(dir, 'policy.yaml');
}

/** user + system CPU seconds of a process (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident size now and at its peak, in MB (Linux /proc). */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)![1]) / 1024;
  return { now: kb('VmRSS'), peak: kb('VmHWM') };
}

async function saturate(server: Server, paths: readonly string[], seconds = SECONDS) {
  const before = cpuSeconds(server.child.pid!);
  const r = await autocannon({
    url: `https://127.0.0.1:${server.port}${paths[0]}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: paths.map((path) => ({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body,
    })),
  });
  if (r.errors || r.non2xx || r.timeouts)
    throw new Error(`${server.name}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  const cpuUs = ((cpuSeconds(server.child.pid!) - before) / r.requests.total) * 1e6;
  return { rate: r.requests.average, p99: r.latency.p99, cpuUs };
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const path = (endpoint: Endpoint) => `/${endpoint}?timeout=10s`;

async function main() {
  const main = join(REPO, 'dist/main.js');
  if (!existsSync(main)) throw new Error('run `npm run build` first: the benchmark starts dist/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'kube-hygiene-bench-'));
  const ca = generateCa();
  const leaf = generateServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
  const tls = ['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')];
  // No cluster: neither a kubeconfig nor the in-cluster service account.
  const { KUBECONFIG: _k, KUBERNETES_SERVICE_HOST: _h, ...env } = process.env;
  // info level, as deployed: one log line per decision is part of the cost.
  const serverArgs = (file: string) => [
    ...[file, '--host', '127.0.0.1', '--port', 'PORT', '--metrics-port', '0', ...tls],
    ...['--drain-delay', '0', '--policy', policyFile(dir)],
  ];
  const servers = [await started('kube-hygiene', serverArgs(main), { ...env, LOG_LEVEL: 'info' })];
  if (process.env.BENCH_BEFORE)
    servers.push(
      await started(process.env.BENCH_BEFORE_NAME ?? 'before', serverArgs(process.env.BENCH_BEFORE), {
        ...env,
        LOG_LEVEL: 'info',
      }),
    );
  const answer = await call(servers[0]!.port, path('mutate'), body);
  const { patch } = (answer.json as { response: { patch?: string } }).response;
  if (!patch) throw new Error(`${reviewFile} gets no patch from /mutate: the benchmark needs one`);
  writeFileSync(join(dir, 'patch'), patch);
  const bareArgs = [
    '--import',
    'tsx',
    join(REPO, 'bench/bare-server.ts'),
    'PORT',
    ...tls.filter((_, i) => i % 2),
  ];
  const bare = await started('bare Fastify', [...bareArgs, join(dir, 'patch')], env);
  servers.push(bare);
  const [real] = servers as [Server];

  console.log(
    `server benchmark: TLS keep-alive, ${CONNECTIONS} connections, ${SECONDS} s phases, ${ROUNDS} rounds, ` +
      `body ${reviewFile.slice(REPO.length)} (${body.length} bytes, patch ${patch.length} bytes base64), ` +
      `registry rules ${process.env.BENCH_REGISTRY_RULES === 'on' ? 'on' : 'off'}, no cluster; ` +
      `Node.js ${process.version} ${imageNodeFlags().join(' ')} (the image's flags); load average ${load1()}`,
  );
  // Warm-up, discarded: the JIT and a heap still growing in the first seconds.
  for (const endpoint of ENDPOINTS) for (const s of servers) await saturate(s, [path(endpoint)]);

  // Saturation, alternating: each round runs every server on each endpoint, the order turning.
  const sat = new Map<string, { rate: number; p99: number; cpuUs: number }[]>();
  const key = (s: Server, endpoint: string) => `${s.name} ${endpoint}`;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...servers].reverse() : servers;
    for (const endpoint of ENDPOINTS)
      for (const s of order) {
        const k = key(s, endpoint);
        sat.set(k, [...(sat.get(k) ?? []), await saturate(s, [path(endpoint)])]);
      }
  }
  const failures: string[] = [];
  const goal = (what: string, ok: boolean) => {
    if (!ok) failures.push(what);
    return verdict(ok);
  };
  console.log(`saturation (medians of ${ROUNDS} rounds; load average ${load1()}):`);
  const halfRate: Record<string, number> = {};
  for (const endpoint of ENDPOINTS) {
    const bareRuns = sat.get(key(bare, endpoint))!;
    for (const s of servers) {
      const runs = sat.get(key(s, endpoint))!;
      const rate = median(runs.map((r) => r.rate));
      const line = `  /${endpoint.padEnd(8)} ${s.name.padEnd(13)} ${Math.round(rate).toString().padStart(6)} req/s  CPU ${median(runs.map((r) => r.cpuUs)).toFixed(0)} µs/request`;
      if (s === bare) {
        console.log(line);
        continue;
      }
      const ratios = runs.map((r, i) => r.rate / bareRuns[i]!.rate);
      const ratio = median(ratios);
      const result = s === real ? `  ${goal(`/${endpoint} ratio`, ratio >= GOAL.ratio)}` : '';
      console.log(
        `${line}  ratio ${ratio.toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')}; goal ≥ ${GOAL.ratio})${result}`,
      );
      if (s === real) halfRate[endpoint] = Math.max(1, Math.floor(rate / 2));
    }
  }

  // Paced at half of kube-hygiene's own saturation: every server at the same rate.
  for (const endpoint of ENDPOINTS)
    for (const s of servers)
      await pacedLoad(s.port, path(endpoint), [body], halfRate[endpoint]!, 1, CONNECTIONS);
  const paced = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...servers].reverse() : servers;
    for (const endpoint of ENDPOINTS)
      for (const s of order) {
        const h = await pacedLoad(s.port, path(endpoint), [body], halfRate[endpoint]!, SECONDS, CONNECTIONS);
        if (h.errors || h.non2xx) throw new Error(`${s.name} paced: ${h.errors} errors, ${h.non2xx} non-2xx`);
        paced.set(key(s, endpoint), [...(paced.get(key(s, endpoint)) ?? []), h.p99]);
      }
  }
  console.log(`p99 paced at half of kube-hygiene's saturation (medians; load average ${load1()}):`);
  for (const endpoint of ENDPOINTS) {
    const bareP99 = median(paced.get(key(bare, endpoint))!);
    for (const s of servers) {
      const runs = paced.get(key(s, endpoint))!;
      const p99 = median(runs);
      const factor = p99 / bareP99;
      const line = `  /${endpoint.padEnd(8)} ${s.name.padEnd(13)} at ${halfRate[endpoint]} req/s  p99 ${p99.toFixed(2)} ms (rounds ${runs.map((x) => x.toFixed(2)).join(', ')})`;
      if (s === bare) console.log(line);
      else
        console.log(
          `${line}  ${factor.toFixed(2)}× bare (goal ≤ ${GOAL.p99Factor}×)` +
            (s === real ? `  ${goal(`/${endpoint} p99`, factor <= GOAL.p99Factor)}` : ''),
        );
    }
  }

  // Resident size after a long saturation, both endpoints in turn.
  console.log(`RSS after ${RSS_SECONDS} s at saturation, /validate and /mutate in turn:`);
  for (const s of servers) {
    await saturate(s, [path('validate'), path('mutate')], RSS_SECONDS);
    const { now, peak } = rss(s.child.pid!);
    const result = s === real ? `  (goal ≤ ${GOAL.rssMb} MB)  ${goal('RSS', now <= GOAL.rssMb)}` : '';
    console.log(`  ${s.name.padEnd(13)} ${now.toFixed(0)} MB (peak ${peak.toFixed(0)} MB)${result}`);
  }
  console.log(`load average at the end: ${load1()}`);

  if (!SHORT) {
    console.log('hostile bodies, in-process through Fastify (time the event loop is held per request):');
    for (const line of await hostileTimings(leaf.certPem, leaf.keyPem, body)) console.log(line);
  }
  console.log(failures.length ? `FAIL: ${failures.join(', ')}` : 'PASS: every goal met');
  process.exitCode = failures.length ? 1 : 0;
  for (const s of servers) s.child.kill('SIGTERM');
}

await main();
