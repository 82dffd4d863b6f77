// What the policy still says of a file once `fix` has done what it can, judged offline the way
// `check` judges it (documents.ts reads it, List items included): each finding as
// FILE:line:col, and how many would be denied.
import { evaluateRequest } from '../admission/evaluate.js';
import { requestFor } from '../admission/object-request.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { readManifestText } from './documents.js';

export interface Remaining {
  readonly lines: readonly string[];
  readonly denied: number;
}

export async function remainingFindings(
  name: string,
  text: string,
  policy: CompiledPolicy,
): Promise<Remaining> {
  const lines: string[] = [];
  let denied = 0;
  // fix-file.ts refused a file it could not read losslessly before this point.
  for (const { object, locate } of readManifestText(text, name).objects) {
    const { findings } = await evaluateRequest(requestFor(object), 'validate', { policy });
    for (const f of findings) {
      const at = locate(f.path);
      lines.push(`${name}${at ? `:${at}` : ''}: ${f.action} [${f.rule}] ${f.message}`);
      if (f.action === 'deny') denied++;
    }
  }
  return { lines, denied };
}
