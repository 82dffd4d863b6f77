// The cluster `audit` is tested against: the homelab situation this project exists for (two
// HPAs left behind by deleted Deployments, an image only the node that built it has, sprawl
// tags), a clean namespace next to it, and kube-system, which the policy exempts.
import type { StoredObject } from '../harness/apiserver/store.js';
import { hpa, namespace } from './fixtures.js';

const labels = (app: string) => ({ app });

// Every container asks for CPU and memory, so resource-requests finds nothing and the findings
// are the homelab's image and HPA problems alone.
function podSpec(image: string) {
  return { containers: [{ name: 'app', image, resources: { requests: { cpu: '50m', memory: '64Mi' } } }] };
}

function workload(apiVersion: string, kind: string, ns: string, name: string, image: string): StoredObject {
  const template = { metadata: { labels: labels(name) }, spec: podSpec(image) };
  const spec =
    kind === 'CronJob'
      ? { schedule: '0 3 * * *', jobTemplate: { spec: { template } } }
      : kind === 'Job'
        ? { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } }
        : { replicas: 1, selector: { matchLabels: labels(name) }, template };
  return { apiVersion, kind, metadata: { name, namespace: ns, labels: labels(name) }, spec };
}

const owner = (kind: string, name: string) => [
  { apiVersion: 'apps/v1', kind, name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true },
];

export const FAMILY_ASSISTANT_IMAGE = 'family-assistant:phase2-mcp-logging-fix';
export const WHISPER_IMAGE = '100.81.76.55:30500/whisper:fixed-v5';

export function auditSeed(): StoredObject[] {
  const replicaSet = workload(
    'apps/v1',
    'ReplicaSet',
    'homelab',
    'family-assistant-7d9f8',
    FAMILY_ASSISTANT_IMAGE,
  );
  replicaSet.metadata.ownerReferences = owner('Deployment', 'family-assistant');
  const pod: StoredObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'family-assistant-7d9f8-x2x7k',
      namespace: 'homelab',
      ownerReferences: owner('ReplicaSet', 'family-assistant-7d9f8'),
    },
    spec: podSpec(FAMILY_ASSISTANT_IMAGE),
  };
  return [
    namespace('homelab'),
    namespace('media'),
    namespace('kube-system'),
    workload('apps/v1', 'Deployment', 'homelab', 'family-assistant', FAMILY_ASSISTANT_IMAGE),
    replicaSet,
    pod,
    workload('apps/v1', 'Deployment', 'homelab', 'whisper-stt', WHISPER_IMAGE),
    workload('apps/v1', 'StatefulSet', 'homelab', 'postgres', 'docker.io/library/postgres:16.4-bookworm'),
    hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }, 'v1'),
    hpa('homelab', 'family-assistant-enhanced-hpa', {
      kind: 'Deployment',
      name: 'family-assistant-enhanced',
    }),
    hpa('homelab', 'family-assistant-hpa', { kind: 'Deployment', name: 'family-assistant' }),
    workload('apps/v1', 'Deployment', 'media', 'jellyfin', 'ghcr.io/linuxserver/jellyfin:10.9.11'),
    workload('apps/v1', 'DaemonSet', 'media', 'node-exporter', 'quay.io/prometheus/node-exporter:v1.8.2'),
    workload('batch/v1', 'CronJob', 'media', 'backup', 'ghcr.io/acme/backup:2025.11.17'),
    workload('batch/v1', 'Job', 'media', 'migrate', 'ghcr.io/acme/migrate:latest'),
    workload('v1', 'ReplicationController', 'media', 'legacy-proxy', 'docker.io/library/nginx:1.27.2'),
    workload('apps/v1', 'DaemonSet', 'kube-system', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.31.0'),
  ];
}
