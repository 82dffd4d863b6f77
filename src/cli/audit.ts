// `kube-hygiene audit`: the rollout tool. Judges what a live cluster already runs, as enforce
// mode would judge it if it were created today, and lists the HPAs that already scale nothing.
// Run it, fix or exempt, then switch the webhook to enforce.
// The cluster is found as kubectl finds it (audit-kubeconfig.ts) and asked once whether it answers
// at all (audit-reachable.ts) before anything is listed.
// Exit 0: nothing would be denied; 1: something would be; 2: bad usage, no cluster, an API server
// that cannot be reached, or a kind that could not be listed (the report is then incomplete).
import { parseArgs } from 'node:util';
import { loadAuditCluster } from './audit-kubeconfig.js';
import { ensureReachable } from './audit-reachable.js';
import { ErrorCode, HygieneError } from '../errors.js';
import { policyFromOptions } from './policy-options.js';
import { runAudit, type AuditOptions } from './audit-run.js';
import { auditJson, formatAuditText, summarise } from './audit-output.js';
import { formatPolicyReports } from './audit-policyreport.js';
import { writeExceptionNotices } from './exception-notices.js';

export const HELP = `usage: kube-hygiene audit [options]

Judges every workload (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
ReplicationControllers, Pods) and HPA in a live cluster the way the webhook in enforce mode
would judge them if they were created today, and lists the HPAs whose target is gone.
Objects owned by a workload (a Deployment's ReplicaSets and Pods) are judged through it.

options:
      --kubeconfig FILE              cluster to audit (default, as kubectl: the files KUBECONFIG
                                     lists, merged; else ~/.kube/config; else in-cluster)
      --context NAME                 the kubeconfig context to use (default: its current-context)
  -n, --namespace NAME               audit one namespace (default: every namespace)
  -o, --output text|json|policyreport
                                     policyreport: wgpolicyk8s.io/v1alpha2 PolicyReport per
                                     namespace + ClusterPolicyReport, as YAML for kubectl apply
      --policy FILE                  policy file (default: the embedded default policy)
  -h, --help

needs list on those kinds (every namespace, or the one given): docs/audit.md.
exit codes: 0 nothing would be denied, 1 something would be denied, 2 bad usage, no cluster,
an API server that cannot be reached, or a kind that could not be listed`;

const OUTPUTS = ['text', 'json', 'policyreport'] as const;

export interface AuditIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Colour the text output (a terminal that did not ask for NO_COLOR). */
  readonly color: boolean;
}

const processIo: AuditIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
};

export async function audit(args: string[], io: AuditIo = processIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        output: { type: 'string', short: 'o', default: 'text' },
        policy: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    // commands.ts shortens Node's message to one line and adds the usage.
    throw new HygieneError(ErrorCode.USAGE, (err as Error).message);
  }
  if (values.help) {
    io.stdout.write(HELP + '\n');
    return 0;
  }
  const output = values.output as (typeof OUTPUTS)[number];
  if (!OUTPUTS.includes(output)) {
    throw new HygieneError(ErrorCode.USAGE, `--output must be one of ${OUTPUTS.join(', ')}, got "${output}"`);
  }
  if (values.namespace === '') throw new HygieneError(ErrorCode.USAGE, '-n needs a namespace name');
  const policy = policyFromOptions(values.policy, undefined);
  if (values.context === '') throw new HygieneError(ErrorCode.USAGE, '--context needs a context name');
  const cluster = loadAuditCluster({ kubeconfig: values.kubeconfig, context: values.context, env: io.env });
  await ensureReachable(cluster);

  const progress = io.stderr.isTTY === true;
  const options: AuditOptions = {
    ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
    ...(progress && {
      onProgress: (resource, objects) =>
        io.stderr.write(`\r\x1b[Klisting ${resource.plural}: ${objects} objects`),
    }),
  };
  const report = await runAudit(cluster.kc, policy, options);
  if (progress) io.stderr.write('\r\x1b[K');
  writeExceptionNotices(io.stderr, 'audit', report.exceptions ?? []);

  if (output === 'json') io.stdout.write(JSON.stringify(auditJson(report), null, 2) + '\n');
  else if (output === 'policyreport') io.stdout.write(formatPolicyReports(report));
  else io.stdout.write(formatAuditText(report, io.color));
  const summary = summarise(report);
  if (summary.errors) return 2;
  return summary.denied ? 1 : 0;
}
