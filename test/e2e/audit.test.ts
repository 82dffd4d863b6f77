// Scenarios 3 and 10 against the real API server: the audit install lets the seed situations in
// with every finding printed by kubectl as a `Warning:` line and recorded as our audit
// annotations in the API server's audit log; then `kube-hygiene audit` reports that cluster in
// all three formats, and its PolicyReports are accepted by the API server with the real CRDs.
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { REPO } from '../harness/server-process.js';
import { denialLines, warningLines } from './kubectl-output.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const HOMELAB = join(REPO, 'examples/manifests/homelab.yaml');
const ORPHANS = join(REPO, 'test/e2e/manifests/orphans.yaml');
const AUDIT_POLICY = OFFLINE_POLICY.replace('mode: enforce', 'mode: audit');

const plane = await startControlPlane();
t.teardown(() => plane.stop());
const hygiene = await startKubeHygiene(plane, { overlay: 'audit', policy: AUDIT_POLICY });
t.teardown(() => hygiene.stop());
await plane.kubectl(['create', 'namespace', 'homelab']);

t.test(
  'audit mode: the apply succeeds, every finding is a Warning line and an audit annotation',
  async (t) => {
    const applied = await plane.kubectl(['apply', '-f', HOMELAB]);
    t.equal(applied.code, 0, applied.stderr);
    t.same(denialLines(applied), [], 'nothing denied');
    const warnings = warningLines(applied);
    for (const expected of [
      /^\[image-registry\] not denied \(audit mode\): container "assistant" image "family-assistant:phase2-mcp-logging-fix" names no registry/,
      /^\[image-tag\] not denied \(audit mode\): container "assistant" image "family-assistant:phase2-mcp-logging-fix" has a sprawl tag/,
      /^\[image-tag\] not denied \(audit mode\): container "mcp" image "100\.81\.76\.55:30500\/family-assistant-mcp:me-fixed" has a sprawl tag/,
      /^\[image-pull-policy\] container "assistant"/,
      /^\[image-tag\] not denied \(audit mode\): container "ui" image "ghcr\.io\/pesuga\/homelab\/homelab-dashboard:latest" has a mutable tag/,
      /^\[resource-requests\] container "ui" sets no CPU request and no memory request/,
    ])
      t.ok(
        warnings.some((w) => expected.test(w)),
        `kubectl printed ${expected.source.slice(0, 60)}…`,
      );

    const created = plane
      .auditEvents()
      .find(
        (e) =>
          e.verb === 'create' &&
          e.objectRef?.resource === 'deployments' &&
          e.objectRef.name === 'family-assistant' &&
          e.stage === 'ResponseComplete',
      );
    t.ok(created, 'the API server logged the create');
    const annotations = created?.annotations ?? {};
    t.same(
      Object.keys(annotations)
        .filter((k) => k.startsWith('validate.kube-hygiene.io/'))
        .sort(),
      [
        'validate.kube-hygiene.io/image-pull-policy',
        'validate.kube-hygiene.io/image-registry',
        'validate.kube-hygiene.io/image-tag',
        'validate.kube-hygiene.io/pod-identity-env',
        'validate.kube-hygiene.io/resource-requests',
      ],
      'one annotation per rule, under our webhook name',
    );
    const tags = JSON.parse(annotations['validate.kube-hygiene.io/image-tag'] ?? '[]') as {
      action: string;
      path: string;
    }[];
    t.same(
      tags.map((f) => [f.action, f.path]),
      [
        ['warn', '/spec/template/spec/containers/0/image'],
        ['warn', '/spec/template/spec/containers/1/image'],
      ],
      'the findings, with their JSON pointers',
    );
  },
);

const cli = promisify(execFile);
async function audit(format: string) {
  try {
    const { stdout } = await cli(
      process.execPath,
      [join(REPO, 'dist/cli/main.js'), 'audit', '--kubeconfig', plane.kubeconfig, '-o', format],
      { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('kube-hygiene audit reports the live cluster in text, json and policyreport', async (t) => {
  t.equal((await plane.kubectl(['apply', '-n', 'homelab', '-f', ORPHANS])).code, 0);
  t.equal((await plane.kubectl(['delete', 'deployment', 'whisper', '-n', 'homelab'])).code, 0);

  const json = await audit('json');
  t.equal(json.code, 1, 'exit 1: enforce would deny something');
  const report = JSON.parse(json.stdout) as {
    results: {
      kind: string;
      namespace: string;
      name: string;
      findings: { rule: string; action: string }[];
    }[];
    orphanedHpas: { namespace: string; name: string; target: { kind: string; name: string } }[];
    errors: unknown[];
  };
  t.same(report.errors, [], 'every kind could be listed');
  t.same(
    report.orphanedHpas.map((h) => `${h.namespace}/${h.name} → ${h.target.kind} ${h.target.name}`),
    ['homelab/whisper-hpa → Deployment whisper'],
    'the HPA left behind',
  );
  const verdict = (kind: string, name: string) =>
    report.results
      .find((r) => r.kind === kind && r.namespace === 'homelab' && r.name === name)
      ?.findings.filter((f) => f.action === 'deny')
      .map((f) => f.rule)
      .sort();
  t.same(verdict('Deployment', 'family-assistant'), ['image-registry', 'image-tag', 'image-tag']);
  t.same(verdict('Deployment', 'homelab-dashboard'), ['image-tag']);
  t.notOk(
    report.results.some((r) => r.kind === 'ReplicaSet' || r.kind === 'Pod'),
    'ReplicaSets and Pods the controllers made are judged through their Deployment',
  );

  const text = await audit('text');
  t.equal(text.code, 1);
  t.match(
    text.stdout,
    /^homelab\n {2}Deployment family-assistant\n {4}deny \[image-registry\] container "assistant" image "family-assistant:phase2-mcp-logging-fix" names no registry/m,
  );
  t.match(
    text.stdout,
    /^HPAs that scale nothing today \(delete them, or restore their target\):\n {2}homelab\/whisper-hpa -> Deployment whisper$/m,
  );
  t.match(
    text.stdout,
    /^homelab +3 +2 +3 +1 +0$/m,
    // homelab-dashboard is warned too: its container requests nothing (resource-requests).
    'the namespace summary: 3 objects, 2 denied, 3 warned, 1 orphaned HPA',
  );

  const reports = await audit('policyreport');
  t.equal(reports.code, 1);
  const docs = parseAllDocuments(reports.stdout).map(
    (d) => d.toJS() as { kind: string; metadata: { namespace?: string } },
  );
  t.ok(docs.some((d) => d.kind === 'PolicyReport' && d.metadata.namespace === 'homelab'));
  const crds = ['wgpolicyk8s.io_policyreports.yaml', 'wgpolicyk8s.io_clusterpolicyreports.yaml'];
  const refused = await plane.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: reports.stdout });
  t.not(refused.code, 0, 'without the CRDs the API server does not know the kind');
  await plane.installCrds(crds);
  const accepted = await plane.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: reports.stdout });
  t.equal(accepted.code, 0, accepted.stderr);
  t.match(accepted.stdout, /policyreport\.wgpolicyk8s\.io\/kube-hygiene created \(server dry run\)/);
});
