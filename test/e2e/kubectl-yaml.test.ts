// Scenario 11 against the real API server and the real kubectl: what kube-hygiene tells a user
// to write survives kubectl, and `kube-hygiene check` refuses exactly the YAML kubectl refuses.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { CLUSTER_SCOPED_KINDS } from '../../src/kube/scope.js';
import { REPO } from '../harness/server-process.js';
import { warningLines } from './kubectl-output.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const HOMELAB = join(REPO, 'examples/manifests/homelab.yaml');
const plane = await startControlPlane();
t.teardown(() => plane.stop());
const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
t.teardown(() => hygiene.stop());
await plane.kubectl(['create', 'namespace', 'homelab']);

function check(file: string) {
  return spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'check', file], { encoding: 'utf8' });
}

t.test(
  'check refuses exactly the unquoted values the API server gets from kubectl as non-strings',
  async (t) => {
    // Forms YAML 1.1 and YAML 1.2 read differently, and forms that only look special.
    const forms = [
      'off',
      'On',
      'yes',
      'y',
      'N',
      'true',
      '1_000',
      '0x1F',
      '012',
      '1.0',
      '1e3',
      '~',
      'v1',
      '1:20',
      '2001-12-14',
      'nan',
      'yEs',
      '"off"',
      "'yes'",
    ];
    for (const [i, form] of forms.entries()) {
      const file = join(plane.dir, `value-${i}.yaml`);
      writeFileSync(
        file,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: value-${i}\n  namespace: homelab\n  annotations:\n    example.com/value: ${form}\ndata:\n  value: ${form}\n`,
      );
      const server = await plane.kubectl(['apply', '--dry-run=server', '-f', file]);
      const ours = check(file);
      const kubectlAccepts = server.code === 0;
      t.equal(
        ours.status,
        kubectlAccepts ? 0 : 2,
        `${form}: kubectl ${kubectlAccepts ? 'accepts' : 'refuses'} it, and so does check`,
      );
      if (!kubectlAccepts) {
        t.match(
          server.stderr,
          /cannot unmarshal (bool|number) into|error converting YAML to JSON/,
          `${form}: kubectl's reason`,
        );
        t.match(ours.stderr + ours.stdout, /quote it/, `${form}: check says how to fix it`);
      }
    }
  },
);

t.test('the opt-out the pod-identity-env warning tells a user to write is accepted and works', async (t) => {
  const first = await plane.kubectl(['apply', '--dry-run=server', '-f', HOMELAB]);
  const preview = warningLines(first).find((w) => w.startsWith('[pod-identity-env]'));
  const advice = /annotate the pod template (\S+: \S+)/.exec(preview ?? '');
  t.ok(advice, `the warning says what to write: ${preview}`);
  const text = readFileSync(HOMELAB, 'utf8').replace(
    /(name: family-assistant\n[\s\S]*?template:\n {4}metadata:\n)/,
    `$1      annotations:\n        ${advice![1]}\n`,
  );
  t.not(text, readFileSync(HOMELAB, 'utf8'), 'written into the pod template as the warning says');
  const file = join(plane.dir, 'opted-out.yaml');
  writeFileSync(file, text);
  const second = await plane.kubectl(['apply', '--dry-run=server', '-f', file]);
  t.notMatch(second.stderr, /cannot unmarshal|error converting YAML/, 'kubectl reads it');
  t.match(second.stderr, /denied the request/, 'the object reached the webhook');
  t.same(
    warningLines(second).filter((w) => w.startsWith('[pod-identity-env]')),
    [],
    'and the opt-out took effect',
  );
  t.equal(check(file).status, 1, 'check reads it too: judged (denied), not an input error');
});

t.test('check takes the kinds the API server keeps outside namespaces as namespaceless', async (t) => {
  // Discovery of every built-in group version the API server serves: which kinds are cluster-scoped.
  const get = async (path: string) => {
    const got = await plane.kubectl(['get', '--raw', path]);
    t.equal(got.code, 0, got.stderr);
    return JSON.parse(got.stdout) as {
      groups?: { name: string; versions: { groupVersion: string }[] }[];
      resources?: { name: string; kind: string; namespaced: boolean }[];
    };
  };
  const groupVersions = [
    ['', '/api/v1'],
    ...((await get('/apis')).groups ?? [])
      // Built-in groups: apps, batch, … and *.k8s.io (no CRD is installed here, but one would not be).
      .filter((g) => !g.name.includes('.') || g.name.endsWith('.k8s.io'))
      .flatMap((g) => g.versions.map((v) => [g.name, `/apis/${v.groupVersion}`])),
  ] as [string, string][];
  const served = new Map<string, boolean>();
  for (const [group, path] of groupVersions)
    for (const r of (await get(path)).resources ?? [])
      if (!r.name.includes('/')) served.set(`${r.kind}.${group}`, r.namespaced);
  t.ok(served.get('ClusterRole.rbac.authorization.k8s.io') === false && served.get('Pod.') === true);

  const ours = new Set(CLUSTER_SCOPED_KINDS);
  const missing = [...served].filter(([kind, namespaced]) => !namespaced && !ours.has(kind));
  const wrong = [...served].filter(([kind, namespaced]) => namespaced && ours.has(kind));
  t.same(missing, [], 'every cluster-scoped kind served is in src/kube/scope.ts');
  t.same(wrong, [], 'no namespaced kind served is in it');

  // And `check -n` gives such an object no namespace: none to be exempt by.
  const file = join(plane.dir, 'cluster-scoped.yaml');
  writeFileSync(
    file,
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n',
  );
  t.equal((await plane.kubectl(['apply', '--dry-run=server', '-n', 'kube-system', '-f', file])).code, 0);
  const judged = spawnSync(
    process.execPath,
    [join(REPO, 'dist/cli/main.js'), 'check', '-o', 'json', '-n', 'kube-system', file],
    { encoding: 'utf8' },
  );
  t.match(JSON.parse(judged.stdout).results, [{ kind: 'ClusterRole', namespace: '', name: 'reader' }]);
  t.notOk(JSON.parse(judged.stdout).results[0].exempt, 'not exempt as if in kube-system');
});
