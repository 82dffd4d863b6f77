// kube-hygiene in a real API server's write path: `serve` runs on the host as its own process,
// as deploy/'s ServiceAccount (a token the API server issued) with deploy/'s RBAC, and the
// webhook configurations rendered from a deploy/ overlay are registered with clientConfig.url
// pointing at it, so the rules, selectors, failure policies and timeouts under test are the
// shipped ones.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployCopy, render, type KubeObject, type Overlay } from '../../deploy/render.js';
import { request } from '../tls.js';
import { killIfRunning, spawnServer, type ServerProcess } from '../server-process.js';
import type { ControlPlane } from './control-plane.js';

export interface KubeHygiene {
  readonly port: number;
  readonly process: ServerProcess;
  readonly policyFile: string;
  /** The webhook configurations as registered (url clientConfig). */
  readonly webhooks: readonly KubeObject[];
  /** Stops the process by PID (SIGTERM; SIGKILL if it has not exited after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** Starts the process again on the same port with the same settings. */
  restart(): Promise<void>;
  ready(): Promise<boolean>;
}

export interface KubeHygieneOptions {
  readonly overlay: Extract<Overlay, 'audit' | 'enforce' | 'enforce-strict-placement'>;
  /** The policy file's text (keys it changes; the rest are the embedded defaults). */
  readonly policy: string;
}

/** Registry rules off: no test may send the product to a registry off this machine. */
export const OFFLINE_POLICY = `apiVersion: kube-hygiene.io/v1
kind: Policy
mode: enforce
rules:
  node-arch: { action: 'off' }
  image-exists: { action: 'off' }
`;

/** Enforce, with every registry rule on and image lookups sent to a registry on loopback. */
export const registryPolicy = (host: string) => `apiVersion: kube-hygiene.io/v1
kind: Policy
mode: enforce
registries: { '${host}': { insecure: true, allowPrivateAddress: true } }
`;

const RBAC_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);
const WEBHOOK_KINDS = new Set(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

let started = 0;
let rendered: Map<string, KubeObject[]> | undefined;
function overlayObjects(overlay: string): KubeObject[] {
  rendered ??= new Map();
  let objects = rendered.get(overlay);
  if (!objects) {
    objects = render(deployCopy(), overlay);
    rendered.set(overlay, objects);
  }
  return structuredClone(objects);
}

async function mustApply(plane: ControlPlane, objects: unknown[]) {
  const result = await plane.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  if (result.code !== 0) throw new Error(`kubectl apply failed:\n${result.stderr}`);
}

export async function startKubeHygiene(
  plane: ControlPlane,
  options: KubeHygieneOptions,
): Promise<KubeHygiene> {
  const objects = overlayObjects(options.overlay);
  await mustApply(
    plane,
    objects.filter((o) => RBAC_KINDS.has(o.kind)),
  );
  const serviceAccount = objects.find((o) => o.kind === 'ServiceAccount')!;
  const { name, namespace } = serviceAccount.metadata as { name: string; namespace: string };
  const kubeconfig = await plane.kubeconfigForServiceAccount(namespace, name);
  // The API server calls https://127.0.0.1:PORT: the serving certificate names that address.
  const instance = `kube-hygiene-${++started}`;
  const cert = plane.pki.server(instance);
  const policyFile = join(plane.dir, `${instance}-policy.yaml`);
  writeFileSync(policyFile, options.policy);

  let port = 0;
  const spawn = () =>
    spawnServer([
      'dist/cli/main.js',
      'serve',
      ...['--host', '127.0.0.1', '--port', String(port), '--metrics-port', '0'],
      '--cert',
      cert.cert,
      '--key',
      cert.key,
      '--policy',
      policyFile,
      '--kubeconfig',
      kubeconfig,
      '--drain-delay',
      '0',
    ]);
  let process = spawn();
  port = await process.port;

  const untilReady = async () => {
    for (let i = 0; i < 300; i++) {
      if (await ready()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const why = await request({ port, ca: plane.pki.caPem, path: '/readyz' }).then((r) => r.text, String);
    throw new Error(`kube-hygiene was not ready within 30 s: ${why}`);
  };
  const ready = async () => {
    try {
      return (await request({ port, ca: plane.pki.caPem, path: '/readyz' })).status === 200;
    } catch {
      return false;
    }
  };
  await untilReady();

  const webhooks = objects
    .filter((o) => WEBHOOK_KINDS.has(o.kind))
    .map((o) => {
      for (const hook of o.webhooks as {
        clientConfig: { service?: { path?: string }; url?: string; caBundle?: string };
      }[]) {
        hook.clientConfig = {
          url: `https://127.0.0.1:${port}${hook.clientConfig.service?.path ?? '/'}`,
          caBundle: Buffer.from(plane.pki.caPem).toString('base64'),
        };
      }
      return o;
    });
  await mustApply(plane, webhooks);
  // The API server reads webhook configurations through an informer: wait until a probe is judged.
  const probe = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'kube-hygiene-probe', namespace: 'default' },
    spec: { containers: [{ name: 'probe', image: 'probe:latest' }] },
  });
  for (let i = 0; ; i++) {
    const judged = await plane.kubectl(['create', '--dry-run=server', '-f', '-'], { input: probe });
    if (judged.stderr.includes('[image-tag]')) break;
    if (i === 100) throw new Error(`the API server does not call kube-hygiene:\n${judged.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const hygiene: KubeHygiene = {
    get port() {
      return port;
    },
    get process() {
      return process;
    },
    policyFile,
    webhooks,
    async stop(graceMs = 10_000) {
      if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGTERM');
      const timer = setTimeout(() => killIfRunning(process), graceMs);
      await process.exited;
      clearTimeout(timer);
    },
    async restart() {
      await hygiene.stop();
      process = spawn();
      await process.port;
      await untilReady();
    },
    ready,
  };
  return hygiene;
}
