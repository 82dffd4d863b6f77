// `kube-hygiene audit` against the API stand-in seeded with the homelab situation, through the
// real client: the three output formats, -n, paging, a kind RBAC forbids, usage errors, and the
// built binary's exit code.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { startApiWithKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { auditSeed } from '../cluster/audit-seed.js';
import { audit, type AuditIo } from '../../src/cli/audit.js';
import { ErrorCode, HygieneError } from '../../src/errors.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const { api, kubeconfigPath } = await startApiWithKubeconfig(t, auditSeed());

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

async function run(args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) {
  const stdout = new Capture();
  const stderr = new Capture(options.tty ?? false);
  const io: AuditIo = { stdout, stderr, env: options.env ?? {}, color: false };
  const code = await audit(['--kubeconfig', kubeconfigPath, ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

t.test('text: findings by namespace, orphaned HPAs, the two tables, one summary line', async (t) => {
  const r = await run([]);
  t.equal(r.code, 1, 'something would be denied');
  t.equal(r.stderr, '', 'no progress when stderr is not a terminal');
  const lines = r.stdout.split('\n');
  const after = (heading: string, count: number) =>
    lines.slice(lines.indexOf(heading) + 1, lines.indexOf(heading) + 1 + count);
  t.match(after('homelab', 9), [
    /^ {2}Deployment family-assistant$/,
    /^ {4}deny \[image-registry\] container "app" image "family-assistant:phase2-mcp-logging-fix" names no registry/,
    /^ {4}deny \[image-tag\] container "app" image "family-assistant:phase2-mcp-logging-fix" has a sprawl tag/,
    /^ {2}Deployment whisper-stt$/,
    /^ {4}deny \[image-tag\] container "app" image "100.81.76.55:30500\/whisper:fixed-v5" has a sprawl tag/,
    /^ {2}HorizontalPodAutoscaler family-assistant-enhanced-hpa$/,
    /^ {4}warn \[hpa-target\] HPA homelab\/family-assistant-enhanced-hpa scales Deployment family-assistant-enhanced, which does not exist/,
    /^ {2}HorizontalPodAutoscaler whisper-hpa$/,
    /^ {4}warn \[hpa-target\] HPA homelab\/whisper-hpa scales Deployment whisper, which does not exist/,
  ]);
  t.same(after('media', 2), [
    '  Job migrate',
    '    deny [image-tag] container "app" image "ghcr.io/acme/migrate:latest" has a mutable tag: tag the build with its version, git commit, date or build number, or pin a digest ("latest" is moved on every release)',
  ]);
  t.notMatch(
    r.stdout,
    /jellyfin|postgres|kube-proxy|family-assistant-hpa\b|family-assistant-7d9f8/,
    'clean, exempt and owned objects are not listed',
  );
  t.same(after('HPAs that scale nothing today (delete them, or restore their target):', 2), [
    '  homelab/family-assistant-enhanced-hpa -> Deployment family-assistant-enhanced',
    '  homelab/whisper-hpa -> Deployment whisper',
  ]);
  const nsTable = lines.findIndex((l) => l.startsWith('NAMESPACE'));
  t.same(lines.slice(nsTable, nsTable + 4), [
    'NAMESPACE    OBJECTS  DENIED  WARNED  ORPHANED HPAS  SKIPPED',
    'homelab            6       2       2              2        0',
    'kube-system        0       0       0              0        1',
    'media              5       1       0              0        0',
  ]);
  const ruleTable = lines.findIndex((l) => l.startsWith('RULE'));
  t.same(lines.slice(ruleTable, ruleTable + 4), [
    'RULE            DENY  WARN',
    'hpa-target         0     2',
    'image-registry     1     0',
    'image-tag          3     0',
  ]);
  t.equal(
    lines.at(-2),
    'audited 11 objects in every namespace (+2 owned by a workload, judged through it): 3 would be denied, 2 warned, 2 orphaned HPAs',
  );
});

t.test('progress goes to stderr only on a terminal, and is cleared', async (t) => {
  const r = await run(['-o', 'json'], { tty: true });
  t.ok(r.stderr.includes('\r\x1b[Klisting deployments: '), 'a progress line per page, rewritten in place');
  t.match(r.stderr, /listing horizontalpodautoscalers/);
  t.ok(r.stderr.endsWith('\r\x1b[K'), 'the line is cleared at the end');
  t.doesNotThrow(() => JSON.parse(r.stdout), 'stdout stays pure JSON');
});

t.test("json: check's shape, plus the orphaned HPAs", async (t) => {
  const r = await run(['-o', 'json']);
  t.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  t.same(Object.keys(out).sort(), ['errors', 'orphanedHpas', 'results', 'summary', 'uncheckedHpas']);
  t.same(out.summary, {
    objects: 11,
    denied: 3,
    warned: 2,
    skipped: 1,
    owned: 2,
    orphanedHpas: 2,
    errors: 0,
  });
  t.same(out.orphanedHpas, [
    {
      namespace: 'homelab',
      name: 'family-assistant-enhanced-hpa',
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'family-assistant-enhanced' },
    },
    {
      namespace: 'homelab',
      name: 'whisper-hpa',
      target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'whisper' },
    },
  ]);
  t.same(out.uncheckedHpas, []);
  t.same(out.errors, []);
  const verdicts = Object.fromEntries(
    out.results.map(
      (r: {
        kind: string;
        namespace: string;
        name: string;
        findings: { rule: string; action: string }[];
        skipped?: string;
      }) => [
        `${r.kind} ${r.namespace}/${r.name}`,
        r.skipped ? `skipped: ${r.skipped}` : r.findings.map((f) => `${f.action} ${f.rule}`).join(', '),
      ],
    ),
  );
  t.same(verdicts, {
    'Deployment homelab/family-assistant': 'deny image-registry, deny image-tag',
    'Deployment homelab/whisper-stt': 'deny image-tag',
    'Deployment media/jellyfin': '',
    'StatefulSet homelab/postgres': '',
    'DaemonSet kube-system/kube-proxy': 'skipped: namespace kube-system is exempt',
    'DaemonSet media/node-exporter': '',
    'CronJob media/backup': '',
    'Job media/migrate': 'deny image-tag',
    'ReplicationController media/legacy-proxy': '',
    'HorizontalPodAutoscaler homelab/family-assistant-enhanced-hpa': 'warn hpa-target',
    'HorizontalPodAutoscaler homelab/family-assistant-hpa': '',
    'HorizontalPodAutoscaler homelab/whisper-hpa': 'warn hpa-target',
  });
  const family = out.results.find((r: { name: string }) => r.name === 'family-assistant');
  t.match(family, {
    source: '/apis/apps/v1/namespaces/homelab/deployments/family-assistant',
    apiVersion: 'apps/v1',
    findings: [{ path: '/spec/template/spec/containers/0/image', message: /names no registry/ }],
  });
});

interface Report {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  summary: Record<string, number>;
  results: {
    policy: string;
    rule: string;
    result: string;
    severity?: string;
    message: string;
    source: string;
    scored: boolean;
    timestamp: { seconds: number; nanos: number };
    resources?: { kind: string; name: string; namespace: string; uid?: string }[];
    properties?: Record<string, string>;
  }[];
}

t.test(
  'policyreport: a PolicyReport per namespace and a ClusterPolicyReport, as YAML for kubectl apply',
  async (t) => {
    const before = Math.floor(Date.now() / 1000);
    const r = await run(['-o', 'policyreport']);
    t.equal(r.code, 1);
    const docs = parseAllDocuments(r.stdout);
    t.same(
      docs.flatMap((d) => d.errors),
      [],
      'valid YAML',
    );
    const reports = docs.map((d) => d.toJS() as Report);
    t.same(
      reports.map((x) => `${x.apiVersion} ${x.kind} ${x.metadata.namespace ?? '-'}/${x.metadata.name}`),
      [
        'wgpolicyk8s.io/v1alpha2 ClusterPolicyReport -/kube-hygiene',
        'wgpolicyk8s.io/v1alpha2 PolicyReport homelab/kube-hygiene',
        'wgpolicyk8s.io/v1alpha2 PolicyReport kube-system/kube-hygiene',
        'wgpolicyk8s.io/v1alpha2 PolicyReport media/kube-hygiene',
      ],
    );
    const [cluster, homelab, kubeSystem, media] = reports as [Report, Report, Report, Report];
    t.same(cluster.summary, { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 });
    t.same(cluster.results, []);
    // 3 workloads × 5 pod rules + 3 HPAs × hpa-target: 3 fail, 2 warn, 13 pass.
    t.same(homelab.summary, { pass: 13, fail: 3, warn: 2, error: 0, skip: 0 });
    t.same(media.summary, { pass: 24, fail: 1, warn: 0, error: 0, skip: 0 });
    t.same(kubeSystem.summary, { pass: 0, fail: 0, warn: 0, error: 0, skip: 5 });
    for (const report of reports) {
      const counted = Object.fromEntries(
        Object.keys(report.summary).map((k) => [k, report.results.filter((x) => x.result === k).length]),
      );
      t.same(
        counted,
        report.summary,
        `${report.kind} ${report.metadata.namespace ?? ''}: summary counts its results`,
      );
    }
    const whisper = homelab.results.find((x) => x.resources?.[0]?.name === 'whisper-hpa');
    t.match(whisper, {
      policy: 'kube-hygiene',
      rule: 'hpa-target',
      result: 'warn',
      severity: 'medium',
      message: /HPA homelab\/whisper-hpa scales Deployment whisper, which does not exist/,
      source: 'kube-hygiene',
      scored: true,
      resources: [
        {
          kind: 'HorizontalPodAutoscaler',
          name: 'whisper-hpa',
          namespace: 'homelab',
          uid: /^[0-9a-f-]{36}$/,
        },
      ],
      properties: { path: '/spec/scaleTargetRef/name' },
    });
    t.ok(
      whisper && whisper.timestamp.seconds >= before && whisper.timestamp.nanos === 0,
      'timestamp of the scan',
    );
    const fail = homelab.results
      .filter((x) => x.result === 'fail')
      .map((x) => `${x.resources?.[0]?.name} ${x.rule} ${x.severity}`);
    t.same(fail, [
      'family-assistant image-registry high',
      'family-assistant image-tag high',
      'whisper-stt image-tag high',
    ]);
    t.match(kubeSystem.results[0], {
      result: 'skip',
      message: 'namespace kube-system is exempt',
      resources: [{ name: 'kube-proxy' }],
    });
    t.notOk(
      reports.some((x) =>
        x.results.some((res) => res.resources?.[0]?.name.startsWith('family-assistant-7d9f8')),
      ),
      'owned objects are reported through their owner',
    );
  },
);

t.test('-n: one namespace, listed with namespaced calls; no ClusterPolicyReport', async (t) => {
  const from = api.requests.length;
  const r = await run(['-n', 'media', '-o', 'policyreport']);
  t.equal(r.code, 1);
  const reports = parseAllDocuments(r.stdout).map((d) => d.toJS() as Report);
  t.same(
    reports.map((x) => `${x.kind} ${x.metadata.namespace}`),
    ['PolicyReport media'],
  );
  const lists = api.requests.slice(from).filter((q) => q.includes('limit='));
  t.equal(lists.length, 9, 'one list per audited kind');
  t.ok(
    lists.every((q) => q.includes('/namespaces/media/')),
    'every list stays in the namespace',
  );
  const text = await run(['-n', 'homelab']);
  t.match(
    text.stdout,
    /audited 6 objects in namespace homelab \(\+2 owned by a workload, judged through it\): 2 would be denied, 2 warned, 2 orphaned HPAs/,
  );
});

t.test('a big namespace is listed in pages', async (t) => {
  for (let i = 0; i < 501; i++) {
    api.store.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `batch-${String(i).padStart(3, '0')}`, namespace: 'bulk' },
      spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/batch:v2.0.1' }] },
    });
  }
  t.teardown(() => {
    for (let i = 0; i < 501; i++)
      api.store.delete('v1', 'Pod', 'bulk', `batch-${String(i).padStart(3, '0')}`);
  });
  const from = api.requests.length;
  const r = await run(['-n', 'bulk', '-o', 'json']);
  t.equal(r.code, 0, 'nothing denied');
  t.equal(JSON.parse(r.stdout).summary.objects, 501, 'every Pod judged once');
  const pages = api.requests.slice(from).filter((q) => q.startsWith('GET /api/v1/namespaces/bulk/pods?'));
  t.equal(pages.length, 2);
  t.match(pages[1], /continue=/);
});

t.test('a kind RBAC forbids: reported, the rest still judged, exit 2', async (t) => {
  api.faults.forbidden.push(/\/cronjobs$/);
  t.teardown(() => void api.faults.forbidden.pop());
  const json = await run(['-o', 'json']);
  t.equal(json.code, 2, 'an incomplete audit exits 2');
  const out = JSON.parse(json.stdout);
  t.same(out.errors, [
    {
      source: '/apis/batch/v1/cronjobs',
      message:
        'listing cronjobs in every namespace failed: the API server answered 403; grant list on cronjobs or pass -n NAMESPACE',
    },
  ]);
  t.equal(out.summary.denied, 3, 'everything else is judged');
  const text = await run([]);
  t.match(text.stdout, /^error listing cronjobs in every namespace failed: the API server answered 403/);
  t.match(text.stdout, /1 listing error\n$/);
  const reports = parseAllDocuments((await run(['-o', 'policyreport'])).stdout).map(
    (d) => d.toJS() as Report,
  );
  t.match(reports[0], {
    kind: 'ClusterPolicyReport',
    summary: { error: 1 },
    results: [
      { rule: 'list', result: 'error', scored: false, properties: { source: '/apis/batch/v1/cronjobs' } },
    ],
  });
});

t.test('usage errors say what to do', async (t) => {
  const usage = async (args: string[], env: Record<string, string> = {}) => {
    const io: AuditIo = { stdout: new Capture(), stderr: new Capture(), env, color: false };
    const err = await audit(args, io).catch((e: unknown) => e);
    t.ok(err instanceof HygieneError, args.join(' '));
    t.equal((err as HygieneError).code, ErrorCode.USAGE);
    return (err as Error).message;
  };
  t.match(
    await usage([]),
    /audit needs a cluster: no --kubeconfig, no KUBECONFIG .*; pass --kubeconfig FILE or set KUBECONFIG/,
  );
  t.match(await usage(['--kubeconfig', '/nonexistent/config']), /\/nonexistent\/config/);
  t.match(
    await usage(['--kubeconfig', kubeconfigPath, '-o', 'yaml']),
    /--output must be one of text, json, policyreport/,
  );
  t.match(await usage(['--kubeconfig', kubeconfigPath, '--bogus']), /Unknown option '--bogus'/);
  const viaEnv = await run(['-o', 'json'], { env: { KUBECONFIG: kubeconfigPath } });
  t.equal(viaEnv.code, 1, 'KUBECONFIG names the cluster too');
});

t.test('the built binary: exit code and text on stdout', async (t) => {
  const child = spawn(process.execPath, [BIN, 'audit', '--kubeconfig', kubeconfigPath, '-n', 'homelab'], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.equal(code, 1);
  t.match(stdout, /homelab\/whisper-hpa -> Deployment whisper/);
  const clean = spawn(process.execPath, [BIN, 'audit', '--kubeconfig', kubeconfigPath, '-n', 'empty']);
  t.equal(await new Promise((resolve) => clean.on('close', resolve)), 0, 'nothing to deny: exit 0');
  const home = mkdtempSync(join(tmpdir(), 'kh-audit-home-')); // no ~/.kube/config there
  const none = spawn(process.execPath, [BIN, 'audit'], {
    env: { ...process.env, KUBECONFIG: '', HOME: home },
  });
  t.equal(await new Promise((resolve) => none.on('close', resolve)), 2, 'no cluster: exit 2');
});
