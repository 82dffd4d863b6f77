// The API server's side of an install: from a rendered overlay it knows only the webhook
// configurations (service, path, caBundle) and the pods run only what the Secret and ConfigMap
// give them. The real server is started with exactly those (for the managed overlays: the
// certificate and bundle the server would write, for the names the Deployment's settings give),
// and called the way the API server calls it: TLS trusting the caBundle alone, servername
// <service>.<namespace>.svc, the path and ?timeout from the configuration. The answers follow the
// overlay's mode; patches apply.
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import jsonPatch, { type Operation } from 'fast-json-patch';
import { EPHEMERAL_LOOPBACK, REPO, killIfRunning, spawnServer } from '../harness/server-process.js';
import { tempDir } from '../harness/tls.js';
import { deployCopy, find, render, serverConfigOf, type KubeObject } from './render.js';
import { managedCertificateSettings } from '../../src/config.js';
import { applyStep } from '../../src/certs/managed-steps.js';
import { bundlePem } from '../../src/certs/managed-state.js';
import { StepKind } from '../../src/certs/renewal.js';
import { serviceDnsNames } from '../../src/certs/webhook-files.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML and reviews are read field by field */
interface Answer {
  status: number;
  response: {
    uid: string;
    allowed: boolean;
    warnings?: string[];
    status?: { code: number; message: string };
    patch?: string;
  };
}

/** One call as the API server makes it, to 127.0.0.1 standing in for the Service's address. */
function call(port: number, webhook: any, review: object): Promise<Answer> {
  const { service, caBundle } = webhook.clientConfig;
  const ca = Buffer.from(caBundle, 'base64').toString();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: `${service.name}.${service.namespace}.svc`,
        ca,
        path: `${service.path}?timeout=${webhook.timeoutSeconds}s`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { response: Answer['response'] };
          resolve({ status: res.statusCode ?? 0, response: body.response });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(review));
  });
}

/**
 * The serving pair: the provided Secret's, or for managed certificates the one the server makes
 * (src/certs/managed-steps.ts, for the names its settings give), with its bundle written into the
 * webhook configurations as the server writes it.
 */
function installedCertificate(objects: KubeObject[]): { cert: Buffer; key: Buffer } {
  const provided = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'kube-hygiene-tls');
  if (provided) {
    const data = provided.data as Record<string, string>;
    return { cert: Buffer.from(data['tls.crt']!, 'base64'), key: Buffer.from(data['tls.key']!, 'base64') };
  }
  const { namespace, service, hosts } = managedCertificateSettings(serverConfigOf(objects));
  const state = applyStep(
    undefined,
    StepKind.create,
    {
      namespace,
      commonName: `${service}.${namespace}.svc`,
      dnsNames: [...serviceDnsNames({ service, namespace }), ...hosts],
      ipAddresses: [],
      certValidityMs: 3_600_000,
      caValidityMs: 7_200_000,
    },
    Date.now(),
  );
  for (const o of objects.filter((o) => o.kind.endsWith('WebhookConfiguration')))
    for (const w of o.webhooks as any[])
      w.clientConfig.caBundle = Buffer.from(bundlePem(state)).toString('base64');
  return { cert: Buffer.from(state.serving.pem), key: Buffer.from(state.serving.keyPem) };
}

/** Starts `kube-hygiene serve` with the certificate and policy the overlay would give it. */
async function serveAsInstalled(t: Test, objects: KubeObject[]): Promise<number> {
  const dir = tempDir();
  const { cert, key } = installedCertificate(objects);
  writeFileSync(join(dir, 'tls.crt'), cert, { mode: 0o600 });
  writeFileSync(join(dir, 'tls.key'), key, { mode: 0o600 });
  const policy = find(objects, 'ConfigMap', 'kube-hygiene-policy').data as Record<string, string>;
  writeFileSync(join(dir, 'policy.yaml'), policy['policy.yaml']!);
  const server = spawnServer([
    join(REPO, 'dist/cli/main.js'),
    'serve',
    ...EPHEMERAL_LOOPBACK,
    ...['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), '--policy', join(dir, 'policy.yaml')],
  ]);
  t.teardown(() => killIfRunning(server));
  return server.port;
}

const deploymentReview = JSON.parse(
  readFileSync(join(REPO, 'examples/reviews/deployment-create.json'), 'utf8'),
);
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    containers: [
      { name: 'web', image: 'ghcr.io/acme/web:v1.4.2' },
      { name: 'log-shipper', image: 'ghcr.io/acme/log-shipper:v2.0.1' },
    ],
  },
};
const podReview = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '3b0c9d2e-0000-4000-8000-000000000001',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'shop',
    name: 'web',
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
    object: pod,
    dryRun: false,
  },
};

const deployDir = deployCopy();
for (const overlay of ['audit', 'enforce', 'provided-certificates'] as const) {
  t.test(`${overlay} overlay: the webhooks as the API server reaches them`, async (t) => {
    const objects = render(deployDir, overlay);
    const port = await serveAsInstalled(t, objects);
    const [validate] = find(objects, 'ValidatingWebhookConfiguration').webhooks as any[];
    const [mutate] = find(objects, 'MutatingWebhookConfiguration').webhooks as any[];

    const judged = await call(port, validate, deploymentReview);
    t.equal(judged.status, 200);
    t.equal(judged.response.uid, deploymentReview.request.uid);
    if (overlay === 'enforce') {
      t.equal(judged.response.allowed, false, 'enforce: denied');
      t.equal(judged.response.status?.code, 403);
      t.match(judged.response.status?.message, /\[image-tag\]/);
    } else {
      t.equal(judged.response.allowed, true, 'audit: allowed');
      t.match(
        judged.response.warnings?.join('\n'),
        /\[image-tag\] not denied \(audit mode\)/,
        'with the findings as warnings',
      );
    }

    const mutated = await call(port, mutate, podReview);
    t.equal(mutated.response.allowed, true);
    const patch = JSON.parse(
      Buffer.from(mutated.response.patch ?? '', 'base64').toString() || '[]',
    ) as Operation[];
    const patched = jsonPatch.applyPatch(structuredClone(pod), patch, true, false).newDocument as any;
    const env = (name: string) =>
      patched.spec.containers.find((c: any) => c.name === name).env?.map((e: any) => e.name);
    t.same(env('log-shipper'), ['POD_NAME', 'POD_NAMESPACE'], 'the sidecar gets its identity');
    t.equal(env('web'), undefined, 'the main container is left alone');
  });
}
