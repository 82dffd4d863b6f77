// The hook in .pre-commit-hooks.yaml, run by the real pre-commit (Debian's `pre-commit`; .ci/run
// installs it) from a project that points at this repository, as a user's config would: a clean
// manifest passes, a denied one fails the commit with the finding. pre-commit clones the
// repository at its HEAD commit, so the hook definition tested is the committed one; the
// kube-hygiene it runs is this checkout's build, on PATH as `npm install -g` would put it.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../harness/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'kh-pre-commit-'));
const project = join(dir, 'project');
const bin = join(dir, 'bin');
mkdirSync(project);
mkdirSync(bin);
writeFileSync(
  join(bin, 'kube-hygiene'),
  `#!/bin/sh\nexec "${process.execPath}" "${REPO}/dist/cli/main.js" "$@"\n`,
);
chmodSync(join(bin, 'kube-hygiene'), 0o755);

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd: project,
    encoding: 'utf8',
  });
git('init', '-q');
const rev = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
writeFileSync(
  join(project, '.pre-commit-config.yaml'),
  `repos:\n  - repo: ${REPO}\n    rev: ${rev}\n    hooks:\n      - id: kube-hygiene-check\n`,
);

function preCommit() {
  const r = spawnSync('pre-commit', ['run', '--all-files', '--color', 'never'], {
    cwd: project,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      PRE_COMMIT_HOME: join(dir, 'cache'), // its clones, never the user's
      NO_COLOR: '1',
    },
  });
  if (r.error)
    throw new Error(
      `pre-commit could not run: ${r.error.message} (apt-get install pre-commit; .ci/run does this)`,
    );
  return { code: r.status, output: r.stdout + r.stderr };
}

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: team }
spec:
  template:
    spec:
      containers:
        - name: api
          image: ${image}
          resources: { requests: { cpu: 100m, memory: 128Mi } }
`;

t.test('a commit of YAML that holds no manifest passes: nothing to judge is no failure here', async (t) => {
  writeFileSync(join(project, 'ci.yaml'), 'on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n');
  git('add', '-A');
  const r = preCommit();
  t.equal(r.code, 0, r.output);
  t.match(r.output, /^kube-hygiene check\.+Passed$/m);
});

t.test('a clean manifest passes the hook', async (t) => {
  writeFileSync(join(project, 'api.yaml'), deployment('ghcr.io/acme/api:v1.4.2'));
  writeFileSync(join(project, 'notes.txt'), 'not a manifest, not passed to the hook');
  git('add', '-A');
  const r = preCommit();
  t.equal(r.code, 0, r.output);
  t.match(r.output, /^kube-hygiene check\.+Passed$/m);
});

t.test('a denied manifest fails it, with the finding and its line', async (t) => {
  writeFileSync(join(project, 'web.yaml'), deployment('nginx:latest'));
  git('add', '-A');
  const r = preCommit();
  t.equal(r.code, 1, r.output);
  t.match(r.output, /^kube-hygiene check\.+Failed$/m);
  t.match(r.output, /^- hook id: kube-hygiene-check$/m);
  t.match(r.output, /^web\.yaml\n {2}Deployment team\/api #0\n {4}deny \[image-registry\] line 9:18 /m);
  t.notMatch(r.output, /^api\.yaml$/m, 'the clean file has nothing to say');
});
