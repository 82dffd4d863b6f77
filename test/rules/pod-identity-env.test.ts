// pod-identity-env through handleReview, as the API server sees it: every patch is decoded
// from the AdmissionReview response and applied with a real RFC 6902 implementation.
import t from 'tap';
import jsonPatch from 'fast-json-patch';
import { deepFreeze } from '../fixtures/deep-freeze.js';
import { handleReview } from '../../src/admission/handle.js';
import { requestFor, type RequestOptions } from '../../src/admission/object-request.js';
import type { KubeObject } from '../../src/kube/workload.js';
import type { Endpoint } from '../../src/rules/rule.js';
import { compilePolicy, type CompiledPolicy } from '../../src/policy/compile.js';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.js';
import podIdentityEnv from '../../src/rules/pod-identity-env.js';
import { REQUESTS } from '../fixtures/objects.js';

const defaults = loadPolicyFile();
const GOOD = 'ghcr.io/acme/api:v1.4.2';
const POD_NAME = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };
const POD_NAMESPACE = { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } };

type Container = Record<string, unknown>;
interface PodOptions {
  annotations?: Record<string, string>;
  initContainers?: Container[];
}

function pod(containers: Container[], o: PodOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'team', ...(o.annotations && { annotations: o.annotations }) },
    spec: { ...(o.initContainers && { initContainers: o.initContainers }), containers },
  };
}

const c = (name: string, extra: Container = {}): Container => ({
  name,
  image: GOOD,
  resources: structuredClone(REQUESTS),
  ...extra,
});

interface Call extends RequestOptions {
  endpoint?: Endpoint;
  policy?: CompiledPolicy;
}

async function admit(object: KubeObject, { endpoint = 'mutate', policy = defaults, ...request }: Call = {}) {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: requestFor(object, request),
  };
  const outcome = await handleReview(deepFreeze(structuredClone(review)), endpoint, { policy });
  if (!outcome.answered) throw new Error(outcome.body.error.message);
  const { response } = outcome.body;
  const ops: jsonPatch.Operation[] = response.patch
    ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))
    : [];
  const patched = jsonPatch.applyPatch(structuredClone(object), ops, true, false).newDocument as KubeObject;
  return { response, ops, patched };
}

/** The env of each container of a Pod, by name. */
function envs(object: KubeObject, list: 'containers' | 'initContainers' = 'containers') {
  const spec = object.spec as Record<string, Container[] | undefined>;
  return Object.fromEntries((spec[list] ?? []).map((x) => [x.name, x.env]));
}

t.test('sidecars get both variables, appended after their own; the main container does not', async (t) => {
  const original = pod([
    c('app'),
    c('sidecar', { futureField: { kept: [1, 2] } }),
    c('log-shipper', { env: [{ name: 'LEVEL', value: 'info' }] }),
  ]);
  const { response, ops, patched } = await admit(original);
  t.equal(response.allowed, true);
  t.equal(response.patchType, 'JSONPatch');
  t.notOk(response.warnings, 'a patch is not a warning');
  const expected = pod([
    c('app'),
    c('sidecar', { futureField: { kept: [1, 2] }, env: [POD_NAME, POD_NAMESPACE] }),
    c('log-shipper', { env: [{ name: 'LEVEL', value: 'info' }, POD_NAME, POD_NAMESPACE] }),
  ]);
  t.strictSame(patched, expected, 'env created where missing, appended where present, unknown fields kept');
  t.strictSame(
    ops.map((op) => `${op.op} ${op.path}`),
    ['add /spec/containers/1/env', 'add /spec/containers/2/env/-', 'add /spec/containers/2/env/-'],
  );

  const again = await admit(patched);
  t.notOk(again.response.patch, 'a second pass over the patched pod yields no patch');
  t.notOk(again.response.patchType);
});

t.test('a variable of that name is never overwritten or duplicated, whatever its source', async (t) => {
  const own = [
    { name: 'POD_NAME', value: 'fixed' },
    { name: 'POD_NAMESPACE', valueFrom: { configMapKeyRef: { name: 'cm', key: 'ns' } } },
  ];
  const full = await admit(pod([c('app'), c('sidecar', { env: own })]));
  t.notOk(full.response.patch, 'both present: no patch');
  const half = await admit(
    pod([
      c('app'),
      c('sidecar', { env: [{ name: 'POD_NAME', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }),
    ]),
  );
  t.strictSame(envs(half.patched).sidecar, [
    { name: 'POD_NAME', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    POD_NAMESPACE,
  ]);
});

t.test('native sidecars are covered; plain init containers are not', async (t) => {
  const original = pod([c('app')], {
    initContainers: [c('migrate'), c('proxy', { restartPolicy: 'Always' })],
  });
  const { patched } = await admit(original);
  t.strictSame(envs(patched, 'initContainers'), { migrate: undefined, proxy: [POD_NAME, POD_NAMESPACE] });
  t.strictSame(envs(patched), { app: undefined }, 'a single regular container is the main one');
});

t.test('the main container is the kubectl default-container, else the first', async (t) => {
  const annotations = { 'kubectl.kubernetes.io/default-container': 'server' };
  const { patched } = await admit(pod([c('proxy'), c('server')], { annotations }));
  t.strictSame(envs(patched), { proxy: [POD_NAME, POD_NAMESPACE], server: undefined });
  const unknown = { 'kubectl.kubernetes.io/default-container': 'nope' };
  const fallback = await admit(pod([c('proxy'), c('server')], { annotations: unknown }));
  t.strictSame(envs(fallback.patched), { proxy: undefined, server: [POD_NAME, POD_NAMESPACE] });
});

t.test('containers: all, and the per-pod annotation', async (t) => {
  const all = parsePolicy('rules:\n  pod-identity-env:\n    containers: all\n', 'all.yaml');
  const everyone = await admit(pod([c('app'), c('side')], { initContainers: [c('init')] }), { policy: all });
  t.strictSame(envs(everyone.patched), { app: [POD_NAME, POD_NAMESPACE], side: [POD_NAME, POD_NAMESPACE] });
  t.strictSame(envs(everyone.patched, 'initContainers'), { init: [POD_NAME, POD_NAMESPACE] });

  const key = 'kube-hygiene.io/pod-identity';
  const viaAnnotation = await admit(pod([c('app'), c('side')], { annotations: { [key]: 'all' } }));
  t.strictSame(
    Object.keys(envs(viaAnnotation.patched)).filter((n) => envs(viaAnnotation.patched)[n]),
    ['app', 'side'],
  );

  const off = await admit(pod([c('app'), c('side')], { annotations: { [key]: 'off' } }), { policy: all });
  t.notOk(off.response.patch, 'off wins over the policy');

  const named = await admit(
    pod([c('app'), c('side'), c('other')], { annotations: { [key]: ' app , other' } }),
  );
  t.strictSame(envs(named.patched), {
    app: [POD_NAME, POD_NAMESPACE],
    side: undefined,
    other: [POD_NAME, POD_NAMESPACE],
  });
  t.notOk(named.response.warnings);

  const typo = await admit(pod([c('app'), c('side')], { annotations: { [key]: 'side,sidecar' } }));
  t.strictSame(
    envs(typo.patched),
    { app: undefined, side: [POD_NAME, POD_NAMESPACE] },
    'the names found apply',
  );
  t.match(typo.response.warnings, [/names "sidecar", which this pod has no container called/]);
});

t.test('an invalid annotation value is a warning, and the policy applies', async (t) => {
  for (const value of ['', 'Sidecars!', 'app,,side', 'app;side']) {
    const annotations = { 'kube-hygiene.io/pod-identity': value };
    const { response, patched } = await admit(pod([c('app'), c('side')], { annotations }));
    t.equal(response.allowed, true, `${JSON.stringify(value)}: allowed`);
    t.match(response.warnings, [
      /^\[pod-identity-env\] annotation kube-hygiene\.io\/pod-identity: .* fix the annotation$/,
    ]);
    t.strictSame(
      envs(patched).side,
      [POD_NAME, POD_NAMESPACE],
      `${JSON.stringify(value)}: sidecars still patched`,
    );
  }
});

t.test('the validating endpoint never patches; templates get a preview there', async (t) => {
  const original = pod([c('app'), c('sidecar')]);
  const { response } = await admit(original, { endpoint: 'validate' });
  t.strictSame(Object.keys(response).sort(), ['allowed', 'uid'], 'a Pod on /validate: no patch, no warning');

  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team' },
    spec: {
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [c('app'), c('sidecar'), c('log-shipper', { env: [POD_NAME] })] },
      },
    },
  };
  for (const operation of ['CREATE', 'UPDATE'] as const) {
    const validate = await admit(deployment, { endpoint: 'validate', operation, oldObject: deployment });
    t.notOk(validate.response.patch);
    t.match(validate.response.warnings, [
      /^\[pod-identity-env\] pods will get POD_NAME, POD_NAMESPACE in container sidecar; POD_NAMESPACE in container log-shipper/,
    ]);
  }
  t.notOk((await admit(deployment)).response.patch, 'templates are left alone on /mutate by default');

  const mutateTemplates = parsePolicy('rules:\n  pod-identity-env:\n    mutateTemplates: true\n', 'm.yaml');
  const written = await admit(deployment, { policy: mutateTemplates });
  const spec = (written.patched.spec as { template: { spec: { containers: Container[] } } }).template.spec;
  t.strictSame(
    spec.containers.map((x) => x.env),
    [undefined, [POD_NAME, POD_NAMESPACE], [POD_NAME, POD_NAMESPACE]],
  );
  const after = await admit(written.patched, { endpoint: 'validate', policy: mutateTemplates });
  t.notOk(after.response.warnings, 'once written, nothing left to preview');
});

t.test('templates owned by a controller are neither previewed nor patched', async (t) => {
  const replicaSet = (owned: boolean): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'web-5d9c7',
      namespace: 'team',
      ...(owned && {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u', controller: true },
        ],
      }),
    },
    spec: { template: { spec: { containers: [c('app'), c('sidecar')] } } },
  });
  const mutateTemplates = parsePolicy('rules:\n  pod-identity-env:\n    mutateTemplates: true\n', 'm.yaml');
  const username = 'system:serviceaccount:kube-system:deployment-controller';
  const owned = replicaSet(true);
  t.notOk(
    (await admit(owned, { endpoint: 'validate', username })).response.warnings,
    'previewed at its owner',
  );
  // Patching it alone would leave it unlike its Deployment's template: the controller would make another.
  t.notOk((await admit(owned, { policy: mutateTemplates, username })).response.patch);
  const own = await admit(replicaSet(false), { policy: mutateTemplates });
  t.ok(own.response.patch, 'a ReplicaSet a person wrote is patched like a Deployment');
});

t.test('Pods are patched on CREATE only; dry-run gets the same patch', async (t) => {
  const original = pod([c('app'), c('sidecar')]);
  const real = await admit(original);
  const dry = await admit(original, { dryRun: true });
  t.strictSame(dry.ops, real.ops);
  t.ok(real.ops.length);
  const update = await admit(original, { operation: 'UPDATE', oldObject: original });
  t.notOk(update.response.patch, "a running pod's env cannot change");
});

t.test('pods created by a controller are patched too', async (t) => {
  const original = pod([c('app'), c('sidecar', { image: 'nginx:latest' })]);
  original.metadata!.ownerReferences = [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u', controller: true },
  ];
  const { patched } = await admit(original, {
    username: 'system:serviceaccount:kube-system:replicaset-controller',
  });
  t.strictSame(envs(patched).sidecar, [POD_NAME, POD_NAMESPACE]);
});

t.test('action off turns the rule off', async (t) => {
  const off = parsePolicy('rules:\n  pod-identity-env:\n    action: off\n', 'off.yaml');
  t.notOk((await admit(pod([c('app'), c('sidecar')]), { policy: off })).response.patch);
});

t.test('keys with / and ~ next to the patched paths come through the whole pipeline intact', async (t) => {
  const annotations = { 'example.com/a~b': 'x', 'kube-hygiene.io/pod-identity': 'sidecars' };
  const original = pod([c('app'), c('sidecar')], { annotations });
  original.metadata!.labels = { 'app.kubernetes.io/name': 'web', '~': 'tilde' };
  // A rule that also writes annotations, as node-arch and image-digest will, next to the env it adds.
  const annotating = {
    ...podIdentityEnv,
    evaluate(...[ctx, options]: Parameters<typeof podIdentityEnv.evaluate>) {
      const out = podIdentityEnv.evaluate(ctx, options);
      ctx.edits.set('/metadata', ['annotations', 'example.com/a~b'], 'y');
      ctx.edits.set('/metadata', ['annotations', 'kube-hygiene.io/env~1'], 'added');
      return out;
    },
  };
  const policy = compilePolicy(defaults.policy, [annotating]);
  const { ops, patched } = await admit(original, { policy });
  t.ok(
    ops.some((op) => op.path === '/metadata/annotations/example.com~1a~0b'),
    'escaped once, per RFC 6901',
  );
  t.ok(ops.some((op) => op.path === '/metadata/annotations/kube-hygiene.io~1env~01'));
  t.strictSame(patched.metadata!.annotations, {
    'example.com/a~b': 'y',
    'kube-hygiene.io/pod-identity': 'sidecars',
    'kube-hygiene.io/env~1': 'added',
  });
  t.strictSame(patched.metadata!.labels, { 'app.kubernetes.io/name': 'web', '~': 'tilde' });
  t.strictSame(envs(patched).sidecar, [POD_NAME, POD_NAMESPACE]);
  t.notOk((await admit(patched, { policy })).response.patch, 'and a second pass yields no patch');
});

t.test('a template of 5,000 sidecars: the preview names a few and counts the rest', async (t) => {
  const containers = Array.from({ length: 5_000 }, (_, i) => c(`c${i}`));
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team' },
    spec: { template: { metadata: {}, spec: { containers } } },
  };
  const { response } = await admit(deployment, { endpoint: 'validate' });
  const preview = response.warnings!.find((w) => w.startsWith('[pod-identity-env] pods will get'));
  t.equal(
    preview,
    '[pod-identity-env] pods will get POD_NAME, POD_NAMESPACE in containers c1, c2, c3, c4, c5, c6, c7, c8 and 4991 more (downward API); to opt out, annotate the pod template kube-hygiene.io/pod-identity: "off"',
  );
});

t.test('a rule that throws after editing leaves no operation; the rules after it still run', async (t) => {
  const breaking = {
    ...podIdentityEnv,
    id: 'image-tag',
    endpoints: ['mutate'],
    evaluate(ctx: Parameters<typeof podIdentityEnv.evaluate>[0]): never {
      ctx.edits.set('/metadata', ['labels', 'half-made'], 'yes');
      ctx.edits.append('/spec/containers/1', ['env'], { name: 'HALF', value: 'made' });
      throw new Error('lost its way');
    },
  } as unknown as typeof podIdentityEnv;
  // The breaking rule runs first, pod-identity-env after it.
  const policy = compilePolicy(defaults.policy, [breaking, podIdentityEnv]);
  const { response, ops, patched } = await admit(pod([c('app'), c('sidecar')]), { policy });
  t.equal(response.allowed, true);
  t.ok(
    response.warnings?.some((w) => w.includes('rule image-tag could not check this object (lost its way)')),
    'the failure is said',
  );
  t.strictSame(
    ops,
    [{ op: 'add', path: '/spec/containers/1/env', value: [POD_NAME, POD_NAMESPACE] }],
    'nothing of the broken rule in the patch',
  );
  t.strictSame(envs(patched).sidecar, [POD_NAME, POD_NAMESPACE], 'the later rule still edited');
  t.equal(patched.metadata!.labels, undefined);
});
