// The real server started in-process for a test: kubelet-style certificate volume, a policy
// file if asked, port 0, captured JSON logs, and a stop that the test's teardown calls.
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import { readConfig } from '../../src/config.js';
import { start, type RunningServer, type StartOptions } from '../../src/main.js';
import { KubeletVolume, request, tempDir, testPki, type HttpsResponse } from './tls.js';
import { EPHEMERAL_LOOPBACK } from './server-process.js';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface TestServer {
  readonly running: RunningServer;
  readonly port: number;
  readonly metricsPort: number;
  readonly ca: string;
  readonly certificates: KubeletVolume;
  /** The policy file, when one was given. */
  readonly policyFile?: string;
  readonly logs: LogLine[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpsResponse>;
  get(path: string): Promise<HttpsResponse>;
  metrics(): Promise<string>;
  stop(): Promise<boolean>;
}

export interface TestServerOptions {
  /** Policy YAML written to a file and passed as --policy. */
  readonly policy?: string;
  readonly args?: readonly string[];
  /** Rules to judge with instead of the real list (a slow rule, to hold requests in flight). */
  readonly rules?: StartOptions['rules'];
  /** Engine collaborators (a namespace-mode lookup), as the cluster view will pass them. */
  readonly engine?: StartOptions['engine'];
  readonly readinessChecks?: StartOptions['readinessChecks'];
  /** Cluster view pacing (short retries and deadlines); the cluster itself comes from --kubeconfig in args. */
  readonly cluster?: StartOptions['cluster'];
  /** Registry lookups on (main() has them on; off here unless a test asks). */
  readonly registryLookups?: StartOptions['registryLookups'];
  /** `debug` to capture the lines a test must prove clean (objects, skipped secrets). */
  readonly logLevel?: 'info' | 'debug';
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const pki = testPki();
  const leaf = pki.issue();
  const dir = tempDir();
  const certificates = new KubeletVolume(join(dir, 'tls'), {
    'tls.crt': leaf.certPem,
    'tls.key': leaf.keyPem,
  });
  let policyFile: string | undefined;
  if (options.policy !== undefined) {
    policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, options.policy);
  }
  const args = [
    ...EPHEMERAL_LOOPBACK,
    ...['--drain-delay', '0', '--shutdown-grace', '5'],
    ...['--cert', certificates.path('tls.crt'), '--key', certificates.path('tls.key')],
    ...(policyFile ? ['--policy', policyFile] : []),
    ...(options.args ?? []),
  ];
  const config = readConfig(args, {});
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino(
    { level: options.logLevel ?? 'info', formatters: { level: (label) => ({ level: label }) } },
    sink,
  );
  const running = await start(config, {
    logger,
    rules: options.rules,
    engine: options.engine,
    readinessChecks: options.readinessChecks,
    cluster: options.cluster,
    registryLookups: options.registryLookups,
    watch: { debounceMs: 50, pollMs: 0 },
  });
  const ca = pki.ca.certPem;
  const { port, metricsPort } = running;
  return {
    running,
    port,
    metricsPort,
    ca,
    certificates,
    policyFile,
    logs,
    post: (path, body, headers) =>
      request({ port, ca, path, body: typeof body === 'string' ? body : JSON.stringify(body), headers }),
    get: (path) => request({ port, ca, path }),
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    stop: () => running.stop(),
  };
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
