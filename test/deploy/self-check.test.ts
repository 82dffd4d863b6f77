// `kube-hygiene check` passes deploy/ by its own rules: the image is registry-qualified and
// version-tagged, in the Deployment as written and in every rendered overlay. A copy with a bad
// image is denied, so the pass means the Deployment was judged, not skipped.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../harness/server-process.js';
import { tempDir } from '../harness/tls.js';
import { OVERLAYS, deployCopy, find, render } from './render.js';

interface CheckOutput {
  results: { source: string; kind: string; name: string; findings: { rule: string; action: string }[] }[];
  summary: { documents: number; denied: number; warned: number; errors: number };
}

function check(path: string): { code: number | null; out: CheckOutput } {
  const run = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'check', '-o', 'json', path], {
    encoding: 'utf8',
  });
  return { code: run.status, out: JSON.parse(run.stdout) as CheckOutput };
}

const deployment = (out: CheckOutput) =>
  out.results.find((r) => r.kind === 'Deployment' && r.name === 'kube-hygiene');

t.test('kube-hygiene check deploy/ names each kustomization; the Deployment as written passes', async (t) => {
  // A kustomization is judged once built (its patches are not objects): the tree says how.
  const tree = spawnSync(
    process.execPath,
    [join(REPO, 'dist/cli/main.js'), 'check', '-o', 'json', join(REPO, 'deploy')],
    {
      encoding: 'utf8',
    },
  );
  t.equal(tree.status, 2, 'nothing judged file by file');
  const notices: string[] = JSON.parse(tree.stdout).notices;
  t.ok(
    notices.includes(
      `${join(REPO, 'deploy/base')} is a kustomization: its resources are not judged until built: kubectl kustomize ${join(REPO, 'deploy/base')} | kube-hygiene check -`,
    ),
    'deploy/base is named with the command that builds it',
  );
  const { code, out } = check(join(REPO, 'deploy/base/deployment.yaml'));
  t.equal(code, 0, 'exit 0');
  t.match(out.summary, { denied: 0, warned: 0, errors: 0 });
  t.same(deployment(out)?.findings, [], 'the Deployment was judged and has no finding');
});

t.test('every rendered overlay passes too', async (t) => {
  const deployDir = deployCopy();
  for (const overlay of OVERLAYS) {
    const file = join(tempDir(), `${overlay}.yaml`);
    // JSON documents: the yaml package writes YAML 1.2, where `off` needs no quotes, and kubectl
    // (YAML 1.1 scalars) would read the namespace's `kube-hygiene.io/mode: off` label as false.
    writeFileSync(
      file,
      render(deployDir, overlay)
        .map((o) => JSON.stringify(o, null, 2))
        .join('\n---\n'),
    );
    const { code, out } = check(file);
    t.equal(code, 0, `${overlay}: exit 0`);
    t.same(deployment(out)?.findings, [], `${overlay}: the Deployment has no finding`);
  }
});

t.test('the image tag is the package version, and a bad image would be denied', async (t) => {
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string })
    .version;
  const deployDir = deployCopy();
  const objects = render(deployDir, 'audit');
  const container = (find(objects, 'Deployment').spec as any).template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
  t.equal(
    container.image,
    `ghcr.io/kube-hygiene/kube-hygiene:${version}`,
    'released with the package version',
  );

  const manifest = join(deployDir, 'base/deployment.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(container.image, 'kube-hygiene:latest'));
  const { code, out } = check(manifest);
  t.equal(code, 1, 'exit 1: denied');
  t.same(
    deployment(out)
      ?.findings.map((f) => `${f.rule} ${f.action}`)
      .sort(),
    ['image-registry deny', 'image-tag deny'],
  );
});
