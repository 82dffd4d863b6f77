// `check` and `audit` end by naming the policy's exceptions that no longer earn their place:
// expired ones, and ones that covered nothing in what was judged. Warnings, never failures:
// an exception for a team's other repository is no reason to fail this one's pipeline.
import type { ExceptionNotice } from '../policy/exceptions.js';

export function writeExceptionNotices(
  stderr: NodeJS.WritableStream,
  command: string,
  notices: readonly ExceptionNotice[],
): void {
  for (const notice of notices) stderr.write(`kube-hygiene ${command}: warning: ${notice.message}\n`);
}
