// A validated policy turned into what requests need: sets, compiled patterns and each rule's
// options, built once per policy load and shared by every request.
import { createHash } from 'node:crypto';
import type { Policy, RuleAction } from './schema.js';
import type { Rule } from '../rules/rule.js';
import { RULES } from '../rules/index.js';
import { compileImageGlobs, type ImageMatcher } from '../images/image-glob.js';
import { compileExceptions, type CompiledException } from './exceptions.js';

export type Mode = Policy['mode'];

export interface ConfiguredRule {
  readonly rule: Rule;
  readonly action: Exclude<RuleAction, 'off'>;
  readonly options: unknown;
}

export interface CompiledPolicy {
  readonly policy: Policy;
  /** Short content hash, shown by /readyz and the policy metric. */
  readonly hash: string;
  readonly mode: Mode;
  readonly exemptNamespaces: ReadonlySet<string>;
  readonly isExemptImage: ImageMatcher;
  readonly rules: readonly ConfiguredRule[];
  /** The policy's `exceptions`, in order (admission/exceptions.ts applies them). */
  readonly exceptions: readonly CompiledException[];
  /** A rule that is on asks image registries: only then does a request get registry lookups. */
  readonly asksRegistries: boolean;
}

export function compilePolicy(policy: Policy, rules: readonly Rule[] = RULES): CompiledPolicy {
  const configured: ConfiguredRule[] = [];
  for (const rule of rules) {
    const settings = (policy.rules as Readonly<Record<string, { action: RuleAction }>>)[rule.id]!;
    if (settings.action === 'off') continue;
    configured.push({ rule, action: settings.action, options: rule.configure(settings as never) });
  }
  return Object.freeze({
    policy,
    hash: createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 12),
    mode: policy.mode,
    exemptNamespaces: new Set(policy.exemptNamespaces),
    isExemptImage: compileImageGlobs(policy.exemptImages),
    rules: configured,
    asksRegistries: configured.some(({ rule }) => rule.needsRegistry === true),
    exceptions: compileExceptions(policy.exceptions),
  });
}
