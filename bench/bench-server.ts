// The built server (dist/main.js) in a process of its own for a benchmark: a throwaway CA and
// serving certificate, free loopback ports, the default policy (with the rules that ask
// registries turned off unless asked for), and its CPU time read from /proc.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:https';
import { parseDocument } from 'yaml';
import { generateCa, generateServingCertificate } from '../src/certs/generate.js';
import { RULES } from '../src/rules/index.js';
import { freePort } from '../test/harness/free-port.js';
import { imageNodeFlags } from './image-node-flags.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));

export interface BenchServer {
  readonly port: number;
  readonly ca: string;
  readonly registryRules: boolean;
  /** user + system CPU seconds the server has used (Linux /proc; NaN elsewhere). */
  cpuSeconds(): number;
  stop(): void;
}

function ready(port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path: '/readyz', ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function startBenchServer({ registryRules }: { registryRules: boolean }): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-hygiene-bench-'));
  const ca = generateCa();
  const leaf = generateServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
  const policy = parseDocument(readFileSync(join(REPO, 'policies/default.yaml'), 'utf8'));
  if (!registryRules)
    for (const rule of RULES) if (rule.needsRegistry) policy.setIn(['rules', rule.id, 'action'], 'off');
  writeFileSync(join(dir, 'policy.yaml'), policy.toString());
  const [port, metricsPort] = [await freePort(), await freePort()];
  // info level, as deployed: one log line per decision is part of the cost (written to /dev/null).
  const child = spawn(
    process.execPath,
    [
      ...imageNodeFlags(),
      join(REPO, 'dist/main.js'),
      ...['--host', '127.0.0.1', '--port', `${port}`, '--metrics-port', `${metricsPort}`],
      ...['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), '--drain-delay', '0'],
      ...['--policy', join(dir, 'policy.yaml')],
    ],
    { stdio: 'ignore' },
  );
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.on('exit', stop);
  const until = Date.now() + 20_000;
  while (!(await ready(port, ca.certPem))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error('the server did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    ca: ca.certPem,
    registryRules,
    cpuSeconds() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
      } catch {
        return NaN;
      }
    },
    stop,
  };
}
