// `kube-hygiene check [PATH…|-]`: the webhook's verdict on manifests, offline.
// Exit 0: nothing denied; 1: something would be denied; 2: bad usage or unreadable input.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evaluateRequest } from '../admission/evaluate.js';
import { expandPaths, readManifestText, type ReadProblem, type SourceObject } from './documents.js';
import { requestFor } from '../admission/object-request.js';
import { policyFromOptions } from './policy-options.js';
import { type CheckReport, type CheckResult } from './check-output.js';
import { CHECK_FORMATS, formatCheckReport, type CheckFormat } from './check-formats.js';
import { ErrorCode, HygieneError } from '../errors.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { clusterRuleNotices } from '../policy/cluster-notices.js';

// `check` judges files, never a live cluster: the cluster rules say so and point to `audit`.
const OFFLINE = { kind: 'none', reason: 'check judges files offline' } as const;
const OFFLINE_REMEDY = 'kube-hygiene audit judges what a live cluster holds';
import type { RegistryLookups } from '../images/image-lookup.js';
import { registryRuleIds } from '../policy/registry-notices.js';
import { LookupBudget } from '../images/lookup-budget.js';
import { LOOKUP_BUDGET_MS, registryLookups } from './registry-options.js';
import { exceptionNotices } from '../policy/exceptions.js';
import { writeExceptionNotices } from './exception-notices.js';

const HELP = `usage: kube-hygiene check [options] [PATH…|-]

Judges Kubernetes manifests the way the webhook would judge them on kubectl apply.
PATH is a file or a directory (walked for *.yaml, *.yml, *.json); - reads stdin
(for example: helm template . | kube-hygiene check -).

options:
  -o, --output FORMAT      text (default), json, sarif (SARIF 2.1.0 for code scanning)
                           or junit (JUnit XML for CI test reports)
      --policy FILE        policy file (default: the embedded default policy)
      --mode enforce|audit override the policy's mode
      --resolve            ask image registries (node-arch, image-exists), with the policy's
                           registries / registryLookup settings; without it those rules are skipped
  -h, --help

exit codes: 0 nothing denied, 1 something would be denied, 2 bad usage or unreadable input`;

export interface CheckIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly readStdin: () => string;
  /** Colour the text output (a terminal that did not ask for NO_COLOR). */
  readonly color: boolean;
}

const processIo: CheckIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => readFileSync(0, 'utf8'),
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
};

async function judge(
  item: SourceObject,
  policy: CompiledPolicy,
  registry: RegistryLookups | undefined,
  exceptionsUsed: Set<number>,
): Promise<CheckResult> {
  const request = requestFor(item.object);
  const { findings } = await evaluateRequest(request, 'validate', {
    policy,
    exceptionsUsed,
    ...(registry && { registry, deadline: new LookupBudget(LOOKUP_BUDGET_MS) }),
  });
  return {
    source: item.source,
    kind: request.kind.kind,
    namespace: request.namespace ?? '',
    name: request.name ?? '',
    findings: findings.map(({ rule, action, path, message }) => ({ rule, action, path, message })),
    locate: item.locate,
    ...(item.helmSource && { helmSource: item.helmSource }),
  };
}

export async function check(args: string[], io: CheckIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o', default: 'text' },
      policy: { type: 'string' },
      mode: { type: 'string' },
      resolve: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP + '\n');
    return 0;
  }
  const output = values.output as CheckFormat;
  if (!CHECK_FORMATS.includes(output)) {
    throw new HygieneError(
      ErrorCode.USAGE,
      `--output must be one of ${CHECK_FORMATS.join(', ')}, got "${values.output}"`,
    );
  }
  if (positionals.length === 0)
    throw new HygieneError(ErrorCode.USAGE, `give a file, a directory or -\n\n${HELP}`);
  const policy = policyFromOptions(values.policy, values.mode);
  const registry = values.resolve ? registryLookups(policy) : undefined;

  const problems: ReadProblem[] = [];
  const inputs = positionals.flatMap((p) => (p === '-' ? ['-'] : expandPaths([p], problems)));
  const showProgress = io.stderr.isTTY === true && inputs.length > 20;
  const results: CheckResult[] = [];
  const exceptionsUsed = new Set<number>();
  for (const [i, name] of inputs.entries()) {
    if (showProgress) io.stderr.write(`\rchecking ${i + 1}/${inputs.length} files`);
    let text: string;
    try {
      text = name === '-' ? io.readStdin() : readFileSync(name, 'utf8');
    } catch (err) {
      problems.push({ source: name, message: `${name}: cannot read: ${(err as Error).message}` });
      continue;
    }
    const read = readManifestText(text, name);
    problems.push(...read.problems);
    for (const item of read.objects) results.push(await judge(item, policy, registry, exceptionsUsed));
  }
  if (showProgress) io.stderr.write('\r\x1b[K');

  const report: CheckReport = {
    results,
    errors: problems,
    files: inputs.length,
    notices: clusterRuleNotices(policy, OFFLINE, OFFLINE_REMEDY),
    summary: {
      documents: results.length,
      denied: results.filter((r) => r.findings.some((f) => f.action === 'deny')).length,
      warned: results.filter((r) => r.findings.some((f) => f.action === 'warn')).length,
      errors: problems.length,
      skipped: registry ? [] : registryRuleIds(policy),
    },
  };
  // Expired exceptions, and those that covered nothing here (policy/exceptions.ts).
  const exceptions = exceptionNotices(policy.exceptions, exceptionsUsed, new Date());
  writeExceptionNotices(io.stderr, 'check', exceptions);
  // Only for a policy that has exceptions: the JSON shape stays as it was for one that has none.
  const shown = policy.exceptions.length > 0 ? { ...report, exceptions } : report;
  io.stdout.write(formatCheckReport(output, shown, policy, { color: io.color }));
  if (problems.length) return 2;
  return report.summary.denied ? 1 : 0;
}
