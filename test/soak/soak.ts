// The soak: the built server as a real process under steady mixed load for a while, with a
// certificate rotation and a policy reload in the middle. It reports failed requests (goal 0),
// p99 latency per window, and the server's RSS and heap over time. `npm run soak` runs it for
// 10 minutes (SOAK_SECONDS); test/soak/soak.test.ts runs a short one in CI. Loopback only; every
// process it starts it stops.
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { KubeletVolume, request, tempDir, testPki, servedFingerprint } from '../harness/tls.js';
import { REPO, killIfRunning, spawnServer } from '../harness/server-process.js';
import { freePort } from '../harness/registry/registry-process.js';

export interface SoakOptions {
  readonly seconds: number;
  /** Requests per second, spread over `connections` keep-alive connections. */
  readonly rate: number;
  readonly connections: number;
  /** Length of one reporting window (p99 per window). */
  readonly windowSeconds: number;
  readonly log?: (line: string) => void;
}

export interface SoakWindow {
  readonly second: number;
  readonly requests: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
}

export interface MemorySample {
  readonly second: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
}

export interface SoakReport {
  readonly requests: number;
  /** Transport errors and non-200 answers. */
  readonly failed: number;
  readonly failures: readonly string[];
  /** Answers let through unchecked (deadline passed): not failures, but worth a look. */
  readonly unchecked: number;
  readonly windows: readonly SoakWindow[];
  readonly memory: readonly MemorySample[];
  readonly events: readonly string[];
  /** Heap growth over the second half, MiB per minute (least squares): near 0 when bounded. */
  readonly heapSlopeMiBPerMinute: number;
}

interface Call {
  readonly path: string;
  readonly body: string;
}

const reviews = (name: string) => readFileSync(join(REPO, name), 'utf8');

// The mix an API server sends: mostly pods through both webhooks, workloads, updates.
function callMix(): Call[] {
  const pod = reviews('examples/reviews/pod-create.json');
  return [
    { path: '/validate?timeout=10s', body: pod },
    { path: '/mutate?timeout=10s', body: pod },
    { path: '/validate?timeout=10s', body: reviews('examples/reviews/deployment-create.json') },
    { path: '/validate?timeout=10s', body: reviews('examples/reviews/deployment-create-allowed.json') },
    { path: '/validate?timeout=10s', body: reviews('bench/reviews/deployment-update.json') },
  ];
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function heapMiB(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Number(m[1]) / 1024 / 1024 : NaN;
}

function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const dir = tempDir('kube-hygiene-soak-');
  const pki = testPki();
  const first = pki.issue();
  const certs = new KubeletVolume(join(dir, 'tls'), { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, 'mode: enforce\n');
  const metricsPort = await freePort();
  const server = spawnServer([
    join(REPO, 'dist/main.js'),
    ...['--host', '127.0.0.1', '--port', '0', '--metrics-port', `${metricsPort}`],
    ...['--cert', certs.path('tls.crt'), '--key', certs.path('tls.key'), '--policy', policyFile],
    ...['--drain-delay', '0'],
  ]);
  const events: string[] = [];
  const note = (what: string, at: number) => {
    events.push(`${at.toFixed(0)} s: ${what}`);
    log(`  ${at.toFixed(0)} s: ${what}`);
  };
  try {
    const port = await server.port;
    const ca = pki.ca.certPem;
    const pid = server.child.pid!;
    const calls = callMix();
    const agent = new Agent({ keepAlive: true, maxSockets: options.connections, ca });
    const windows: { requests: number; failed: number; latencies: number[] }[] = [];
    const failures: string[] = [];
    const memory: MemorySample[] = [];
    let requests = 0;
    let failed = 0;
    let unchecked = 0;
    const started = Date.now();
    const elapsed = () => (Date.now() - started) / 1000;
    const end = started + options.seconds * 1000;

    const policyHash = async () =>
      ((await request({ port, ca, path: '/readyz' })).json() as { policy: { hash: string } }).policy.hash;

    const send = async (call: Call) => {
      const w = Math.floor(elapsed() / options.windowSeconds);
      const window = (windows[w] ??= { requests: 0, failed: 0, latencies: [] });
      const t0 = performance.now();
      requests++;
      window.requests++;
      try {
        const res = await request({ port, ca, path: call.path, body: call.body, agent });
        window.latencies.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 200)}`);
        if (res.text.includes('unchecked')) unchecked++;
      } catch (err) {
        failed++;
        window.failed++;
        if (failures.length < 20)
          failures.push(`${elapsed().toFixed(1)} s ${call.path}: ${(err as Error).message}`);
      }
    };

    // Paced: each connection sends its share of the rate, one request at a time.
    const perConnectionGapMs = (1000 * options.connections) / options.rate;
    const workers = Array.from({ length: options.connections }, async (_, i) => {
      let next = Date.now() + (i * perConnectionGapMs) / options.connections;
      let k = i;
      while (Date.now() < end) {
        await sleep(Math.max(0, next - Date.now()));
        next += perConnectionGapMs;
        await send(calls[k++ % calls.length]!);
      }
    });

    const sampler = (async () => {
      while (Date.now() < end) {
        memory.push({ second: elapsed(), rssMiB: rssMiB(pid), heapMiB: await heapMiB(metricsPort) });
        await sleep(Math.min(5000, (options.seconds * 1000) / 20));
      }
    })();

    const disturbances = (async () => {
      await sleep(options.seconds * 400);
      const next = pki.issue();
      certs.swap({ 'tls.crt': next.certPem, 'tls.key': next.keyPem });
      const want = new X509Certificate(next.certPem).fingerprint256;
      const until = Date.now() + 5000;
      while ((await servedFingerprint(port, ca)) !== want && Date.now() < until) await sleep(100);
      note(
        (await servedFingerprint(port, ca)) === want
          ? 'certificate rotated (new connections get the new certificate)'
          : 'certificate rotation NOT picked up within 5 s',
        elapsed(),
      );
      await sleep(options.seconds * 100);
      const before = await policyHash();
      writeFileSync(policyFile, 'mode: enforce\nexemptNamespaces: [kube-system, soak-reloaded]\n');
      let after = before;
      for (let i = 0; i < 50 && after === before; i++) {
        await sleep(100);
        after = await policyHash();
      }
      note(after !== before ? `policy reloaded (${before} → ${after})` : 'policy reload NOT seen', elapsed());
    })();

    await Promise.all([...workers, sampler, disturbances]);
    agent.destroy();
    memory.push({ second: elapsed(), rssMiB: rssMiB(pid), heapMiB: await heapMiB(metricsPort) });
    const secondHalf = memory.filter((m) => m.second >= options.seconds / 2);
    return {
      requests,
      failed,
      failures,
      unchecked,
      events,
      memory,
      heapSlopeMiBPerMinute: slope(secondHalf.map((m) => [m.second / 60, m.heapMiB])),
      windows: windows.map((w, i) => {
        const sorted = w.latencies.sort((a, b) => a - b);
        return {
          second: i * options.windowSeconds,
          requests: w.requests,
          failed: w.failed,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
        };
      }),
    };
  } finally {
    server.child.kill('SIGTERM');
    await Promise.race([server.exited, sleep(5000)]);
    killIfRunning(server);
  }
}

export function formatReport(r: SoakReport): string {
  const lines = [
    `requests ${r.requests}, failed ${r.failed} (goal 0), let through unchecked ${r.unchecked}`,
    ...r.events.map((e) => `event  ${e}`),
    'window   requests  failed   p50 ms   p99 ms',
    ...r.windows.map(
      (w) =>
        `${String(w.second).padStart(5)} s ${String(w.requests).padStart(9)} ${String(w.failed).padStart(7)} ` +
        `${w.p50.toFixed(2).padStart(8)} ${w.p99.toFixed(2).padStart(8)}`,
    ),
    `memory: RSS ${r.memory[0]?.rssMiB.toFixed(1)} → ${r.memory.at(-1)?.rssMiB.toFixed(1)} MiB, ` +
      `heap ${r.memory[0]?.heapMiB.toFixed(1)} → ${r.memory.at(-1)?.heapMiB.toFixed(1)} MiB, ` +
      `heap trend over the second half ${r.heapSlopeMiBPerMinute.toFixed(2)} MiB/min`,
    ...r.failures.map((f) => `failure ${f}`),
  ];
  return lines.join('\n');
}
