// How large a patch this webhook sends. The patched object must still be stored: etcd refuses a
// write over 1.5 MiB (its --max-request-bytes default, object and key together), and the API
// server takes request bodies of at most 3 MiB. What the rules add to a pod a person wrote is a
// few KiB (two env entries per sidecar, a node selector, a digest per image); 1 MiB of patch is
// only reached by objects with thousands of containers, which the patch would push past what
// etcd stores (a 5,000-container Pod of 0.7 MiB grew a 1.1 MiB patch). Past the cap the object
// is admitted unchanged, and each rule that edited says so and what to do instead: an answer
// the API server applies, but whose object it then cannot store, helps no one.
// https://etcd.io/docs/v3.5/dev-guide/limit/
import type { Finding, RuleId } from '../rules/rule.js';
import { patchText, type PatchOperation } from './patch.js';

export const PATCH_MAX_BYTES = 1024 * 1024;

const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(2)} MiB`;

export interface LimitedPatch {
  readonly patch: readonly PatchOperation[];
  readonly findings: readonly Finding[];
}

/** `operations` when their JSON fits the cap; otherwise none, and a warning per editing rule. */
export function limitPatch(operations: readonly PatchOperation[], editors: Iterable<RuleId>): LimitedPatch {
  if (operations.length === 0) return { patch: operations, findings: [] };
  const size = Buffer.byteLength(patchText(operations), 'utf8');
  if (size <= PATCH_MAX_BYTES) return { patch: operations, findings: [] };
  const findings = [...editors].map((rule): Finding => ({
    rule,
    action: 'warn',
    path: '',
    subject: 'patch too large',
    message: `not applied: the patch would be ${mib(size)}, over this webhook's 1 MiB limit (the patched object must still fit etcd's 1.5 MiB); admitted unchanged: make the change in the manifest, or split the object`,
  }));
  return { patch: [], findings };
}
