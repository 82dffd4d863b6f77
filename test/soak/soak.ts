// The soak: the built server as a real process under steady mixed load for a while: validate
// and mutate reviews, pods whose images are looked up in a real docker-registry the soak starts
// and seeds, HPA checks against an API stand-in seeded with Deployments and HPAs; and in the
// middle a certificate rotation, a policy reload and an API server restart. It reports failed
// requests (goal 0), what the answers showed, p99 latency per window, and the server's RSS and
// heap over time. `npm run soak` runs it for 10 minutes (SOAK_SECONDS); test/soak/soak.test.ts
// runs a short one in CI. Loopback only; every process and listener it starts it stops.
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { KubeletVolume, request, tempDir, testPki, servedFingerprint } from '../harness/tls.js';
import { REPO, killIfRunning, spawnServer } from '../harness/server-process.js';
import { freePort } from '../harness/free-port.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';
import type { AdmissionReviewResponse } from '../../src/admission/review.js';
import { callMix, type Call } from './calls.js';
import { startSoakCluster } from './cluster.js';
import { percentile, slope, type MemorySample, type SoakReport } from './report.js';

export { formatReport, type SoakReport } from './report.js';

export interface SoakOptions {
  readonly seconds: number;
  /** Requests per second, spread over `connections` keep-alive connections. */
  readonly rate: number;
  readonly connections: number;
  /** Length of one reporting window (p99 per window). */
  readonly windowSeconds: number;
  readonly log?: (line: string) => void;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const metricsText = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

async function heapMiB(metricsPort: number): Promise<number> {
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(await metricsText(metricsPort));
  return m ? Number(m[1]) / 1024 / 1024 : NaN;
}

async function cachedDeployments(metricsPort: number): Promise<number> {
  const text = await metricsText(metricsPort);
  const m = /^kube_hygiene_cache_entries\{cache="deployments"\} (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

async function registryLookups(metricsPort: number): Promise<Record<string, number>> {
  const text = await metricsText(metricsPort);
  const found = text.matchAll(/^kube_hygiene_registry_lookups_total\{result="([^"]+)"\} (\S+)$/gm);
  return Object.fromEntries([...found].map((m) => [m[1]!, Number(m[2])]));
}

// The soak's registry is on loopback: allowed explicitly, as an operator would. Tags are
// trusted for 5 s only, so the registry is asked again all through the run, not just once.
const policyYaml = (registryHost: string, extra = '') =>
  `mode: enforce
registries: { "${registryHost}": { insecure: true, allowPrivateAddress: true } }
registryLookup: { tagTtlSeconds: 5 }
${extra}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const dir = tempDir('kube-hygiene-soak-');
  const pki = testPki();
  const first = pki.issue();
  const certs = new KubeletVolume(join(dir, 'tls'), { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
  const registry = await startSeededRegistry(AuthMode.plain);
  const cluster = await startSoakCluster().catch(async (err: unknown) => {
    await registry.stop();
    throw err;
  });
  const registryHost = registry.registry.host;
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, policyYaml(registryHost));
  const metricsPort = await freePort();
  const server = spawnServer([
    join(REPO, 'dist/main.js'),
    ...['--host', '127.0.0.1', '--port', '0', '--metrics-port', `${metricsPort}`],
    ...['--cert', certs.path('tls.crt'), '--key', certs.path('tls.key'), '--policy', policyFile],
    ...['--kubeconfig', cluster.kubeconfigPath, '--drain-delay', '0'],
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
    const calls = callMix(registryHost);
    const agent = new Agent({ keepAlive: true, maxSockets: options.connections, ca });
    const windows: { requests: number; failed: number; latencies: number[] }[] = [];
    const failures: string[] = [];
    const memory: MemorySample[] = [];
    let requests = 0;
    let failed = 0;
    let unchecked = 0;
    const outcomes: Record<string, number> = {};
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
        if (call.classify) {
          const label = call.classify(res.json<AdmissionReviewResponse>().response);
          outcomes[label] = (outcomes[label] ?? 0) + 1;
        }
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
      writeFileSync(policyFile, policyYaml(registryHost, 'exemptNamespaces: [kube-system, soak-reloaded]\n'));
      let after = before;
      for (let i = 0; i < 50 && after === before; i++) {
        await sleep(100);
        after = await policyHash();
      }
      note(after !== before ? `policy reloaded (${before} → ${after})` : 'policy reload NOT seen', elapsed());
      await sleep(options.seconds * 100);
      const couldNotCheck = () => outcomes['hpa could not check'] ?? 0;
      const checksBefore = couldNotCheck();
      const downMs = Math.min(5000, options.seconds * 100);
      const restarted = await cluster.restart(downMs, 30_000, () => cachedDeployments(metricsPort));
      note(`${restarted}; ${couldNotCheck() - checksBefore} HPA checks said they could not check`, elapsed());
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
      outcomes,
      registryLookups: await registryLookups(metricsPort),
      events,
      memory,
      heapSlopeMiBPerMinute: slope(secondHalf.map((m) => [m.second / 60, m.heapMiB])),
      rssSlopeMiBPerMinute: slope(secondHalf.map((m) => [m.second / 60, m.rssMiB])),
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
    await Promise.allSettled([cluster.stop(), registry.stop()]);
  }
}
