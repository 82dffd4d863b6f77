// Scenario 11 against the real API server and the real kubectl: what kube-hygiene tells a user
// to write survives kubectl, and `kube-hygiene check` refuses exactly the YAML kubectl refuses.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
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
