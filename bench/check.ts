// `npm run bench:check`: how fast `kube-hygiene check` reads, judges and prints large inputs, and
// the most memory it holds. Generated manifests (Deployments, half of them with findings, and
// Services between them) of each size are written to a temporary file and checked by the built
// CLI in a child process; the child reports its own peak RSS and CPU time as it exits.
// BENCH_SIZES_MB=5,50 (default) picks the sizes; CHECK_BIN another build to compare.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = process.env.CHECK_BIN ?? fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SIZES_MB = (process.env.BENCH_SIZES_MB ?? '5,50').split(',').map(Number);
// Printed by the child as it exits: the peak resident set of the whole run.
const REPORT_RSS =
  'data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();' +
  'process.stderr.write(`maxrss-kib=${u.maxRSS} cpu-us=${u.userCPUTime+u.systemCPUTime}\\n`)})';

function deployment(i: number): string {
  const tag = i % 2 === 0 ? 'v1.4.2' : 'latest';
  return `---
# Source: shop/templates/deployment-${i}.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-${i}
  namespace: team-${i % 7}
  labels: { app.kubernetes.io/name: api-${i}, app.kubernetes.io/part-of: shop }
  annotations:
    kube-hygiene.io/owner: "team-${i % 7}"
spec:
  replicas: 2
  selector: { matchLabels: { app: api-${i} } }
  template:
    metadata:
      labels: { app: api-${i} }
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/acme/migrate:v2.0.${i % 10}
          args: ["--database", "postgres://db:5432/shop"]
      containers:
        - name: api
          image: ghcr.io/acme/api:${tag}
          ports: [{ containerPort: 8080 }]
          env:
            - { name: LOG_LEVEL, value: info }
            - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
          resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 256Mi } }
---
apiVersion: v1
kind: Service
metadata: { name: api-${i}, namespace: team-${i % 7} }
spec:
  selector: { app: api-${i} }
  ports: [{ port: 80, targetPort: 8080 }]
`;
}

function generate(path: string, megabytes: number): number {
  const parts: string[] = [];
  let size = 0;
  let objects = 0;
  for (let i = 0; size < megabytes * 1024 * 1024; i++) {
    const text = deployment(i);
    parts.push(text);
    size += text.length;
    objects += 2;
  }
  writeFileSync(path, parts.join(''));
  return objects;
}

const dir = mkdtempSync(join(tmpdir(), 'kh-bench-check-'));
try {
  console.log(`kube-hygiene check on generated manifests (${BIN})`);
  for (const mb of SIZES_MB) {
    const path = join(dir, `manifests-${mb}mb.yaml`);
    const objects = generate(path, mb);
    const bytes = statSync(path).size;
    for (const output of ['text', 'json']) {
      const started = process.hrtime.bigint();
      const run = spawnSync(process.execPath, ['--import', REPORT_RSS, BIN, 'check', '-o', output, path], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const usage = /maxrss-kib=(\d+) cpu-us=(\d+)/.exec(run.stderr ?? '');
      const peak = usage ? `${(Number(usage[1]) / 1024).toFixed(0)} MiB` : 'unknown';
      // CPU time says what the run cost on a machine busy with other work; wall time does not.
      const cpu = usage ? Number(usage[2]) / 1e6 : NaN;
      console.log(
        `${(bytes / 1024 / 1024).toFixed(1).padStart(6)} MB, ${String(objects).padStart(6)} objects, -o ${output.padEnd(4)}: ` +
          `${seconds.toFixed(1).padStart(6)} s, ${(bytes / 1024 / 1024 / seconds).toFixed(2).padStart(6)} MB/s, ` +
          `CPU ${cpu.toFixed(1)} s (${(bytes / 1024 / 1024 / cpu).toFixed(2)} MB per CPU second), ` +
          `peak RSS ${peak} (exit ${run.status})`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
