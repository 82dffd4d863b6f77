// YAML for `kubectl apply -f -`. The yaml package writes YAML 1.2, which leaves `on`, `y` or
// `1_000` unquoted because they are text there; kubectl would read them as a boolean and a number
// (kubectl-scalar.ts) and refuse the object. Such strings are written double-quoted.
import { Document, Scalar, visit } from 'yaml';
import { kubectlScalar } from './kubectl-scalar.js';

export function stringifyForKubectl(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && typeof kubectlScalar(node.value) !== 'string')
        node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
