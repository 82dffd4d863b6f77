// `kube-hygiene review`: prints exactly what the server's endpoint would answer for a review,
// through the same handleReview the routes call.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { handleReview, malformed } from '../admission/handle.js';
import { policyFromOptions } from './policy-options.js';
import { ErrorCode, HygieneError } from '../errors.js';
import type { Endpoint } from '../rules/rule.js';
import { registryRuleIds } from '../policy/registry-notices.js';
import { LookupBudget } from '../images/lookup-budget.js';
import { LOOKUP_BUDGET_MS, registryLookups, skippedText } from './registry-options.js';

export const HELP = `usage: kube-hygiene review [options] [FILE|-]

Reads an admission.k8s.io/v1 AdmissionReview (FILE, or stdin when FILE is - or absent) and prints the
AdmissionReview the server's endpoint would answer with.

options:
      --endpoint validate|mutate  which webhook endpoint answers (default validate)
      --policy FILE               policy file (default: the embedded default policy)
      --mode enforce|audit        override the policy's mode
      --resolve                   ask image registries, as the server does (node-arch, image-exists,
                                  image-digest); without it those rules are skipped (said on stderr)
  -h, --help

exit codes: 0 allowed, 1 denied, 2 bad usage or a malformed review (the 400 body is printed)`;

export async function review(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      endpoint: { type: 'string', default: 'validate' },
      policy: { type: 'string' },
      mode: { type: 'string' },
      resolve: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (values.endpoint !== 'validate' && values.endpoint !== 'mutate') {
    throw new HygieneError(
      ErrorCode.USAGE,
      `--endpoint must be validate or mutate, got "${values.endpoint}"`,
    );
  }
  if (positionals.length > 1)
    throw new HygieneError(ErrorCode.USAGE, 'give one review file (or - for stdin)');
  const policy = policyFromOptions(values.policy, values.mode);
  const file = positionals[0] ?? '-';
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new HygieneError(ErrorCode.INPUT_UNREADABLE, `cannot read ${file}: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    const outcome = malformed([`the body is not JSON (${(err as Error).message})`]);
    process.stdout.write(JSON.stringify(outcome.body, null, 2) + '\n');
    return 2;
  }
  const registry = values.resolve ? registryLookups(policy) : undefined;
  const skipped = registry ? [] : registryRuleIds(policy);
  if (skipped.length) process.stderr.write(`kube-hygiene review: ${skippedText(skipped)}\n`);
  const outcome = await handleReview(body, values.endpoint as Endpoint, {
    policy,
    ...(registry && { registry, deadline: new LookupBudget(LOOKUP_BUDGET_MS) }),
  });
  process.stdout.write(JSON.stringify(outcome.body, null, 2) + '\n');
  if (!outcome.answered) return 2;
  return outcome.body.response.allowed ? 0 : 1;
}
