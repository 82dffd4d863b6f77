// Without registry lookups, rules that ask registries are off. That is said once, where a
// person will read it (the server's start-up log, the summary of `check`), never as a
// warning on every admitted object.
import type { CompiledPolicy } from './compile.js';

/** Ids of the active rules that need registry lookups. */
export function registryRuleIds(policy: CompiledPolicy): string[] {
  return policy.rules.filter(({ rule }) => rule.needsRegistry).map(({ rule }) => rule.id);
}

export function registryRuleNotices(policy: CompiledPolicy, reason: string): string[] {
  return registryRuleIds(policy).map((id) => `${id} is off: ${reason}`);
}
