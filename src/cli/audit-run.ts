// One audit of a live cluster: list every workload and HPA (cluster/scan.ts), judge each one
// with the engine as if a person created it today in enforce mode, then list the HPAs that
// already scale nothing. Objects a workload controller owns are judged through their owner,
// as the webhook does (a Pod of a Deployment's ReplicaSet would only repeat its findings).
import type { KubeConfig } from '@kubernetes/client-node';
import { evaluateRequest } from '../admission/evaluate.js';
import { requestFor } from '../admission/object-request.js';
import type { KubeObject } from '../kube/workload.js';
import { DirectReads } from '../cluster/direct-reads.js';
import { findOrphanedHpas, type OrphanReport } from '../cluster/orphans.js';
import { AUDITED_RESOURCES, scanCluster, type AuditedResource } from '../cluster/scan.js';
import { ListedSnapshot } from '../cluster/snapshot.js';
import { slimHpa } from '../cluster/slim.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { CheckFinding } from './check-output.js';
import { exceptionNotices, type ExceptionNotice } from '../policy/exceptions.js';

export interface AuditResult {
  /** The object's API path (`kubectl get --raw` reads it). */
  readonly source: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  readonly findings: readonly CheckFinding[];
  /** Rules that judge objects of this kind (PolicyReport: each one without a finding passed). */
  readonly rules: readonly string[];
  /** Why nothing was judged (an exempt namespace), when nothing was. */
  readonly skipped?: string;
}

export interface AuditError {
  readonly source: string;
  readonly message: string;
}

export interface AuditReport {
  readonly scannedAt: Date;
  /** The one namespace audited (-n), or undefined for all. */
  readonly namespace: string | undefined;
  readonly results: readonly AuditResult[];
  /** Objects skipped because a workload controller owns them. */
  readonly owned: number;
  readonly hpas: OrphanReport;
  readonly errors: readonly AuditError[];
  /** The policy's exceptions that expired or covered nothing audited (-n: in that namespace). */
  readonly exceptions?: readonly ExceptionNotice[];
}

export interface AuditOptions {
  readonly namespace?: string;
  /** Deadline of each direct read (HPA targets of kinds that could not be listed, custom resources). */
  readonly deadlineMs?: number;
  readonly onProgress?: (resource: AuditedResource, objects: number) => void;
}

const OWNER_KINDS = new Set(AUDITED_RESOURCES.map((r) => r.kind));

/** `/apis/apps/v1[/namespaces/NS]/deployments[/NAME]`: where kubectl get --raw finds it. */
function apiPath(resource: AuditedResource, namespace?: string, name?: string): string {
  const root = resource.apiVersion.includes('/')
    ? `/apis/${resource.apiVersion}`
    : `/api/${resource.apiVersion}`;
  const scope = namespace ? `/namespaces/${namespace}` : '';
  return `${root}${scope}/${resource.plural}${name ? `/${name}` : ''}`;
}

function ownedByWorkload(object: KubeObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some(
    (ref) => ref.controller === true && OWNER_KINDS.has(ref.kind),
  );
}

/** Rules that would have judged this object: cluster rules judge HPAs, the others pod specs. */
function rulesFor(policy: CompiledPolicy, kind: string): string[] {
  const hpa = kind === 'HorizontalPodAutoscaler';
  return (
    policy.rules
      .filter(({ rule }) => (rule.endpoints ?? ['validate']).includes('validate'))
      .filter(({ rule }) => (rule.needsCluster === true) === hpa)
      // The audit asks no registry: rules that need one judged nothing, so they did not pass either.
      .filter(({ rule }) => !rule.needsRegistry)
      .map(({ rule }) => rule.id)
  );
}

export async function runAudit(
  kc: KubeConfig,
  policy: CompiledPolicy,
  options: AuditOptions = {},
): Promise<AuditReport> {
  const enforce: CompiledPolicy = { ...policy, mode: 'enforce' };
  const snapshot = new ListedSnapshot(new DirectReads(kc, options.deadlineMs ?? 5000));
  const results: AuditResult[] = [];
  const errors: AuditError[] = [];
  const scannedAt = new Date();
  let owned = 0;
  const exceptionsUsed = new Set<number>();

  const judge = async (resource: AuditedResource, object: KubeObject): Promise<AuditResult> => {
    const request = requestFor(object);
    const namespace = request.namespace ?? '';
    const name = request.name ?? '';
    const evaluation = await evaluateRequest(request, 'validate', {
      policy: enforce,
      cluster: snapshot,
      exceptionsUsed,
    });
    const findings = evaluation.findings.map(({ rule, action, path, message }) => ({
      rule,
      action,
      path,
      message,
    }));
    return {
      source: apiPath(resource, namespace, name),
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      namespace,
      name,
      ...(object.metadata?.uid ? { uid: object.metadata.uid } : {}),
      findings,
      rules: rulesFor(enforce, resource.kind),
      ...(evaluation.skipped ? { skipped: evaluation.skipped } : {}),
    };
  };

  await scanCluster(kc, options.namespace, {
    async page(resource, items) {
      for (const object of items) {
        const name = object.metadata?.name ?? '';
        const namespace = object.metadata?.namespace ?? '';
        if (resource.kind === 'HorizontalPodAutoscaler') snapshot.addHpa(slimHpa(object));
        else snapshot.add(resource.kind, namespace, name);
        if (ownedByWorkload(object)) owned++;
        else results.push(await judge(resource, object));
      }
      options.onProgress?.(resource, results.length + owned);
    },
    listed: (resource) => snapshot.markListed(resource.kind),
    failed: (resource, message) => errors.push({ source: apiPath(resource, options.namespace), message }),
  });
  const hpas = await findOrphanedHpas(snapshot.listHpas(), snapshot);
  const { namespace } = options;
  const exceptions = exceptionNotices(policy.exceptions, exceptionsUsed, scannedAt, (e) =>
    namespace === undefined ? true : e.matchesNamespace(namespace),
  );
  return { scannedAt, namespace, results, owned, hpas, errors, exceptions };
}
