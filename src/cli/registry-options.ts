// `--resolve`, shared by the commands that judge: registry lookups with the policy's
// `registries` and `registryLookup` settings, one client (one set of caches) for the whole run.
import type { CompiledPolicy } from '../policy/compile.js';
import { RegistryLookups } from '../images/image-lookup.js';
import { RegistryClient } from '../images/registry/client.js';
import { registryClientOptions } from '../policy/registry-client-options.js';
import { ErrorCode, HygieneError } from '../errors.js';

// Registry lookups of one document get this long in all, as a webhook request would.
export const LOOKUP_BUDGET_MS = 10_000;

/** Throws HygieneError when the policy's registry settings cannot be used (exit 2). */
export function registryLookups(policy: CompiledPolicy): RegistryLookups {
  try {
    return new RegistryLookups(new RegistryClient(registryClientOptions(policy.policy)));
  } catch (err) {
    throw new HygieneError(
      ErrorCode.POLICY_INVALID,
      `the policy's registry settings cannot be used with --resolve: ${(err as Error).message}`,
    );
  }
}

/** What the summary says about the rules --resolve would have run. */
export const skippedText = (ids: readonly string[]) =>
  `skipped ${ids.join(', ')} (they ask image registries: pass --resolve)`;
