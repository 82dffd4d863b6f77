// charts/kube-hygiene against the real API server, driven by the real helm: values the schema
// refuses never reach the cluster; every certificate source with every option passes a server dry
// run against the real CRDs; `helm install` (audit, managed certificates: no tool but helm)
// creates the objects, and the managed certificates' RBAC lets the ServiceAccount write exactly
// what the server writes; `helm upgrade` to enforce makes validate.kube-hygiene.io fail closed
// and keeps what the server wrote; `helm uninstall` leaves no webhook configuration behind.
// No kubelet: the pods stay Pending, and nothing here needs them to run.
import t from 'tap';
import { join } from 'node:path';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { eventually } from '../harness/eventually.js';
import { REPO } from '../harness/server-process.js';
import { KUBE_VERSION } from '../deploy/chart.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers.
t.setTimeout(300_000);

const CHART = join(REPO, 'charts/kube-hygiene');
const NS = 'kube-hygiene';
const plane = await startControlPlane();
t.teardown(() => plane.stop());

const ALL_ON = [
  'networkPolicy.enabled=true',
  'pullSecretAccess=true',
  'monitoring.serviceMonitor.enabled=true',
  'monitoring.prometheusRule.enabled=true',
  'monitoring.dashboard.enabled=true',
].flatMap((v) => ['--set', v]);

/* eslint-disable @typescript-eslint/no-explicit-any -- objects read back from the API server */
const getJson = async (args: string[], kubeconfig?: string) => {
  const got = await plane.kubectl([...args, '-o', 'json'], { kubeconfig });
  if (got.code !== 0) throw new Error(`kubectl get ${args.join(' ')}:\n${got.stderr}`);
  return JSON.parse(got.stdout) as any;
};
const failurePolicies = async () =>
  [
    ...(await getJson(['get', 'validatingwebhookconfiguration', 'kube-hygiene'])).webhooks,
    ...(await getJson(['get', 'mutatingwebhookconfiguration', 'kube-hygiene'])).webhooks,
  ].map((w: any) => `${w.name} ${w.failurePolicy}`);

t.test('the CRDs of the optional parts, and a namespace to dry-run into', async (t) => {
  await plane.installCrds([
    'cert-manager.io_certificates.yaml',
    'cert-manager.io_issuers.yaml',
    'monitoring.coreos.com_servicemonitors.yaml',
    'monitoring.coreos.com_prometheusrules.yaml',
  ]);
  t.pass('installed and established');
  t.equal((await plane.kubectl(['create', 'namespace', NS])).code, 0);
});

t.test('bad values fail helm install with the value named, and create nothing', async (t) => {
  const install = await plane.helm(['install', 'kube-hygiene', CHART, '-n', NS, '--set', 'mode=enforced']);
  t.not(install.code, 0);
  t.match(install.stderr, /at '\/mode': value must be one of 'audit', 'enforce'/);
  const provided = await plane.helm([
    'install',
    'kube-hygiene',
    CHART,
    '-n',
    NS,
    '--set',
    'certificates.source=provided',
  ]);
  t.not(provided.code, 0);
  t.match(provided.stderr, /certificates\.provided\.caBundle: the PEM of the CA/);
  t.equal((await plane.helm(['list', '-n', NS, '-q'])).stdout.trim(), '', 'no release');
  const hooks = await plane.kubectl([
    'get',
    'validatingwebhookconfigurations,mutatingwebhookconfigurations',
    '-o',
    'name',
  ]);
  t.equal(hooks.stdout.trim(), '', 'no webhook configuration');
});

t.test('every certificate source with every option passes a server dry run', async (t) => {
  const pem = plane.pki.caPem;
  for (const values of [
    ['--set', 'mode=enforce', '--set', 'strictPlacement=true', ...ALL_ON],
    ['--set', 'certificates.source=cert-manager', ...ALL_ON],
    [
      ...['--set', 'certificates.source=provided', '--set', 'certificates.provided.existingSecret=my-tls'],
      ...['--set-string', `certificates.provided.caBundle=${pem}`, ...ALL_ON],
    ],
  ]) {
    // helm built from its module assumes Kubernetes 1.20 where no cluster is asked: name one.
    const rendered = await plane.helm([
      ...['template', 'kube-hygiene', CHART, '-n', NS, '--kube-version', KUBE_VERSION],
      ...values,
    ]);
    t.equal(rendered.code, 0, rendered.stderr);
    const dry = await plane.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: rendered.stdout });
    t.equal(dry.code, 0, `${values.join(' ')}\n${dry.stderr}`);
    t.equal(dry.stderr.replace(/^Warning: .*\n/gm, ''), '', 'no error output');
    t.match(
      dry.stdout,
      /validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/kube-hygiene created \(server dry run\)/,
    );
  }
});

t.test('helm install: audit, managed certificates, nothing but helm', async (t) => {
  const install = await plane.helm(['install', 'kube-hygiene', CHART, '-n', NS, '--create-namespace']);
  t.equal(install.code, 0, install.stderr);
  t.match(install.stdout, /STATUS: deployed/);
  const listed = await plane.kubectl([
    'get',
    '-n',
    NS,
    ...['deployment/kube-hygiene', 'service/kube-hygiene', 'configmap/kube-hygiene-policy'],
    ...['serviceaccount/kube-hygiene', 'poddisruptionbudget/kube-hygiene', 'secret/kube-hygiene-managed-tls'],
    ...[
      'lease/kube-hygiene-certificates',
      'role/kube-hygiene-certificates',
      'rolebinding/kube-hygiene-certificates',
    ],
    '-o',
    'name',
  ]);
  t.equal(listed.code, 0, listed.stderr);
  t.equal(listed.stdout.trim().split('\n').length, 9, listed.stdout);
  t.same(await failurePolicies(), [
    'validate.kube-hygiene.io Ignore',
    'warn.kube-hygiene.io Ignore',
    'audit.kube-hygiene.io Ignore',
    'mutate.kube-hygiene.io Ignore',
  ]);
  // The Deployment's pods are real objects the controllers made (Pending: no kubelet here).
  await eventually(
    async () => (await getJson(['get', 'pods', '-n', NS])).items.length === 3,
    30_000,
    'three pods',
  );
});

t.test('the ServiceAccount may write what the managed certificates need, by name, and no more', async (t) => {
  // What `serve --certificates managed` does through the API: update the Secret and the Lease
  // shipped empty, and each webhook configuration's caBundle. Updates (PUT), as the server sends.
  const as = await plane.kubeconfigForServiceAccount(NS, 'kube-hygiene');
  const replace = async (object: unknown) =>
    plane.kubectl(['replace', '-f', '-'], { kubeconfig: as, input: JSON.stringify(object) });

  const secret = await getJson(['get', 'secret', 'kube-hygiene-managed-tls', '-n', NS], as);
  secret.data = { 'ca.crt': Buffer.from(plane.pki.caPem).toString('base64') };
  t.equal((await replace(secret)).code, 0, 'the Secret');
  const lease = await getJson(['get', 'lease', 'kube-hygiene-certificates', '-n', NS], as);
  lease.spec = { holderIdentity: 'kube-hygiene-0', leaseDurationSeconds: 30 };
  t.equal((await replace(lease)).code, 0, 'the Lease');
  for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
    const config = await getJson(['get', kind, 'kube-hygiene'], as);
    for (const w of config.webhooks)
      w.clientConfig.caBundle = Buffer.from(plane.pki.caPem).toString('base64');
    const replaced = await replace(config);
    t.equal(replaced.code, 0, `${kind}: ${replaced.stderr}`);
  }

  const denied = [
    ['create', 'secret', 'generic', 'other', '-n', NS],
    ['get', 'secret', 'kube-root-ca.crt', '-n', NS],
    ['get', 'configmap', 'kube-root-ca.crt', '-n', NS],
    ['delete', 'lease', 'kube-hygiene-certificates', '-n', NS],
  ];
  for (const args of denied) {
    const run = await plane.kubectl(args, { kubeconfig: as });
    t.match(run.stderr, /forbidden/, args.join(' '));
  }
});

t.test(
  'helm upgrade to enforce: validate.kube-hygiene.io fails closed, what the server wrote stays',
  async (t) => {
    const upgrade = await plane.helm([
      'upgrade',
      'kube-hygiene',
      CHART,
      '-n',
      NS,
      '--reuse-values',
      '--set',
      'mode=enforce',
    ]);
    t.equal(upgrade.code, 0, upgrade.stderr);
    t.match(upgrade.stdout, /REVISION: 2/);
    t.same(await failurePolicies(), [
      'validate.kube-hygiene.io Fail',
      'warn.kube-hygiene.io Ignore',
      'audit.kube-hygiene.io Ignore',
      'mutate.kube-hygiene.io Ignore',
    ]);
    const pod = (await getJson(['get', 'deployment', 'kube-hygiene', '-n', NS])).spec.template.spec;
    t.equal(pod.priorityClassName, 'system-cluster-critical');
    t.equal((await plane.kubectl(['get', 'resourcequota', 'kube-hygiene-critical-pods', '-n', NS])).code, 0);
    const policy = (await getJson(['get', 'configmap', 'kube-hygiene-policy', '-n', NS])).data['policy.yaml'];
    t.match(policy, /^mode: enforce$/m);

    // Helm merges its change into the live objects: the caBundle and the Secret the server wrote
    // are not in the chart, and stay.
    const ca = Buffer.from(plane.pki.caPem).toString('base64');
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'])
      for (const w of (await getJson(['get', kind, 'kube-hygiene'])).webhooks)
        t.equal(w.clientConfig.caBundle, ca, `${w.name}: caBundle kept`);
    t.ok(
      (await getJson(['get', 'secret', 'kube-hygiene-managed-tls', '-n', NS])).data['ca.crt'],
      'Secret kept',
    );

    // Fail closed, and no replica answers: a person's write in a judged namespace waits for it.
    await plane.kubectl(['create', 'namespace', 'shop']);
    const refused = await plane.kubectl([
      'create',
      'deployment',
      'web',
      '-n',
      'shop',
      '--image=ghcr.io/acme/web:v1.4.2',
    ]);
    t.not(refused.code, 0);
    t.match(refused.stderr, /failed calling webhook "validate\.kube-hygiene\.io"/);
  },
);

t.test('helm uninstall removes everything, webhook configurations included', async (t) => {
  const uninstall = await plane.helm(['uninstall', 'kube-hygiene', '-n', NS]);
  t.equal(uninstall.code, 0, uninstall.stderr);
  const hooks = await plane.kubectl([
    'get',
    'validatingwebhookconfigurations,mutatingwebhookconfigurations',
    '-o',
    'name',
  ]);
  t.equal(hooks.stdout.trim(), '', 'no webhook configuration left');
  const cluster = await plane.kubectl([
    'get',
    'clusterroles,clusterrolebindings',
    '-l',
    'app.kubernetes.io/part-of=kube-hygiene',
    '-o',
    'name',
  ]);
  t.equal(cluster.stdout.trim(), '', 'no ClusterRole or binding left');
  const kinds =
    'all,configmaps,secrets,serviceaccounts,roles,rolebindings,leases,poddisruptionbudgets,resourcequotas';
  const left = async () =>
    (await plane.kubectl(['get', kinds, '-n', NS, '-o', 'name'])).stdout.trim().split('\n');
  // What the ServiceAccount controller puts in every namespace; the Deployment's pods go with
  // their ReplicaSet (the garbage collector).
  const EVERY_NAMESPACE = ['serviceaccount/default'];
  await eventually(
    async () => (await left()).join() === EVERY_NAMESPACE.join(),
    30_000,
    'the namespace to empty',
  ).catch(() => {}); // the assertion below shows what is left
  t.same(await left(), EVERY_NAMESPACE, 'nothing of the release left in its namespace');
  // The write the fail-closed webhook refused goes through: nothing is left to lock the cluster.
  const created = await plane.kubectl([
    'create',
    'deployment',
    'web',
    '-n',
    'shop',
    '--image=ghcr.io/acme/web:v1.4.2',
  ]);
  t.equal(created.code, 0, created.stderr);
  t.equal(created.stderr, '', 'and no webhook was called');
});
