// Every rule, in the order findings are reported. Adding a rule: a file here, one line below,
// its settings in policy/schema.ts and policies/default.yaml, its cases under policies/tests/,
// and its row in the README.
import type { Rule } from './rule.js';
import imageRegistry from './image-registry.js';
import imageTag from './image-tag.js';
import imagePullPolicy from './image-pull-policy.js';
import podIdentityEnv from './pod-identity-env.js';
import hpaTarget from './hpa-target.js';
import nodeArch from './node-arch.js';
import imageExists from './image-exists.js';
import imageDigest from './image-digest.js';

export const RULES: readonly Rule[] = [
  imageRegistry,
  imageTag,
  imagePullPolicy,
  podIdentityEnv,
  hpaTarget,
  nodeArch,
  imageExists,
  imageDigest,
];
