// The policy engine: one admission request in, findings out. Pure apart from the
// collaborators it is handed; the server, the CLI and the tests all call this one function.
// Final actions are decided here and only here: mode, controller-created objects and the
// UPDATE ratchet can soften a rule's `deny` to `warn`, never the other way round.
import type { V1Container } from '@kubernetes/client-node';
import type { AdmissionRequest } from './review.js';
import { findPodSpecs, groupOf, isKubeObject, type KubeObject, type PodSpecSite } from './workload.js';
import { parseImageReference, type ParseResult } from '../images/reference.js';
import { ImageMemo } from '../images/image-memo.js';
import { derivePatch, type PatchOperation } from './patch.js';
import { Draft } from './draft.js';
import { limitPatch } from './patch-limit.js';
import { invalidReferenceFindings } from './image-references.js';
import type { WorkBudget } from './work-budget.js';
import type { JsonObject } from '../json.js';
import type { CompiledPolicy, Mode } from '../policy/compile.js';
import type { ClusterLookup } from '../cluster/lookup.js';
import type { ImageLookup, PullCredentials, RegistryLookups } from '../images/image-lookup.js';
import { LookupBudget, type Deadline } from '../images/lookup-budget.js';
import type {
  ContainerList,
  ContainerSite,
  Endpoint,
  Finding,
  Operation,
  RuleContext,
  RuleFinding,
  RuleId,
} from '../rules/rule.js';

export interface EngineDeps {
  readonly policy: CompiledPolicy;
  /** A namespace's own mode (its `kube-hygiene.io/mode` label), when the cluster view knows it. */
  readonly namespaceMode?: (namespace: string) => Mode | 'off' | undefined;
  /** The cluster view (cluster/view.ts), when there is a connection. */
  readonly cluster?: ClusterLookup;
  /** Registry lookups, when on (the server; `check --resolve`). Without them registry rules are off. */
  readonly registry?: RegistryLookups;
  /** A pod's own pull credentials; registry lookups for its images try them first. */
  readonly pullCredentials?: PullCredentials;
  /** The request's time for registry lookups (the server's ?timeout=, the CLI's budget). */
  readonly deadline?: Deadline;
  /** The server's slices and deadline for judging (without: one synchronous run, as in the CLI). */
  readonly work?: WorkBudget;
}

// Without a caller's deadline, registry lookups of one request get this long in all.
const DEFAULT_LOOKUP_BUDGET_MS = 10_000;

export interface Evaluation {
  readonly findings: readonly Finding[];
  readonly mode: Mode;
  /** Why nothing was judged, when nothing was. */
  readonly skipped?: string;
  /** RFC 6902 operations the mutating rules asked for (mutating endpoint only; empty when none). */
  readonly patch?: readonly PatchOperation[];
}

const DEFAULT_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];
const DEFAULT_ENDPOINTS: readonly Endpoint[] = ['validate'];
const JUDGED_SUBRESOURCES = new Set(['', 'ephemeralcontainers']);
const LISTS: readonly ContainerList[] = ['initContainers', 'containers', 'ephemeralContainers'];
const CONTROLLER_SA_PREFIX = 'system:serviceaccount:kube-system:';

interface ImageFacts {
  readonly image: ParseResult;
  readonly exempt: boolean;
}

const imageMemo = new ImageMemo<CompiledPolicy, ImageFacts>();

function judgeImage(policy: CompiledPolicy, raw: unknown): ImageFacts {
  const image = parseImageReference(raw as string);
  // Shared by every request that names this image: nothing may change it.
  if (image.ok) Object.freeze(image.ref);
  return Object.freeze({
    image: Object.freeze(image),
    exempt: policy.isExemptImage(String(raw), image.ok ? image.ref : undefined),
  });
}

function imageFacts(policy: CompiledPolicy, raw: unknown): ImageFacts {
  if (typeof raw !== 'string') return judgeImage(policy, raw);
  return imageMemo.get(policy, raw, () => judgeImage(policy, raw));
}

function listContainers(sites: readonly PodSpecSite[], policy: CompiledPolicy): ContainerSite[] {
  const out: ContainerSite[] = [];
  for (const site of sites) {
    for (const list of LISTS) {
      const containers: unknown = site.spec[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((container: V1Container, i) => {
        if (!isKubeObject(container)) return;
        const { image, exempt } = imageFacts(policy, container.image);
        out.push({ container, list, path: `${site.path}/${list}/${i}`, site, image, exempt });
      });
    }
  }
  return out;
}

/** The controller that created this object, when a built-in one did (its owner was already judged). */
function creatingController(request: AdmissionRequest, object: KubeObject): string | undefined {
  // The object is whatever the caller sent: check shapes before trusting them.
  const owners: unknown = object.metadata?.ownerReferences;
  if (!Array.isArray(owners)) return undefined;
  const owner: unknown = owners.find((ref) => isKubeObject(ref) && ref.controller === true);
  if (!isKubeObject(owner)) return undefined;
  const user = request.userInfo?.username ?? '';
  const controller =
    user === 'system:kube-controller-manager'
      ? 'kube-controller-manager'
      : user.startsWith(CONTROLLER_SA_PREFIX)
        ? user.slice(CONTROLLER_SA_PREFIX.length)
        : undefined;
  return controller && `created by ${controller}; fix ${ownerToFix(object, owner)}`;
}

/**
 * The object a person wrote: a Deployment's pods are owned by a ReplicaSet named
 * `<deployment>-<pod-template-hash>`, and the Deployment is where the image must change.
 */
function ownerToFix(object: KubeObject, owner: { kind?: unknown; name?: unknown }): string {
  const kind = typeof owner.kind === 'string' ? owner.kind : 'its owner';
  const name = typeof owner.name === 'string' ? owner.name : '';
  const hash = object.metadata?.labels?.['pod-template-hash'];
  if (kind === 'ReplicaSet' && hash && name.endsWith(`-${hash}`))
    return `Deployment ${name.slice(0, -hash.length - 1)}`;
  return `${kind} ${name}`.trim();
}

// A class rather than an object literal: a literal with a getter is built slowly on every request.
class Context implements RuleContext {
  #draft: Draft | undefined;
  /** The rule running now, and every rule that edited: the patch limit names them. */
  running: RuleId | undefined;
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
  ) {}

  get images(): ImageLookup | undefined {
    return this.requestImages?.lookup();
  }

  // Copies only what a mutating rule edits, and only on the mutating endpoint.
  edit<T extends object = JsonObject>(pointer: string): T | undefined {
    if (this.endpoint !== 'mutate') return undefined;
    if (this.running) this.editors.add(this.running);
    return (this.#draft ??= new Draft(this.object)).edit(pointer) as T | undefined;
  }

  /** The edited object, if a rule edited. */
  get edited(): KubeObject | undefined {
    return this.#draft?.edited;
  }
}

/** One request's registry lookups, bound when a rule first asks: many requests never do. */
class RequestImages {
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

interface RuleRun {
  readonly findings: Finding[];
  readonly patch: readonly PatchOperation[];
}

/**
 * `next(value)`, at once when `value` is already there. Most decisions ask nothing of a
 * registry or the API server: they finish in the caller's tick, with no promise to chain and
 * no deadline timer to arm (the server's profile showed both on every request).
 */
export function andThen<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

type PolicyRule = CompiledPolicy['rules'][number];

function applies({ rule }: PolicyRule, endpoint: Endpoint, operation: Operation, images: boolean): boolean {
  if (!(rule.endpoints ?? DEFAULT_ENDPOINTS).includes(endpoint)) return false;
  if (!(rule.operations ?? DEFAULT_OPERATIONS).includes(operation)) return false;
  // Said once where lookups are turned off (registryRuleNotices), not on every object.
  return !rule.needsRegistry || images;
}

function record({ rule, action }: PolicyRule, found: readonly RuleFinding[], findings: Finding[]): void {
  for (const f of found) {
    // Spelled out rather than spread: one object shape keeps this loop fast.
    findings.push({
      rule: rule.id,
      action: f.action === 'warn' ? 'warn' : action,
      message: f.message,
      path: f.path,
      subject: f.subject,
    });
  }
}

// A rule that breaks is our bug, not the caller's: let the object through and say so.
const brokenRule = (id: Finding['rule'], err: unknown): Finding => ({
  rule: id,
  action: 'warn',
  path: '',
  message: `rule ${id} could not check this object (${(err as Error).message}); it was let through`,
});

function runRules(
  request: AdmissionRequest,
  object: KubeObject,
  endpoint: Endpoint,
  deps: EngineDeps,
  images: RequestImages | undefined,
): RuleRun | Promise<RuleRun> {
  const { policy, cluster, work } = deps;
  const kind = request.kind.kind;
  const podSpecs = findPodSpecs(object, kind, request.kind.group ?? groupOf(object.apiVersion));
  const ctx = new Context(
    endpoint,
    request.operation as Operation,
    kind,
    request.namespace ?? object.metadata?.namespace ?? '',
    object,
    podSpecs,
    listContainers(podSpecs, policy),
    cluster,
    images,
  );
  const findings: Finding[] = [];
  const { rules } = policy;
  const judges = (entry: PolicyRule) => applies(entry, endpoint, ctx.operation, images !== undefined);
  // Rules run in policy order. The first that waits (a registry or API lookup) turns the rest of
  // the run into a continuation of its promise; until then everything happens in this tick.
  // With a work budget, each step first checks its slice: once spent, the rest of the run
  // waits for a later turn of the event loop, so no review holds the others for longer than a
  // slice and one step.
  const runFrom = (from: number): RuleRun | Promise<RuleRun> => {
    for (let i = from; i < rules.length; i++) {
      const entry = rules[i]!;
      if (!judges(entry)) continue;
      if (work?.sliceSpent()) return work.pause().then(() => runFrom(i));
      let found: RuleFinding[] | Promise<RuleFinding[]>;
      ctx.running = entry.rule.id;
      try {
        found = entry.rule.evaluate(ctx, entry.options);
      } catch (err) {
        findings.push(brokenRule(entry.rule.id, err));
        continue;
      }
      if (found instanceof Promise) {
        return found.then(
          (settled) => {
            record(entry, settled, findings);
            return runFrom(i + 1);
          },
          (err: unknown) => {
            findings.push(brokenRule(entry.rule.id, err));
            return runFrom(i + 1);
          },
        );
      }
      record(entry, found, findings);
    }
    if (endpoint === 'validate') findings.push(...invalidReferenceFindings(ctx.containers, findings));
    if (!ctx.edited) return { findings, patch: [] };
    return work?.sliceSpent() ? work.pause().then(finish) : finish();
  };
  // Deriving the patch and measuring it are two steps: each walks every edited container.
  const finish = (): RuleRun | Promise<RuleRun> => {
    const operations = derivePatch(object, ctx.edited);
    return work?.sliceSpent() ? work.pause().then(() => measure(operations)) : measure(operations);
  };
  const measure = (operations: readonly PatchOperation[]): RuleRun => {
    const limited = limitPatch(operations, ctx.editors);
    findings.push(...limited.findings);
    return { findings, patch: limited.patch };
  };
  return runFrom(0);
}

// The reason leads the message: warnings are cut at 256 bytes, and it is what a reader asks first.
const soften = (f: Finding, why: string): Finding =>
  f.action === 'deny' ? { ...f, action: 'warn', message: `not denied (${why}): ${f.message}` } : f;

/** The engine's answer for one request: synchronous unless a rule had to wait for a lookup. */
export function evaluateRequest(
  request: AdmissionRequest,
  endpoint: Endpoint,
  deps: EngineDeps,
): Evaluation | Promise<Evaluation> {
  const { policy } = deps;
  const object = request.operation === 'DELETE' ? request.oldObject : request.object;
  const namespace = request.namespace ?? object?.metadata?.namespace ?? '';
  const mode = deps.namespaceMode?.(namespace) ?? policy.mode;
  const skip = (skipped: string): Evaluation => ({
    findings: [],
    mode: mode === 'off' ? policy.mode : mode,
    skipped,
  });

  if (!JUDGED_SUBRESOURCES.has(request.subResource ?? '')) {
    return skip(`subresource ${request.subResource} is not judged`);
  }
  if (namespace && policy.exemptNamespaces.has(namespace)) return skip(`namespace ${namespace} is exempt`);
  if (mode === 'off') return skip(`namespace ${namespace} has mode off`);
  if (!isKubeObject(object)) return skip(`${request.operation} carries no object`);

  const images = deps.registry && new RequestImages(deps.registry, namespace, deps);
  return andThen(runRules(request, object, endpoint, deps, images), (run) => {
    // Only the admitted object's run patches: the ratchet's run over oldObject below does not.
    const { findings, patch } = run;
    if (!findings.some((f) => f.action === 'deny')) return { findings, mode, patch };

    if (mode === 'audit') return { findings: findings.map((f) => soften(f, 'audit mode')), mode, patch };
    const why = creatingController(request, object);
    if (why) {
      return { findings: findings.map((f) => soften(f, why)), mode, patch };
    }
    if (request.operation !== 'UPDATE' || !isKubeObject(request.oldObject)) return { findings, mode, patch };
    const before = runRules(request, request.oldObject, endpoint, deps, images);
    return andThen(before, ({ findings: old }): Evaluation => {
      const known = new Set(old.map((f) => `${f.rule}\0${f.subject ?? f.path}`));
      return {
        findings: findings.map((f) =>
          known.has(`${f.rule}\0${f.subject ?? f.path}`)
            ? soften(f, 'already present before this update')
            : f,
        ),
        mode,
        patch,
      };
    });
  });
}
