// The policy engine: one admission request in, findings out. Pure apart from the
// collaborators it is handed; the server, the CLI and the tests all call this one function.
// Final actions are decided here and only here: mode, controller-created objects and the
// UPDATE ratchet can soften a rule's `deny` to `warn`, never the other way round.
import type { AdmissionRequest } from './review.js';
import { isKubeObject } from '../kube/workload.js';
import type { EngineDeps, Evaluation } from './engine-deps.js';
import { andThen } from './sync-or-promise.js';
import { creatingController } from './creating-controller.js';
import { RequestImages } from './rule-context.js';
import { runRules } from './run-rules.js';
import { subjectOf, type Subject } from './subject.js';
import { applyExceptions } from './exceptions.js';
import type { Endpoint, Finding } from '../rules/rule.js';

export type { EngineDeps, Evaluation } from './engine-deps.js';
export { andThen } from './sync-or-promise.js';

const JUDGED_SUBRESOURCES = new Set(['', 'ephemeralcontainers']);

// The reason leads the message: warnings are cut at 256 bytes, and it is what a reader asks first.
const soften = (f: Finding, why: string): Finding =>
  f.action === 'deny' ? { ...f, action: 'warn', message: `not denied (${why}): ${f.message}` } : f;

/** The engine's answer for one request: synchronous unless a rule had to wait for a lookup. */
export function evaluateRequest(
  request: AdmissionRequest,
  endpoint: Endpoint,
  deps: EngineDeps,
  subject: Subject = subjectOf(request),
): Evaluation | Promise<Evaluation> {
  const { policy } = deps;
  const object = request.operation === 'DELETE' ? request.oldObject : request.object;
  const namespace = subject.namespace ?? '';
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

  // Registries are asked only for a policy with a rule that needs them: a policy that turns those
  // rules off (an air-gapped cluster) sends nothing, though other rules could use the answers.
  const images =
    deps.registry && policy.asksRegistries ? new RequestImages(deps.registry, namespace, deps) : undefined;
  const ran = runRules(request, object, namespace, endpoint, deps, images);
  // Policy exceptions (admission/exceptions.ts) first: audit mode, controllers and the ratchet
  // below only soften what is still denied. The ratchet's run over oldObject is left raw. A policy
  // without exceptions (most) pays nothing for them on a request.
  const judged =
    policy.exceptions.length === 0
      ? ran
      : andThen(ran, (run) => {
          const name =
            request.name || (typeof object.metadata?.name === 'string' ? object.metadata.name : '');
          const target = { endpoint, namespace, kind: subject.kind, name, object };
          return andThen(applyExceptions(run.findings, target, deps), (findings) => ({ ...run, findings }));
        });
  return andThen(judged, (run) => {
    // Only the admitted object's run patches: the ratchet's run over oldObject below does not.
    const { findings, patch } = run;
    if (!findings.some((f) => f.action === 'deny')) return { findings, mode, patch };

    if (mode === 'audit') return { findings: findings.map((f) => soften(f, 'audit mode')), mode, patch };
    const why = creatingController(request, object);
    if (why) {
      return { findings: findings.map((f) => soften(f, why)), mode, patch };
    }
    if (request.operation !== 'UPDATE' || !isKubeObject(request.oldObject)) return { findings, mode, patch };
    const before = runRules(request, request.oldObject, namespace, endpoint, deps, images);
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
