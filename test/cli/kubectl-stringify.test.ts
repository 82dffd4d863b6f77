// YAML the CLI writes for `kubectl apply -f -` reads back as the same strings in kubectl: asked of
// the real kubectl (offline, `label --local`) and of check's own reader.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { formatPolicyReports } from '../../src/cli/audit-policyreport.js';
import { readManifestText } from '../../src/cli/documents.js';
import { stringifyForKubectl } from '../../src/cli/kubectl-stringify.js';

function kubectlRead(text: string): unknown {
  const run = spawnSync('kubectl', ['label', '--local', '-f', '-', 'read=yes', '-o', 'json'], {
    input: text,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: '/dev/null' },
  });
  if (run.status !== 0) throw new Error(run.stderr || String(run.error));
  const object = JSON.parse(run.stdout);
  delete object.metadata.labels.read;
  return object;
}

const CONFIGMAP = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'on', labels: { 'kube-hygiene.io/mode': 'off', canary: 'y' } },
  data: { on: 'yes', count: '1_000', mode: '0o17', port: '08', empty: '', text: 'plain', when: '2001-12-14' },
};

t.test('strings kubectl would misread are quoted, and read back as written', async (t) => {
  const text = stringifyForKubectl(CONFIGMAP);
  t.match(text, /kube-hygiene\.io\/mode: "off"/);
  t.match(text, /"on": "yes"/, 'keys too');
  t.match(text, /text: plain\n/, 'other strings stay plain');
  t.same(readManifestText(text, 'cm.yaml').problems, []);
  t.same(kubectlRead(text), CONFIGMAP, 'the real kubectl reads the same strings');
});

t.test('policy reports for a namespace named "on"', async (t) => {
  const text = formatPolicyReports({
    scannedAt: new Date(0),
    namespace: 'on',
    owned: 0,
    hpas: { orphaned: [], unchecked: [] },
    errors: [],
    results: [
      {
        source: '/api/v1/namespaces/on/pods/y',
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: 'on',
        name: 'y',
        findings: [{ rule: 'image-tag', action: 'deny', path: '/spec/containers/0/image', message: 'no' }],
        rules: ['image-tag'],
      },
    ],
  });
  t.match(text, /namespace: "on"/);
  const [report] = readManifestText(text, 'report.yaml').objects;
  t.match(report!.object, {
    metadata: { namespace: 'on' },
    results: [{ message: 'no', resources: [{ namespace: 'on', name: 'y' }] }],
  });
  t.match(kubectlRead(text), { metadata: { namespace: 'on' }, results: [{ message: 'no' }] });
});
