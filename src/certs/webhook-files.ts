// What the certificate scripts write for a cluster, as text: the Secret the server mounts and the
// kustomize pieces that put the CA bundle into both webhook configurations. Pure: no files here.
import { stringify } from 'yaml';

export interface WebhookTarget {
  /** The Service the API server calls (deploy/base/service.yaml). */
  readonly service: string;
  readonly namespace: string;
}

export const DEFAULT_TARGET: WebhookTarget = { service: 'kube-hygiene', namespace: 'kube-hygiene' };
export const DEFAULT_SECRET_NAME = 'kube-hygiene-tls';
/** metadata.name of both webhook configurations and the names of their webhooks (deploy/base). */
export const WEBHOOK_CONFIGURATIONS = {
  ValidatingWebhookConfiguration: {
    name: 'kube-hygiene',
    webhooks: ['validate.kube-hygiene.io', 'warn.kube-hygiene.io', 'audit.kube-hygiene.io'],
  },
  MutatingWebhookConfiguration: { name: 'kube-hygiene', webhooks: ['mutate.kube-hygiene.io'] },
} as const;

/**
 * The names the API server may dial: it verifies `<svc>.<ns>.svc` against the SANs (a CN alone
 * fails since Kubernetes 1.19); the other forms cover clients inside the namespace and the FQDN.
 */
export function serviceDnsNames({ service, namespace }: WebhookTarget): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A kubernetes.io/tls Secret; ca.crt carries the bundle too, so the chain is inspectable in-cluster. */
export function secretManifest(o: {
  name: string;
  namespace: string;
  certPem: string;
  keyPem: string;
  caBundlePem: string;
}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      // deploy/base's labels do not reach a component's objects: it carries them itself.
      labels: { 'app.kubernetes.io/name': 'kube-hygiene', 'app.kubernetes.io/part-of': 'kube-hygiene' },
    },
    data: { 'tls.crt': base64(o.certPem), 'tls.key': base64(o.keyPem), 'ca.crt': base64(o.caBundlePem) },
  });
}

/**
 * Strategic-merge patches setting caBundle on every webhook of both configurations: `webhooks` merges by name, so
 * everything else in deploy/base stays as written.
 */
export function caBundlePatch(caBundlePem: string): string {
  return Object.entries(WEBHOOK_CONFIGURATIONS)
    .map(([kind, c]) =>
      stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind,
        metadata: { name: c.name },
        webhooks: c.webhooks.map((name) => ({ name, clientConfig: { caBundle: base64(caBundlePem) } })),
      }),
    )
    .join('---\n');
}

/** Where the Deployment mounts the Secret (the same in deploy/components/cert-manager). */
export const MOUNT_PATH = '/etc/kube-hygiene/tls';

/**
 * The Deployment's side of a provided certificate: the Secret mounted, and the server told to
 * serve its files (deploy/base has no certificate of its own: each source brings its wiring).
 */
export function deploymentPatch(secretName: string): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kube-hygiene' },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'kube-hygiene',
              env: [
                { name: 'KUBE_HYGIENE_CERT', value: `${MOUNT_PATH}/tls.crt` },
                { name: 'KUBE_HYGIENE_KEY', value: `${MOUNT_PATH}/tls.key` },
              ],
              volumeMounts: [{ name: 'tls', mountPath: MOUNT_PATH, readOnly: true }],
            },
          ],
          volumes: [{ name: 'tls', secret: { secretName } }],
        },
      },
    },
  });
}

export const SECRET_FILE = 'secret.yaml';
export const PATCH_FILE = 'ca-bundle-patch.yaml';

/**
 * A kustomize Component, so an overlay adds the Secret, its mount and the bundle with one line.
 * The Deployment patch is inline: a partial Deployment in a file of its own would be judged by
 * `kube-hygiene check deploy/`.
 */
export function componentKustomization(secretName: string): string {
  return [
    '# Written by certs-scripts/generate and certs-scripts/rotate: holds a private key, never commit it.',
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1alpha1',
      kind: 'Component',
      resources: [SECRET_FILE],
      patches: [{ path: PATCH_FILE }, { patch: deploymentPatch(secretName) }],
    }),
  ].join('\n');
}
