// A real control plane on 127.0.0.1 for end-to-end tests: etcd, kube-apiserver (audit log on)
// and kube-controller-manager, with certificates made now, an admin kubeconfig, and the real
// kubectl and helm pointed at it. No kubelet, scheduler or runtime: pods stay Pending, and
// everything kube-hygiene does happens at admission. Stopped by PID, data removed.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { controlPlaneBinaries, type Binaries } from './binaries.js';
import { makeControlPlanePki, type ControlPlanePki } from './pki.js';
import { startProcess, waitUntil, type Process } from './process.js';
import { freePort } from '../free-port.js';
import { tempDir } from '../tls.js';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface AuditEvent {
  readonly auditID: string;
  readonly stage: string;
  readonly verb: string;
  readonly user: { username: string };
  readonly objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  readonly responseStatus?: { code?: number; message?: string };
  readonly annotations?: Record<string, string>;
}

export interface ControlPlane {
  readonly dir: string;
  readonly binaries: Binaries;
  readonly pki: ControlPlanePki;
  readonly url: string;
  /** The admin's kubeconfig (group system:masters). */
  readonly kubeconfig: string;
  /** A kubeconfig for a client certificate of `user` in `groups`. */
  kubeconfigFor(name: string, user: string, groups?: readonly string[]): string;
  /** A kubeconfig with a token the API server issued (TokenRequest) for a ServiceAccount. */
  kubeconfigForServiceAccount(namespace: string, name: string): Promise<string>;
  kubectl(args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  helm(args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Every event the API server wrote to its audit log so far (level Metadata, stage ResponseComplete). */
  auditEvents(): AuditEvent[];
  /** Applies CRDs from the build's crds/ folder and waits until the API server serves them. */
  installCrds(files: readonly string[]): Promise<void>;
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface RunOptions {
  readonly input?: string;
  readonly kubeconfig?: string;
  readonly timeoutMs?: number;
}

// Reads are not worth a line: the tests look for writes and the annotations webhooks left on them.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ['RequestReceived']
rules:
  - level: None
    verbs: ['get', 'list', 'watch']
  - level: Metadata
`;

type Credentials = { cert: string; key: string } | { token: string };

export function writeKubeconfig(path: string, url: string, caFile: string, credentials: Credentials) {
  const user =
    'token' in credentials
      ? `{ token: '${credentials.token}' }`
      : `{ client-certificate: '${credentials.cert}', client-key: '${credentials.key}' }`;
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: { server: '${url}', certificate-authority: '${caFile}' }
users:
  - name: e2e
    user: ${user}
contexts:
  - name: e2e
    context: { cluster: e2e, user: e2e, namespace: default }
current-context: e2e
`,
  );
  return path;
}

function run(binary: string, args: readonly string[], env: NodeJS.ProcessEnv, options: RunOptions) {
  return new Promise<CommandResult>((resolve) => {
    const child = execFile(
      binary,
      [...args],
      { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // A command that exits before reading its input (the API server unreachable) closes the
    // pipe: its exit code and stderr say what happened, not an EPIPE thrown into the test.
    child.stdin!.on('error', () => {});
    child.stdin!.end(options.input ?? '');
  });
}

function readyz(url: string, pki: ControlPlanePki): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/readyz`,
      {
        ca: pki.caPem,
        cert: readFileSync(pki.admin.cert),
        key: readFileSync(pki.admin.key),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startControlPlane(): Promise<ControlPlane> {
  const binaries = controlPlaneBinaries();
  const dir = tempDir('kube-hygiene-e2e-');
  const pkiDir = join(dir, 'pki');
  mkdirSync(pkiDir);
  const pki = makeControlPlanePki(pkiDir);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const processes: Process[] = [];
  const stopAll = async () => {
    for (const p of processes.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startProcess(
      'etcd',
      binaries.etcd,
      [
        '--name=e2e',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=e2e=${peerUrl}`,
        // A throwaway store: durability buys nothing here and fsync is most of a write's time.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    processes.push(etcd);
    await waitUntil(etcd, () => fetch(`${etcdUrl}/health`).then((r) => r.ok), 30_000, 'healthy');

    const auditLog = join(dir, 'audit.log');
    writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
    const url = `https://127.0.0.1:${apiPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.serving.cert}`,
      `--tls-private-key-file=${pki.serving.key}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-key-file=${pki.serviceAccount.pub}`,
      `--service-account-signing-key-file=${pki.serviceAccount.key}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--authorization-mode=RBAC',
      // Addresses the API server hands out to Services; nothing here ever connects to them.
      '--service-cluster-ip-range=10.96.0.0/16',
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-mode=blocking',
      // The "kubernetes" Service's endpoints may not be a loopback address, and nothing here uses them.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
    ];
    let apiserver: Process | undefined;
    const startApiServer = async () => {
      apiserver = startProcess(
        'kube-apiserver',
        binaries.kubeApiserver,
        apiserverArgs,
        join(dir, 'apiserver.log'),
      );
      processes.push(apiserver);
      await waitUntil(apiserver, () => readyz(url, pki), 90_000, 'ready');
    };
    await startApiServer();

    const kubeconfig = writeKubeconfig(join(dir, 'admin.kubeconfig'), url, pki.caCert, pki.admin);
    const controllerManager = startProcess(
      'kube-controller-manager',
      binaries.kubeControllerManager,
      [
        `--kubeconfig=${writeKubeconfig(join(dir, 'kcm.kubeconfig'), url, pki.caCert, pki.controllerManager)}`,
        // Each controller acts as its own ServiceAccount (system:serviceaccount:kube-system:…),
        // as in every real cluster: that is the user kube-hygiene sees on controller-made pods.
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.serviceAccount.key}`,
        `--root-ca-file=${pki.caCert}`,
        '--controllers=serviceaccount,serviceaccount-token,namespace,deployment,replicaset,garbagecollector',
        '--leader-elect=false',
        '--secure-port=0',
      ],
      join(dir, 'controller-manager.log'),
    );
    processes.push(controllerManager);

    const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir, HELM_CACHE_HOME: join(dir, 'helm') };
    const plane: ControlPlane = {
      dir,
      binaries,
      pki,
      url,
      kubeconfig,
      kubeconfigFor: (name, user, groups) =>
        writeKubeconfig(join(dir, `${name}.kubeconfig`), url, pki.caCert, pki.client(name, user, groups)),
      kubeconfigForServiceAccount: async (namespace, name) => {
        const token = await plane.kubectl(['create', 'token', name, '-n', namespace, '--duration=24h']);
        if (token.code !== 0)
          throw new Error(`no token for ServiceAccount ${namespace}/${name}:\n${token.stderr}`);
        return writeKubeconfig(join(dir, `${namespace}-${name}.kubeconfig`), url, pki.caCert, {
          token: token.stdout.trim(),
        });
      },
      kubectl: (args, options = {}) =>
        run(binaries.kubectl, args, { ...env, KUBECONFIG: options.kubeconfig ?? kubeconfig }, options),
      helm: (args, options = {}) =>
        run(binaries.helm, args, { ...env, KUBECONFIG: options.kubeconfig ?? kubeconfig }, options),
      auditEvents: () =>
        existsSync(auditLog)
          ? readFileSync(auditLog, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as AuditEvent)
          : [],
      installCrds: async (files) => {
        for (const file of files) {
          const applied = await plane.kubectl(['apply', '--server-side', '-f', join(binaries.crds, file)]);
          if (applied.code !== 0) throw new Error(`${file}: ${applied.stderr}`);
        }
        const established = await plane.kubectl([
          'wait',
          '--for=condition=Established',
          '--timeout=60s',
          'crd',
          '--all',
        ]);
        if (established.code !== 0) throw new Error(established.stderr);
      },
      stopApiServer: async () => apiserver?.stop(),
      startApiServer,
      stop: stopAll,
    };
    // Pods need their namespace's "default" ServiceAccount (the ServiceAccount admission plugin):
    // the controller manager makes it, so wait for it before any test creates a pod.
    await waitUntil(
      controllerManager,
      async () => (await plane.kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0,
      60_000,
      'making ServiceAccounts',
    );
    return plane;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
