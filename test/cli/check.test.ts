// `kube-hygiene check` as a CI pipeline runs it: the real binary, real files, exit codes, JSON.
import t from 'tap';
import { deploymentYaml } from '../fixtures/manifests.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Without --resolve the registry rules of the default policy do not run (check-resolve.test.ts).
const SKIPPED = ['node-arch', 'image-exists'];
const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
// Real manifests the repository holds; other people's manifests run with `npm run corpus -- PATH`.
const REAL_MANIFESTS = [
  fileURLToPath(new URL('../../examples/manifests', import.meta.url)),
  fileURLToPath(new URL('../e2e/manifests', import.meta.url)),
];

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'kh-check-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

const GOOD = deploymentYaml({ namespace: 'team' });
const SEEDS = `apiVersion: v1
kind: Pod
metadata: { name: seeds, namespace: homelab }
spec:
  containers:
    - { name: a, image: "family-assistant:phase2-mcp-logging-fix" }
    - { name: b, image: "100.81.76.55:30500/family-assistant:me-fixed" }
    - { name: c, image: "ghcr.io/pesuga/homelab/homelab-dashboard:latest" }
    - { name: d, image: "localhost:5001/angzarr-topology:latest@sha256:${'ab'.repeat(32)}" }
    - { name: e, image: "10.0.0.5:30500/app" }
`;

t.test('a clean manifest exits 0', async (t) => {
  const r = cli(['check', file('good/deploy.yaml', GOOD)]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /checked 1 object in 1 file: 0 denied, 0 warned/);
  t.match(r.stdout, /^note hpa-target is off: no cluster connection \(check judges files offline\)/);
  const ruleOff = file('hpa-off.yaml', 'rules:\n  hpa-target:\n    action: off\n');
  const quiet = cli(['check', '-o', 'json', '--policy', ruleOff, file('good/deploy.yaml', GOOD)]);
  t.same(JSON.parse(quiet.stdout).notices, [], 'nothing said about a rule the policy turned off');
});

t.test('the seed images are judged right (JSON output)', async (t) => {
  const r = cli(['check', '-o', 'json', file('seeds.yaml', SEEDS)]);
  t.equal(r.code, 1, 'a denial exits 1');
  const out = JSON.parse(r.stdout);
  t.same(Object.keys(out).sort(), ['errors', 'notices', 'results', 'summary']);
  t.same(out.notices, [
    'hpa-target is off: no cluster connection (check judges files offline); kube-hygiene audit judges what a live cluster holds',
  ]);
  // The seed pod also requests no resources: resource-requests warns about each container.
  t.same(out.summary, { documents: 1, denied: 1, warned: 1, errors: 0, skipped: SKIPPED });
  const [result] = out.results;
  t.match(result, { source: `${dir}/seeds.yaml#0`, kind: 'Pod', namespace: 'homelab', name: 'seeds' });
  const byContainer = (i: number) =>
    result.findings
      .filter((f: { path: string }) => f.path === `/spec/containers/${i}/image`)
      .map((f: { rule: string }) => f.rule)
      .sort();
  t.same(byContainer(0), ['image-registry', 'image-tag'], 'unqualified + sprawl');
  t.same(byContainer(1), ['image-tag'], 'sprawl');
  t.same(byContainer(2), ['image-tag'], 'mutable');
  t.same(byContainer(3), [], 'a digest always passes');
  t.same(byContainer(4), ['image-tag'], 'qualified, no tag');
  for (const f of result.findings)
    t.same(Object.keys(f).sort(), ['action', 'column', 'file', 'line', 'message', 'path', 'rule']);
  t.match(result.findings.find((f: { path: string }) => f.path.endsWith('2/image')).message, /mutable tag/);
});

t.test('text output groups by file and object and points at the line', async (t) => {
  const r = cli(['check', file('seeds-text.yaml', SEEDS)]);
  t.equal(r.code, 1);
  t.match(r.stdout, new RegExp(`${dir}/seeds-text\\.yaml\\n  Pod homelab/seeds #0\\n`));
  t.match(r.stdout, /deny \[image-tag\] line 7:\d+ container "b"/);
  t.match(
    r.stdout,
    /checked 1 object in 1 file: 1 denied, 1 warned; skipped node-arch, image-exists \(they ask image registries: pass --resolve\)\n$/,
  );
});

t.test('stdin, multi-document streams and Lists', async (t) => {
  const stream = `${GOOD}---\n---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: { name: p }\n    spec: { containers: [{ name: x, image: "nginx:latest" }] }\n`;
  const r = cli(['check', '-o', 'json', '-'], stream);
  t.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  t.same(
    out.results.map((x: { source: string }) => x.source),
    ['-#0', '-#2.items[0]'],
  );
  // The List's pod requests no resources (a warning besides its denial).
  t.same(out.summary, { documents: 2, denied: 1, warned: 1, errors: 0, skipped: SKIPPED });
});

t.test('invalid YAML is reported as file:line:col and the rest is still judged', async (t) => {
  const bad = file('mixed/a-broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  name: y\n');
  file('mixed/b-good.yaml', GOOD);
  file('mixed/c-bad.yaml', SEEDS);
  file('mixed/notes.txt', 'not a manifest');
  const r = cli(['check', '-o', 'json', join(dir, 'mixed')]);
  t.equal(r.code, 2, 'input errors exit 2');
  const out = JSON.parse(r.stdout);
  t.equal(out.errors.length, 1);
  t.match(out.errors[0].message, new RegExp(`^${bad}:5:3: `));
  t.equal(out.summary.documents, 2, 'the other files were judged; .txt files are not read');
  t.equal(out.summary.denied, 1);
});

t.test('CRLF line endings and flow style are read like kubectl reads them', async (t) => {
  const crlf = SEEDS.replace(/\n/g, '\r\n');
  const r = cli(['check', '-o', 'json', file('crlf.yaml', crlf)]);
  t.equal(JSON.parse(r.stdout).summary.denied, 1);
  const flow = cli([
    'check',
    '-o',
    'json',
    file(
      'flow.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'j' },
        spec: { containers: [{ name: 'a', image: 'ghcr.io/a/b:1.2.3' }] },
      }),
    ),
  ]);
  t.equal(flow.code, 0);
});

t.test('usage errors exit 2 with a message', async (t) => {
  t.equal(cli(['check']).code, 2);
  t.equal(cli(['check', '-o', 'xml', dir]).code, 2);
  const missing = cli(['check', join(dir, 'nope.yaml')]);
  t.equal(missing.code, 2);
  t.match(missing.stdout, /^error no such file or directory: .*nope\.yaml$/m);
  t.notMatch(missing.stdout + missing.stderr, /ENOENT/);
  const policy = cli(['check', '--policy', file('bad-policy.yaml', 'mode: loud\n'), dir]);
  t.equal(policy.code, 2);
  t.match(policy.stderr, /bad-policy\.yaml:1:7: mode: must be one of enforce, audit/);
  t.equal(cli(['bogus']).code, 2);
  t.equal(cli(['check', '--mode', 'sometimes', dir]).code, 2);
});

t.test('--mode audit never denies', async (t) => {
  const r = cli(['check', '--mode', 'audit', '-o', 'json', file('audit/seeds.yaml', SEEDS)]);
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout).summary, { documents: 1, denied: 0, warned: 1, errors: 0, skipped: SKIPPED });
});

t.test('the real manifests the repository holds: judged, no input errors, nothing on stderr', async (t) => {
  const r = cli(['check', '-o', 'json', ...REAL_MANIFESTS]);
  t.equal(r.stderr, '', 'nothing on stderr');
  t.equal(r.code, 1, 'the homelab seeds are denied');
  const out = JSON.parse(r.stdout);
  t.same(out.errors, [], 'no input errors');
  t.ok(out.summary.documents >= 6, `${out.summary.documents} objects judged`);
  t.ok(out.summary.denied > 0);
});
