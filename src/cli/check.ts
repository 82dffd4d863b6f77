// `kube-hygiene check [PATH…|-]`: the webhook's verdict on manifests, offline.
// Exit 0: nothing denied; 1: something would be denied (or warned, with --fail-on warn);
// 2: bad usage, unreadable input, or no Kubernetes object at all (a failed `helm template`).
// The input is read, judged and printed one YAML document at a time (document-stream.ts), so
// time and memory stay linear in its size; JSON output keeps each result's small summary.
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { evaluateRequest } from '../admission/evaluate.js';
import { readManifestText, type ReadProblem, type SourceObject } from './documents.js';
import { requestFor } from '../admission/object-request.js';
import { policyFromOptions } from './policy-options.js';
import type { CheckResult } from './check-output.js';
import { reportSink, textSink } from './check-sinks.js';
import { CHECK_FORMATS, type CheckFormat } from './check-formats.js';
import { ErrorCode, HygieneError } from '../errors.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { clusterRuleNotices } from '../policy/cluster-notices.js';
import type { RegistryLookups } from '../images/image-lookup.js';
import { registryRuleIds } from '../policy/registry-notices.js';
import { LookupBudget } from '../images/lookup-budget.js';
import { LOOKUP_BUDGET_MS, registryLookups } from './registry-options.js';
import { expandInputs, type InputRead } from './check-inputs.js';
import { splitDocuments, type StreamStats } from './document-stream.js';
import { describeFsError } from './fs-errors.js';
import { namespaceModeOf, type NamespaceMode } from '../cluster/namespace-mode.js';
import { nothingJudged } from './check-empty.js';
import { nearestLocated } from './check-locations.js';
import { exceptionNotices } from '../policy/exceptions.js';
import { writeExceptionNotices } from './exception-notices.js';

// `check` judges files, never a live cluster: the cluster rules say so and point to `audit`.
const OFFLINE = { kind: 'none', reason: 'check judges files offline' } as const;
const OFFLINE_REMEDY = 'kube-hygiene audit judges what a live cluster holds';

export const HELP = `usage: kube-hygiene check [options] [PATH…|-]

Judges Kubernetes manifests the way the webhook would judge them on kubectl apply.
PATH is a file or a directory (walked for *.yaml, *.yml, *.json); - reads stdin
(for example: helm template RELEASE CHART | kube-hygiene check -). Helm charts and
kustomizations are judged once rendered: a directory holding Chart.yaml or kustomization.yaml
is not read, and the output says how to render it.

options:
  -o, --output FORMAT      text (default), json, sarif (SARIF 2.1.0 for code scanning)
                           or junit (JUnit XML for CI test reports)
  -n, --namespace NS       namespace of objects that name none (default: default), so exempt
                           namespaces apply as in the cluster; cluster-scoped kinds have none
      --policy FILE        policy file (default: the embedded default policy)
      --mode enforce|audit override the policy's mode
      --fail-on deny|warn  exit 1 on a denial (default), or on a warning too
      --allow-empty        exit 0 when the input holds no Kubernetes object
      --resolve            ask image registries (node-arch, image-exists), with the policy's
                           registries / registryLookup settings; without it those rules are skipped
  -v, --verbose            list the documents skipped as not Kubernetes objects
  -h, --help

exit codes: 0 nothing denied, 1 something would be denied (or warned, with --fail-on warn),
2 bad usage, unreadable input, or no Kubernetes object in the input`;

export interface CheckIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** The manifests `-` names (default: the process's stdin). */
  readonly stdin?: () => AsyncIterable<Buffer | string>;
  /** Colour the text output (a terminal that did not ask for NO_COLOR). */
  readonly color: boolean;
}

const processIo: CheckIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: () => process.stdin,
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
};

const FAIL_ON = ['deny', 'warn'] as const;
// RFC 1123 label, as the API server checks a namespace name.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

interface Judge {
  readonly policy: CompiledPolicy;
  readonly registry: RegistryLookups | undefined;
  readonly namespace: string | undefined;
  /** `kube-hygiene.io/mode` labels of the Namespaces read so far, as the cluster would hold them. */
  readonly namespaceModes: Map<string, NamespaceMode>;
  /** The policy's exceptions that covered a denial here (listed when they cover nothing). */
  readonly exceptionsUsed: Set<number>;
}

/** Line and column of a `line:col` text, for sorting; unlocated findings first. */
const position = (at: string | undefined): [number, number] => {
  if (!at) return [0, 0];
  const [line, col] = at.split(':').map(Number);
  return [line ?? 0, col ?? 0];
};

async function judge(item: SourceObject, deps: Judge): Promise<CheckResult> {
  const { object } = item;
  const ownNamespace = typeof object.metadata?.namespace === 'string' && object.metadata.namespace !== '';
  const request = requestFor(object, !ownNamespace && deps.namespace ? { namespace: deps.namespace } : {});
  if (request.kind.kind === 'Namespace' && request.kind.group === '' && request.name) {
    const mode = namespaceModeOf(object.metadata?.labels);
    if (mode) deps.namespaceModes.set(request.name, mode);
  }
  const { findings, skipped } = await evaluateRequest(request, 'validate', {
    policy: deps.policy,
    namespaceMode: (namespace) => deps.namespaceModes.get(namespace),
    exceptionsUsed: deps.exceptionsUsed,
    ...(deps.registry && { registry: deps.registry, deadline: new LookupBudget(LOOKUP_BUDGET_MS) }),
  });
  // Lines are looked up now, so the parsed document can be dropped; findings in file order.
  // Kept: the object's own line, each finding's (the text output's), and the nearest one the
  // file holds above a finding about something missing (where json, sarif and junit point).
  const lines = new Map<string, string | undefined>([['', item.locate('')]]);
  for (const { path } of findings) {
    const nearest = nearestLocated(path, item.locate);
    if (nearest?.at !== path) lines.set(path, undefined);
    if (nearest) lines.set(nearest.at, nearest.where);
  }
  const sorted = findings
    .map(({ rule, action, path, message }, order) => ({ rule, action, path, message, order }))
    .sort((a, b) => {
      const [al, ac] = position(lines.get(a.path));
      const [bl, bc] = position(lines.get(b.path));
      return al - bl || ac - bc || a.order - b.order;
    })
    .map(({ order: _order, ...f }) => f);
  return {
    source: item.source,
    kind: request.kind.kind,
    namespace: request.namespace ?? '',
    name: request.name ?? '',
    findings: sorted,
    locate: (pointer) => lines.get(pointer),
    ...(skipped && { exempt: skipped }),
    ...(item.helmSource && { helmSource: item.helmSource }),
  };
}

function usageError(message: string): HygieneError {
  return new HygieneError(ErrorCode.USAGE, message);
}

export async function check(args: string[], io: CheckIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o', default: 'text' },
      namespace: { type: 'string', short: 'n' },
      policy: { type: 'string' },
      mode: { type: 'string' },
      'fail-on': { type: 'string', default: 'deny' },
      'allow-empty': { type: 'boolean', default: false },
      resolve: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(HELP + '\n');
    return 0;
  }
  const output = values.output as CheckFormat;
  if (!CHECK_FORMATS.includes(output))
    throw usageError(`--output must be one of ${CHECK_FORMATS.join(', ')}, got "${values.output}"`);
  const failOn = values['fail-on'];
  if (!FAIL_ON.includes(failOn as 'deny'))
    throw usageError(`--fail-on must be one of ${FAIL_ON.join(', ')}, got "${failOn}"`);
  if (values.namespace !== undefined && !NAMESPACE.test(values.namespace))
    throw usageError(
      `--namespace must be a namespace name (lower case letters, digits and -), got "${values.namespace}"`,
    );
  if (positionals.length === 0) throw usageError('give a file, a directory or -');
  if (positionals.filter((p) => p === '-').length > 1) throw usageError('- (stdin) can be read only once');
  const policy = policyFromOptions(values.policy, values.mode);
  const registry = values.resolve ? registryLookups(policy) : undefined;
  const deps: Judge = {
    policy,
    registry,
    namespace: values.namespace,
    namespaceModes: new Map(),
    exceptionsUsed: new Set(),
  };

  const { inputs, notices: unrendered, problems: pathProblems } = expandInputs(positionals);
  const files = inputs.reduce((n, input) => n + input.files.length, 0);
  let progress = '';
  const showProgress = io.stderr.isTTY === true && files > 20;
  const clearProgress = () => {
    if (progress) io.stderr.write('\r\x1b[K');
    progress = '';
  };
  const sink =
    output === 'text'
      ? textSink(io, values.verbose, clearProgress)
      : reportSink(io, output, policy, { warningsFail: failOn === 'warn' && policy.mode !== 'audit' });
  const notices = [...clusterRuleNotices(policy, OFFLINE, OFFLINE_REMEDY), ...unrendered];
  const summary = {
    documents: 0,
    denied: 0,
    warned: 0,
    errors: 0,
    skipped: registry ? [] : registryRuleIds(policy),
  };
  let exempt = 0;
  let skippedDocuments = 0;
  const problem = (p: ReadProblem) => {
    summary.errors++;
    sink.problem(p);
  };
  notices.forEach((n) => sink.notice(n));
  pathProblems.forEach(problem);

  const reads: InputRead[] = [];
  let fileNumber = 0;
  for (const input of inputs) {
    const read: InputRead = { input, objects: 0, skipped: 0, bytes: 0 };
    reads.push(read);
    for (const file of input.files) {
      if (showProgress) io.stderr.write((progress = `\rchecking ${++fileNumber}/${files} files`));
      const stats: StreamStats = { bytes: 0 };
      let index = 0;
      try {
        const stream = file === '-' ? (io.stdin ?? processIo.stdin!)() : createReadStream(file);
        for await (const doc of splitDocuments(stream, stats)) {
          const text = readManifestText(doc.text, file, { line: doc.firstLine, index });
          index += text.documents;
          text.problems.forEach(problem);
          read.skipped += text.skipped.length;
          skippedDocuments += text.skipped.length;
          text.skipped.forEach((s) => sink.skip(s));
          for (const item of text.objects) {
            const result = await judge(item, deps);
            read.objects++;
            summary.documents++;
            if (result.exempt) exempt++;
            if (result.findings.some((f) => f.action === 'deny')) summary.denied++;
            if (result.findings.some((f) => f.action === 'warn')) summary.warned++;
            sink.result(result);
          }
        }
      } catch (err) {
        // A file that cannot be opened or read; anything else is a bug, and is not hidden.
        if (typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
        problem({ source: file, message: describeFsError(err, file === '-' ? 'stdin' : file) });
      }
      read.bytes += stats.bytes;
      if (stats.binaryAt !== undefined) {
        problem({
          source: file,
          message: `${file === '-' ? 'stdin' : file}: not text (a NUL byte at byte ${stats.binaryAt}), which kubectl cannot read`,
        });
      }
    }
  }
  clearProgress();
  // Input errors already say why nothing was judged; otherwise an empty input is said in words.
  if (summary.documents === 0 && summary.errors === 0 && !values['allow-empty']) {
    problem({ source: '', message: nothingJudged(reads) });
  }
  // Expired exceptions, and those that covered nothing here (policy/exceptions.ts).
  const exceptions = exceptionNotices(policy.exceptions, deps.exceptionsUsed, new Date());
  writeExceptionNotices(io.stderr, 'check', exceptions);
  sink.finish({
    notices,
    files,
    summary,
    exempt,
    skippedDocuments,
    // Only for a policy that has exceptions: the JSON shape stays as it was for one that has none.
    ...(policy.exceptions.length > 0 && { exceptions }),
  });
  if (summary.errors) return 2;
  if (summary.denied) return 1;
  // Audit mode never rejects, so it never fails a pipeline on warnings either.
  if (failOn === 'warn' && policy.mode !== 'audit' && summary.warned) return 1;
  return 0;
}
