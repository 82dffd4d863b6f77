// What a rule sees of one request (RuleContext), and the request's registry lookups.
import type { KubeObject, PodSpecSite } from '../kube/workload.js';
import { ObjectEdits } from './edits.js';
import type { EngineDeps } from './engine-deps.js';
import type { ClusterLookup } from '../cluster/lookup.js';
import type { ImageLookup, RegistryLookups } from '../images/image-lookup.js';
import { LookupBudget } from '../images/lookup-budget.js';
import type { ContainerSite, Endpoint, Operation, RuleContext, RuleId } from '../rules/rule.js';
import type { ImageReference } from '../images/reference.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { policyAcceptsImage } from './accepts-image.js';

// Without a caller's deadline, registry lookups of one request get this long in all.
const DEFAULT_LOOKUP_BUDGET_MS = 10_000;

// A class rather than an object literal: a literal with a getter is built slowly on every request.
export class Context implements RuleContext {
  #edits: ObjectEdits | undefined;
  /** Every rule whose edits were kept: the patch limit names them. */
  readonly editors = new Set<RuleId>();
  constructor(
    readonly endpoint: Endpoint,
    readonly operation: Operation,
    readonly kind: string,
    readonly namespace: string,
    readonly object: KubeObject,
    readonly podSpecs: readonly PodSpecSite[],
    readonly containers: readonly ContainerSite[],
    readonly cluster: ClusterLookup | undefined,
    private readonly requestImages: RequestImages | undefined,
    private readonly policy: CompiledPolicy,
  ) {}

  acceptsImage(ref: ImageReference): boolean {
    return policyAcceptsImage(this.policy, ref);
  }

  get images(): ImageLookup | undefined {
    return this.requestImages?.lookup();
  }

  // Made when a rule first asks: rules that only judge never pay for it.
  get edits(): ObjectEdits {
    return (this.#edits ??= new ObjectEdits(this.object));
  }

  /** Ends a rule's transaction: keeps its edits when it finished, undoes them when it threw. */
  settle(rule: RuleId, finished: boolean): void {
    if (!this.#edits) return;
    if (!finished) this.#edits.rollback();
    else if (this.#edits.commit()) this.editors.add(rule);
  }

  /** The edited object, if a rule's kept edits changed it. */
  get edited(): KubeObject | undefined {
    return this.#edits?.edited;
  }
}

/** One request's registry lookups, bound when a rule first asks: many requests never do. */
export class RequestImages {
  #lookup: ImageLookup | undefined;
  constructor(
    private readonly registry: RegistryLookups,
    private readonly namespace: string,
    private readonly deps: EngineDeps,
  ) {}

  lookup(): ImageLookup {
    return (this.#lookup ??= this.registry.forRequest({
      namespace: this.namespace,
      deadline: this.deps.deadline ?? new LookupBudget(DEFAULT_LOOKUP_BUDGET_MS),
      pullCredentials: this.deps.pullCredentials,
    }));
  }
}
