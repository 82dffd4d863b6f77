// The contract every rule keeps. A rule is one file: it turns its policy settings into
// options once per policy load (`configure`) and judges one object per call (`evaluate`),
// reading only the context it is given. Rules never decide the final action: the engine
// applies mode, ratchet and controller downgrades in one place (admission/evaluate.ts).
import type { V1Container } from '@kubernetes/client-node';
import type { ParseResult } from '../images/reference.js';
import type { PodSpecSite, KubeObject } from '../admission/workload.js';
import type { RuleSettings } from '../policy/schema.js';
import type { ClusterLookup } from '../cluster/lookup.js';
import type { ImageLookup } from '../images/image-lookup.js';

export type RuleId = keyof RuleSettings;

export const Endpoint = { validate: 'validate', mutate: 'mutate' } as const;
export type Endpoint = (typeof Endpoint)[keyof typeof Endpoint];

export const Operation = {
  CREATE: 'CREATE',
  UPDATE: 'UPDATE',
  DELETE: 'DELETE',
  CONNECT: 'CONNECT',
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

export const Action = { deny: 'deny', warn: 'warn' } as const;
export type Action = (typeof Action)[keyof typeof Action];

/** A check the engine makes whatever the policy says: an image the kubelet refuses to parse. */
export const IMAGE_REFERENCE = 'image-reference';
/** Who reported a finding: a rule, or the engine's own image-reference check. */
export type FindingSource = RuleId | typeof IMAGE_REFERENCE;

export interface Finding {
  readonly rule: FindingSource;
  readonly action: Action;
  readonly message: string;
  /** JSON pointer into the admitted object. */
  readonly path: string;
  /** What the finding is about (an image, a container); a ratchet keeps findings whose subject was already there. */
  readonly subject?: string;
}

/** What a rule returns: the engine adds the rule id and the configured action. */
export interface RuleFinding {
  readonly message: string;
  readonly path: string;
  readonly subject?: string;
  /** Only to soften: a rule may report `warn` where its configured action is `deny`. */
  readonly action?: Action;
}

export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface ContainerSite {
  readonly container: V1Container;
  readonly list: ContainerList;
  /** JSON pointer of the container object. */
  readonly path: string;
  readonly site: PodSpecSite;
  /** The container's image, parsed once per request and shared by every rule. */
  readonly image: ParseResult;
  /** The policy's `exemptImages` matches this image. */
  readonly exempt: boolean;
}

export interface RuleContext {
  readonly endpoint: Endpoint;
  readonly operation: Operation;
  /** Kind of the admitted object (`Deployment`, `Pod`, …). */
  readonly kind: string;
  readonly namespace: string;
  readonly object: KubeObject;
  readonly podSpecs: readonly PodSpecSite[];
  readonly containers: readonly ContainerSite[];
  /**
   * The node at a JSON pointer (a path from `containers` or `podSpecs`) in the copy mutating
   * rules edit, the rule's to change in any way; undefined on the validating endpoint, or when
   * the pointer names no object or array. Only the nodes asked for are copied (the nodes above
   * them one level each), so rules that only judge never pay, and an edit costs what it touches.
   * The engine derives the response's patch from the copy (admission/patch.ts).
   */
  edit<T extends object = Record<string, unknown>>(pointer: string): T | undefined;
  /** What the cluster holds, when there is a connection; rules that need it judge nothing without it. */
  readonly cluster?: ClusterLookup;
  /** Image registries, under the request's deadline, when lookups are on; rules that need them judge nothing without. */
  readonly images?: ImageLookup;
}

export interface Rule<Options = unknown> {
  readonly id: RuleId;
  readonly description: string;
  /** Endpoints the rule runs on (default: validate only). */
  readonly endpoints?: readonly Endpoint[];
  /** Operations the rule judges (default: CREATE and UPDATE). */
  readonly operations?: readonly Operation[];
  /** The rule judges against the live cluster: without a connection it is off, and says so once. */
  readonly needsCluster?: boolean;
  /** The rule asks image registries: without lookups (`check` without --resolve) it is off, and says so once. */
  readonly needsRegistry?: boolean;
  configure(settings: RuleSettings[RuleId]): Options;
  evaluate(ctx: RuleContext, options: Options): RuleFinding[] | Promise<RuleFinding[]>;
}

/** Keeps each rule's options type checked while the list of rules holds them all. */
export function defineRule<Id extends RuleId, Options>(
  rule: Omit<Rule<Options>, 'id' | 'configure'> & {
    id: Id;
    configure(settings: RuleSettings[Id]): Options;
  },
): Rule<Options> {
  return rule as unknown as Rule<Options>;
}
