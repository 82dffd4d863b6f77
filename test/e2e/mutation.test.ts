// Scenario 4 against the real API server: a Pod a person creates is stored with POD_NAME and
// POD_NAMESPACE in its sidecar and the kubernetes.io/arch placement its images share (asked of a
// real registry on loopback). A second mutating webhook that edits the Pod after us makes the API
// server call us again (reinvocationPolicy: IfNeeded): the second call changes nothing.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { registryPolicy, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { AuthMode, startSeededRegistry } from '../harness/registry/registries.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const registry = await startSeededRegistry(AuthMode.plain);
t.teardown(() => registry.stop());
const host = registry.registry.host;
const plane = await startControlPlane();
t.teardown(() => plane.stop());
const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: registryPolicy(host) });
t.teardown(() => hygiene.stop());
await plane.kubectl(['create', 'namespace', 'placement']);

// Another team's mutating webhook, called after ours (configurations run in name order): it adds
// a label to every Pod, which is what makes the API server reinvoke the webhooks before it.
const labellerCert = plane.pki.server('labeller');
const labeller = createServer(
  { cert: readFileSync(labellerCert.cert), key: readFileSync(labellerCert.key) },
  (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as { request: { uid: string } };
      const patch = [{ op: 'add', path: '/metadata/labels', value: { 'team.example.com/labelled': 'true' } }];
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid: review.request.uid,
            allowed: true,
            patchType: 'JSONPatch',
            patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          },
        }),
      );
    });
  },
);
await new Promise<void>((resolve) => labeller.listen(0, '127.0.0.1', resolve));
t.teardown(() => labeller.close());
const labellerPort = (labeller.address() as AddressInfo).port;
const registered = await plane.kubectl(['apply', '-f', '-'], {
  input: JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'zz-labeller' },
    webhooks: [
      {
        name: 'labeller.team.example.com',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        clientConfig: {
          url: `https://127.0.0.1:${labellerPort}/`,
          caBundle: Buffer.from(plane.pki.caPem).toString('base64'),
        },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'placement' } },
        objectSelector: {
          matchExpressions: [{ key: 'team.example.com/labelled', operator: 'DoesNotExist' }],
        },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      },
    ],
  }),
});
if (registered.code !== 0) throw new Error(registered.stderr);

interface StoredPod {
  metadata: { labels?: Record<string, string> };
  spec: {
    nodeSelector?: Record<string, string>;
    containers: {
      name: string;
      env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
    }[];
  };
}

t.test(
  'a person’s Pod is stored with the sidecar env and the arch placement; reinvocation changes nothing',
  async (t) => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api', namespace: 'placement' },
      spec: {
        containers: [
          { name: 'api', image: `${host}/amd64only:v2.1.0` },
          { name: 'log-shipper', image: `${host}/multi:v1.0.0` },
        ],
      },
    };
    const created = await plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
    t.equal(created.code, 0, created.stderr);
    const stored = JSON.parse(
      (await plane.kubectl(['get', 'pod', 'api', '-n', 'placement', '-o', 'json'])).stdout,
    ) as StoredPod;
    t.same(
      stored.spec.nodeSelector,
      { 'kubernetes.io/arch': 'amd64' },
      'the one architecture both images have',
    );
    t.same(
      stored.spec.containers.map((c) => [
        c.name,
        (c.env ?? []).map((e) => `${e.name}=${e.valueFrom?.fieldRef?.fieldPath}`),
      ]),
      [
        ['api', []],
        ['log-shipper', ['POD_NAME=metadata.name', 'POD_NAMESPACE=metadata.namespace']],
      ],
      'the sidecar got the downward-API variables once, the main container nothing',
    );
    t.equal(
      stored.metadata.labels?.['team.example.com/labelled'],
      'true',
      'the other webhook ran after ours',
    );

    const event = plane
      .auditEvents()
      .find((e) => e.verb === 'create' && e.objectRef?.resource === 'pods' && e.objectRef.name === 'api');
    const rounds = Object.entries(event?.annotations ?? {})
      .filter(([key]) => key.startsWith('mutation.webhook.admission.k8s.io/'))
      .map(([key, value]) => {
        const { webhook, mutated } = JSON.parse(value) as { webhook: string; mutated: boolean };
        return `${key.slice('mutation.webhook.admission.k8s.io/'.length)} ${webhook} mutated=${mutated}`;
      })
      .sort();
    t.same(
      rounds,
      [
        'round_0_index_0 mutate.kube-hygiene.io mutated=true',
        'round_0_index_1 labeller.team.example.com mutated=true',
        'round_1_index_0 mutate.kube-hygiene.io mutated=false',
      ],
      'the API server called us again after the labeller, and our second answer changed nothing',
    );
  },
);
