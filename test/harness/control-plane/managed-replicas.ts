// kube-hygiene installed with managed certificates against a real API server: the overlay's
// namespace, RBAC, empty Secret and Lease applied as shipped, replicas of `serve --certificates
// managed` on the host (each its own process, as deploy/'s ServiceAccount), a balancer standing
// in for the Service, and the overlay's webhook configurations registered with
// `clientConfig.url` pointing at the balancer and no caBundle: the replicas must write it.
import { join } from 'node:path';
import { deployCopy, render, type KubeObject } from '../../deploy/render.js';
import { startBalancer, type Balancer } from '../tcp-balancer.js';
import { killIfRunning, spawnServer, type ServerProcess } from '../server-process.js';
import { writeFileSync } from 'node:fs';
import type { ControlPlane } from './control-plane.js';

export interface ManagedReplica {
  readonly process: ServerProcess;
  readonly port: number;
  readonly metricsPort: number;
  /** SIGTERM and wait for the exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

export interface ManagedInstall {
  readonly objects: readonly KubeObject[];
  readonly balancer: Balancer;
  readonly replicas: ManagedReplica[];
  /** Starts one more replica and adds it behind the balancer. */
  addReplica(): Promise<ManagedReplica>;
  /** Stops a replica the way a pod goes: out of the balancer, then SIGTERM. */
  removeReplica(replica: ManagedReplica): Promise<void>;
  /** The objects applied as shipped, and the webhook configurations as registered. */
  readonly applied: readonly KubeObject[];
  stop(): Promise<void>;
}

export interface ManagedOptions {
  readonly overlay: 'audit' | 'enforce';
  readonly policy: string;
  readonly replicas: number;
  readonly certValidity: string;
  readonly caValidity: string;
}

const SHIPPED = new Set([
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Secret',
  'Lease',
]);

export async function applyObjects(plane: ControlPlane, objects: readonly unknown[]): Promise<void> {
  const result = await plane.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  if (result.code !== 0) throw new Error(`kubectl apply failed:\n${result.stderr}`);
}

export async function installManaged(plane: ControlPlane, options: ManagedOptions): Promise<ManagedInstall> {
  // A fresh clone: no deploy/certs.
  const objects = render(deployCopy({ certs: false }), options.overlay);
  const shipped = objects.filter((o) => SHIPPED.has(o.kind));
  await applyObjects(plane, shipped);
  const kubeconfig = await plane.kubeconfigForServiceAccount('kube-hygiene', 'kube-hygiene');
  const policyFile = join(plane.dir, 'managed-policy.yaml');
  writeFileSync(policyFile, options.policy);
  const balancer = await startBalancer();

  const webhooks = structuredClone(objects.filter((o) => o.kind.endsWith('WebhookConfiguration')));
  for (const o of webhooks)
    for (const hook of o.webhooks as { clientConfig: { service?: { path?: string }; url?: string } }[])
      hook.clientConfig = {
        url: `https://127.0.0.1:${balancer.port}${hook.clientConfig.service?.path ?? '/'}`,
      };
  await applyObjects(plane, webhooks);

  const replicas: ManagedReplica[] = [];
  const addReplica = async () => {
    const process = spawnServer([
      'dist/cli/main.js',
      'serve',
      ...['--host', '127.0.0.1', '--port', '0', '--metrics-port', '0'],
      ...['--certificates', 'managed', '--kubeconfig', kubeconfig, '--namespace', 'kube-hygiene'],
      ...[
        '--cert-hosts',
        '127.0.0.1',
        '--cert-validity',
        options.certValidity,
        '--ca-validity',
        options.caValidity,
      ],
      ...['--policy', policyFile, '--drain-delay', '2', '--shutdown-grace', '5'],
    ]);
    const port = await process.port;
    const listening = process.logs.find((l) => l.msg.startsWith('listening on'));
    const metricsPort = Number(/:(\d+)\/metrics$/.exec(String(listening?.metrics))?.[1]);
    const replica: ManagedReplica = {
      process,
      port,
      metricsPort,
      stop: async () => {
        if (process.child.exitCode === null && process.child.signalCode === null)
          process.child.kill('SIGTERM');
        const timer = setTimeout(() => killIfRunning(process), 15_000);
        await process.exited;
        clearTimeout(timer);
      },
    };
    replicas.push(replica);
    balancer.backends = replicas.map((r) => r.port);
    return replica;
  };
  for (let i = 0; i < options.replicas; i++) await addReplica();

  return {
    objects,
    balancer,
    replicas,
    addReplica,
    removeReplica: async (replica) => {
      replicas.splice(replicas.indexOf(replica), 1);
      balancer.backends = replicas.map((r) => r.port);
      await replica.stop();
    },
    applied: [...shipped, ...webhooks],
    stop: async () => {
      await Promise.all(replicas.map((r) => r.stop()));
      await balancer.close();
    },
  };
}
