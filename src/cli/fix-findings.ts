// What the policy still says of a file once `fix` has done what it can, judged offline the way
// `check` judges it: each finding as FILE:line:col, and how many would be denied.
import { LineCounter, parseAllDocuments } from 'yaml';
import { evaluateRequest } from '../admission/evaluate.js';
import { requestFor } from '../admission/object-request.js';
import { isKubeObject, type KubeObject } from '../kube/workload.js';
import { pointerSteps } from '../json.js';
import type { CompiledPolicy } from '../policy/compile.js';

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
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, merge: true, prettyErrors: false });
  if (!Array.isArray(docs)) return { lines, denied };
  for (const doc of docs) {
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue; // fix-file.ts refused such a file before this point
    }
    if (!isKubeObject(value)) continue;
    const list = typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
    const objects: [KubeObject, string][] = list
      ? (value.items as unknown[]).flatMap((item, i) =>
          isKubeObject(item) ? [[item, `/items/${i}`] as [KubeObject, string]] : [],
        )
      : [[value, '']];
    for (const [object, prefix] of objects) {
      const { findings } = await evaluateRequest(requestFor(object), 'validate', { policy });
      for (const f of findings) {
        const node = doc.getIn(pointerSteps(prefix + f.path), true) as
          { range?: [number, number, number] } | undefined;
        const at = node?.range ? counter.linePos(node.range[0]) : undefined;
        lines.push(`${name}${at ? `:${at.line}:${at.col}` : ''}: ${f.action} [${f.rule}] ${f.message}`);
        if (f.action === 'deny') denied++;
      }
    }
  }
  return { lines, denied };
}
