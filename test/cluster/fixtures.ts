// Cluster objects for the API stand-in and a view wired to it, built fresh per use.
import { eventually } from '../harness/eventually.js';
import { KubeConfig } from '@kubernetes/client-node';
import type { Test } from 'tap';
import { startApiServer, type ApiServer } from '../harness/apiserver/server.js';
import { kubeconfigText } from '../harness/apiserver/kubeconfig.js';
import type { StoredObject } from '../harness/apiserver/store.js';
import { ClusterView, type ClusterViewOptions } from '../../src/cluster/view.js';

export function workload(
  kind: 'Deployment' | 'StatefulSet' | 'ReplicaSet',
  namespace: string,
  name: string,
): StoredObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'ghcr.io/acme/app:v1.0.0',
              env: [{ name: 'BIG', value: 'x'.repeat(2000) }],
            },
          ],
        },
      },
    },
  };
}

export function hpa(
  namespace: string,
  name: string,
  target: { kind: string; name: string; apiVersion?: string },
  version: 'v1' | 'v2' = 'v2',
): StoredObject {
  const scaleTargetRef = { apiVersion: 'apps/v1', ...target };
  const spec =
    version === 'v2'
      ? {
          scaleTargetRef,
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        }
      : { scaleTargetRef, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80 };
  return {
    apiVersion: `autoscaling/${version}`,
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace },
    spec,
  };
}

export function namespace(name: string, mode?: string): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, ...(mode ? { labels: { 'kube-hygiene.io/mode': mode } } : {}) },
  };
}

export function kubeConfigFor(api: ApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigText(api));
  return kc;
}

/** Passes once `check` holds (polling); fails the test after `ms`. */
export async function assertEventually(
  t: Test,
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<void> {
  const held = await eventually(check, ms, what).then(
    () => true,
    () => false,
  );
  if (held) t.pass(what);
  else t.fail(`${what}: not within ${ms} ms`);
}

/** A stand-in, and a view of it that both stop when the test ends. */
export async function standInWithView(
  t: Test,
  seed: StoredObject[] = [],
  options: ClusterViewOptions = {},
): Promise<{ api: ApiServer; view: ClusterView }> {
  const api = await startApiServer();
  for (const object of seed) api.store.put(object);
  const view = new ClusterView(kubeConfigFor(api), {
    deadlineMs: 1000,
    retry: { firstMs: 50, maxMs: 200 },
    ...options,
  });
  t.teardown(async () => {
    await view.stop();
    await api.close();
  });
  return { api, view };
}
