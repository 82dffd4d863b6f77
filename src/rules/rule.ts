// The contract every rule keeps. A rule is one file: it turns its policy settings into
// options once per policy load (`configure`) and judges one object per call (`evaluate`),
// reading only the context it is given. Rules never decide the final action: the engine
// applies mode, ratchet and controller downgrades in one place (admission/evaluate.ts).
import type { V1Container } from '@kubernetes/client-node';
import type { ImageReference, ParseResult } from '../images/reference.js';
import type { PodSpecSite, KubeObject } from '../kube/workload.js';
import type { RuleDocs, SettingsSchema } from './settings.js';
import type { ClusterLookup } from '../cluster/lookup.js';
import type { ImageLookup } from '../images/image-lookup.js';

/** A rule's id, its key under `rules:` in the policy (rules/index.ts lists them). */
export type RuleId = string;

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
  /** The policy exception (its number) that turned this denial into a warning. */
  readonly exception?: number;
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

/**
 * Changes to the admitted object. Each takes `at`, a JSON pointer the engine built (a path from
 * `containers` or `podSpecs`), and `keys`, the member names (or array indexes) below it, given
 * as they are: never escaped. Reads see the rule's own edits and every earlier rule's. A write
 * copies only the nodes on its path; a rule that throws has all its edits undone. A value handed
 * to a write becomes the object's: do not change it afterwards.
 */
export interface Edits {
  /** The current value there, undefined when there is none; never to be changed in place. */
  read(at: string, keys?: readonly string[]): unknown;
  /** Sets a member (or an existing array entry), creating missing or null parents as objects. */
  set(at: string, keys: readonly string[], value: unknown): void;
  /** Appends to an array (the patch says `/-`), creating it and its parents when missing or null. */
  append(at: string, keys: readonly string[], value: unknown): void;
  /** Replaces a scalar that is there with another scalar. */
  replace(at: string, keys: readonly string[], value: unknown): void;
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
   * The edits this rule makes to the admitted object (the engine derives the response's patch
   * from them, admission/patch.ts). Only the mutating endpoint patches: edits made on the
   * validating endpoint are dropped.
   */
  readonly edits: Edits;
  /** What the cluster holds, when there is a connection; rules that need it judge nothing without it. */
  readonly cluster?: ClusterLookup;
  /** Image registries, under the request's deadline, when lookups are on; rules that need them judge nothing without. */
  readonly images?: ImageLookup;
  /**
   * Whether the policy in force passes a container running `ref`, by every rule that judges an
   * image by its name alone: a remedy names an image only when this says yes.
   */
  acceptsImage(ref: ImageReference): boolean;
}

export interface Rule<Options = unknown> {
  readonly id: RuleId;
  /** The JSON Schema of `rules.<id>` in the policy, with every default. */
  readonly settings: SettingsSchema;
  /** What the rule catches and what each setting means: the policy file's comments and the docs' tables. */
  readonly docs: RuleDocs;
  /** Endpoints the rule runs on (default: validate only). */
  readonly endpoints?: readonly Endpoint[];
  /** Operations the rule judges (default: CREATE and UPDATE). */
  readonly operations?: readonly Operation[];
  /** The rule judges against the live cluster: without a connection it is off, and says so once. */
  readonly needsCluster?: boolean;
  /** The rule asks image registries: without lookups (`check` without --resolve) it is off, and says so once. */
  readonly needsRegistry?: boolean;
  /** Its settings as validated (every default filled in) to the options each call gets. */
  configure(settings: never): Options;
  /** For rules that judge an image by its name alone: whether a container running `ref` passes. */
  acceptsImage?(ref: ImageReference, options: Options): boolean;
  evaluate(ctx: RuleContext, options: Options): RuleFinding[] | Promise<RuleFinding[]>;
}

/** A rule as its file defines it: id and settings schema kept as literal types. */
export interface RuleDefinition<
  Id extends RuleId,
  Schema extends SettingsSchema,
  Options,
> extends Rule<Options> {
  readonly id: Id;
  readonly settings: Schema;
}

/**
 * Keeps a rule's id and settings schema as literal types: the policy's type is assembled from
 * them (policy/schema.ts). A rule's file derives the type its `configure` takes from its own
 * schema: `type Settings = FromSchema<typeof settings>`.
 */
export function defineRule<Id extends RuleId, const Schema extends SettingsSchema, Options>(
  rule: RuleDefinition<Id, Schema, Options>,
): RuleDefinition<Id, Schema, Options> {
  return rule;
}
