// Every rule, in the order findings are reported and their settings appear in the policy.
// Adding a rule: CONTRIBUTING.md, "Adding a rule".
import type { Rule } from './rule.js';
import imageRegistry from './image-registry.js';
import imageTag from './image-tag.js';
import imagePullPolicy from './image-pull-policy.js';
import podIdentityEnv from './pod-identity-env.js';
import hpaTarget from './hpa-target.js';
import nodeArch from './node-arch.js';
import imageExists from './image-exists.js';
import imageDigest from './image-digest.js';
import resourceRequests from './resource-requests.js';

/** Every rule with its literal id and settings schema: policy/schema.ts types the policy from them. */
export const RULE_DEFINITIONS = [
  imageRegistry,
  imageTag,
  imagePullPolicy,
  podIdentityEnv,
  hpaTarget,
  nodeArch,
  imageExists,
  imageDigest,
  resourceRequests,
] as const;

/** The same rules, as the engine runs them. */
export const RULES: readonly Rule[] = RULE_DEFINITIONS;
