// `kube-hygiene audit` against the real API server, configured the ways kubectl is: through
// ~/.kube/config, a KUBECONFIG list (merged as kubectl merges it) and --context. The same
// configurations are handed to the real kubectl, which must agree on the cluster they name.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { freePort } from '../harness/free-port.js';
import { REPO } from '../harness/server-process.js';

// A control plane starts in 10–20 s.
t.setTimeout(180_000);

const plane = await startControlPlane();
t.teardown(() => plane.stop());
await plane.kubectl(['create', 'namespace', 'kc']);
const created = await plane.kubectl(['create', 'deployment', 'web', '-n', 'kc', '--image=nginx:latest']);
t.equal(created.code, 0, created.stderr);

const dir = mkdtempSync(join(tmpdir(), 'kh-e2e-kubeconfig-'));
const closed = `https://127.0.0.1:${await freePort()}`;
// A second file: the admin kubeconfig's cluster name pointing at a closed port (kubectl keeps the
// first file's), a context "down" on it, and a current-context the first file overrides.
const second = join(dir, 'second.yaml');
writeFileSync(
  second,
  `apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: { server: '${closed}' }
  - name: down
    cluster: { server: '${closed}' }
users: []
contexts:
  - name: down
    context: { cluster: down, user: e2e }
current-context: down
`,
);

function audit(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'audit', '-n', 'kc', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DENIED =
  /^kc\n {2}Deployment web\n {4}deny \[image-registry\] container "nginx" image "nginx:latest" names no registry/m;

t.test('~/.kube/config, when neither --kubeconfig nor KUBECONFIG is given', async (t) => {
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), readFileSync(plane.kubeconfig));
  const r = audit([], { HOME: home });
  t.equal(r.code, 1, r.stderr);
  t.match(r.stdout, DENIED);
});

t.test('a KUBECONFIG list: first file wins each name and the current-context', async (t) => {
  const KUBECONFIG = [join(dir, 'missing.yaml'), plane.kubeconfig, second].join(':');
  const kubectl = await plane.kubectl(
    ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'],
    {
      kubeconfig: KUBECONFIG,
    },
  );
  t.equal(kubectl.stdout, plane.url, 'kubectl reads the list the same way');
  const r = audit([], { KUBECONFIG, HOME: dir });
  t.equal(r.code, 1, r.stderr);
  t.match(r.stdout, DENIED);
});

t.test('--context: another context of the list; one whose server is down is said once', async (t) => {
  const KUBECONFIG = [plane.kubeconfig, second].join(':');
  t.equal(audit(['--context', 'e2e'], { KUBECONFIG }).code, 1);
  const down = audit(['--context', 'down'], { KUBECONFIG });
  t.equal(down.code, 2);
  t.equal(down.stdout, '');
  t.equal(down.stderr.split('\n').filter(Boolean).length, 1, 'one line');
  t.match(down.stderr, `cannot reach the API server at ${closed}: connection refused`);
  t.match(down.stderr, /context "down" from KUBECONFIG/);
  t.notMatch(down.stderr, /grant list/, 'no RBAC remedy for a server that is not there');
  const kubectl = await plane.kubectl(['get', 'deployments', '-n', 'kc', '--context', 'down'], {
    kubeconfig: KUBECONFIG,
    timeoutMs: 30_000,
  });
  t.match(kubectl.stderr, /connection refused/, 'kubectl fails the same way on that context');
});
