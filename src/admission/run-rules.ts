// One run of the policy's rules over one object: in policy order, each rule's edits kept or
// undone as one, and the patch derived once at the end.
import { invalidReferenceFindings } from './image-references.js';
import type { AdmissionRequest } from './review.js';
import { findPodSpecs, groupOf, type KubeObject } from '../kube/workload.js';
import { derivePatch, type PatchOperation } from './patch.js';
import { limitPatch } from './patch-limit.js';
import { listContainers } from './container-sites.js';
import { Context, type RequestImages } from './rule-context.js';
import type { EngineDeps } from './engine-deps.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { Endpoint, Finding, Operation, RuleFinding } from '../rules/rule.js';

const DEFAULT_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];
const DEFAULT_ENDPOINTS: readonly Endpoint[] = ['validate'];

export interface RuleRun {
  readonly findings: Finding[];
  readonly patch: readonly PatchOperation[];
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

export function runRules(
  request: AdmissionRequest,
  object: KubeObject,
  namespace: string,
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
    namespace,
    object,
    podSpecs,
    listContainers(podSpecs, policy),
    cluster,
    images,
    policy,
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
      const { id } = entry.rule;
      let found: RuleFinding[] | Promise<RuleFinding[]>;
      try {
        found = entry.rule.evaluate(ctx, entry.options);
      } catch (err) {
        ctx.settle(id, false);
        findings.push(brokenRule(id, err));
        continue;
      }
      if (found instanceof Promise) {
        return found.then(
          (settled) => {
            ctx.settle(id, true);
            record(entry, settled, findings);
            return runFrom(i + 1);
          },
          (err: unknown) => {
            ctx.settle(id, false);
            findings.push(brokenRule(id, err));
            return runFrom(i + 1);
          },
        );
      }
      ctx.settle(id, true);
      record(entry, found, findings);
    }
    if (endpoint === 'validate') findings.push(...invalidReferenceFindings(ctx.containers, findings));
    // The validating endpoint never patches: edits made there are dropped.
    if (endpoint !== 'mutate' || !ctx.edited) return { findings, patch: [] };
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
