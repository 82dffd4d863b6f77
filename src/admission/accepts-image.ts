// Whether a policy passes an image on the strength of its name alone. Remedies are checked with
// this before they are suggested, and `kube-hygiene fix` before it writes an image, so neither
// ever proposes something another rule would deny.
import type { ImageReference } from '../images/reference.js';
import type { CompiledPolicy } from '../policy/compile.js';

export function policyAcceptsImage(policy: CompiledPolicy, ref: ImageReference): boolean {
  if (policy.isExemptImage(ref.original, ref)) return true;
  return policy.rules.every(({ rule, options }) => rule.acceptsImage?.(ref, options) ?? true);
}
