// `audit -o policyreport`: the report as wg-policy `wgpolicyk8s.io/v1alpha2` objects, the
// format Kyverno, Kubewarden and Trivy write, so Policy Reporter and existing dashboards read
// it: one PolicyReport per namespace, one ClusterPolicyReport for what belongs to no namespace
// (a kind that could not be listed cluster-wide). `kubectl apply -f -` stores them where the
// CRDs are installed. https://github.com/kubernetes-sigs/wg-policy-prototypes/tree/master/policy-report
import type { AuditError, AuditReport, AuditResult } from './audit-run.js';
import { stringifyForKubectl } from './kubectl-stringify.js';

export const REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
const SOURCE = 'kube-hygiene';
// One policy (the policy file) whose rules are kube-hygiene's rules, as Kyverno names policy and rule.
const POLICY = 'kube-hygiene';
const REPORT_NAME = 'kube-hygiene';
const LABELS = { 'app.kubernetes.io/managed-by': 'kube-hygiene' };

const ResultValue = { pass: 'pass', fail: 'fail', warn: 'warn', error: 'error', skip: 'skip' } as const;
type ResultValue = (typeof ResultValue)[keyof typeof ResultValue];

interface ReportResult {
  policy: string;
  rule: string;
  result: ResultValue;
  severity?: 'high' | 'medium';
  message: string;
  resources?: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string }[];
  properties?: Record<string, string>;
  source: string;
  scored: boolean;
  timestamp: { seconds: number; nanos: number };
}

function resultsOf(r: AuditResult, timestamp: ReportResult['timestamp']): ReportResult[] {
  const resources = [
    {
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: r.name,
      namespace: r.namespace,
      ...(r.uid ? { uid: r.uid } : {}),
    },
  ];
  const result = (
    rule: string,
    value: ResultValue,
    message: string,
    extra: Partial<ReportResult> = {},
  ): ReportResult => ({
    policy: POLICY,
    rule,
    result: value,
    ...(value === ResultValue.fail ? { severity: 'high' as const } : {}),
    ...(value === ResultValue.warn ? { severity: 'medium' as const } : {}),
    message,
    resources,
    ...extra,
    source: SOURCE,
    scored: true,
    timestamp,
  });
  if (r.skipped) return r.rules.map((rule) => result(rule, ResultValue.skip, r.skipped ?? ''));
  const fired = new Set(r.findings.map((f) => f.rule));
  return [
    ...r.findings.map((f) =>
      result(
        f.rule,
        f.action === 'deny' ? ResultValue.fail : ResultValue.warn,
        f.message,
        f.path ? { properties: { path: f.path } } : {},
      ),
    ),
    ...r.rules
      .filter((rule) => !fired.has(rule))
      .map((rule) => result(rule, ResultValue.pass, `${rule}: nothing to report`)),
  ];
}

const errorResult = (e: AuditError, timestamp: ReportResult['timestamp']): ReportResult => ({
  policy: POLICY,
  rule: 'list',
  result: ResultValue.error,
  message: e.message,
  properties: { source: e.source },
  source: SOURCE,
  scored: false,
  timestamp,
});

function report(
  kind: 'PolicyReport' | 'ClusterPolicyReport',
  namespace: string | undefined,
  results: ReportResult[],
) {
  const summary = Object.fromEntries(
    Object.values(ResultValue).map((value) => [value, results.filter((r) => r.result === value).length]),
  );
  return {
    apiVersion: REPORT_API_VERSION,
    kind,
    metadata: { name: REPORT_NAME, ...(namespace ? { namespace } : {}), labels: LABELS },
    summary,
    results,
  };
}

/** The report objects: the ClusterPolicyReport first (not for a one-namespace audit), then one PolicyReport per namespace. */
export function policyReports(audit: AuditReport): object[] {
  const timestamp = { seconds: Math.floor(audit.scannedAt.getTime() / 1000), nanos: 0 };
  const namespaces = [...new Set(audit.results.map((r) => r.namespace))];
  if (audit.namespace !== undefined && !namespaces.includes(audit.namespace))
    namespaces.push(audit.namespace);
  const errors = audit.errors.map((e) => errorResult(e, timestamp));
  const out: object[] = [];
  if (audit.namespace === undefined) out.push(report('ClusterPolicyReport', undefined, errors));
  for (const ns of namespaces.sort()) {
    const results = audit.results.filter((r) => r.namespace === ns).flatMap((r) => resultsOf(r, timestamp));
    if (audit.namespace === ns) results.push(...errors);
    out.push(report('PolicyReport', ns, results));
  }
  return out;
}

/** YAML documents, ready for `kubectl apply -f -`. */
export function formatPolicyReports(audit: AuditReport): string {
  return policyReports(audit)
    .map((object) => stringifyForKubectl(object))
    .join('---\n');
}
