// An HPA scales one object by name. When that object is gone (renamed, deleted, never
// applied), the HPA silently does nothing. Judged against the live cluster; only a warning by
// default, because Helm and `kubectl apply -f dir/` may create the HPA before its target.
import { defineRule, type RuleContext, type RuleFinding } from './rule.js';
import { actionSetting } from './settings.js';
import {
  TargetState,
  WATCHED_TARGET_KINDS,
  groupOfApiVersion,
  type ClusterLookup,
} from '../cluster/lookup.js';

const HPA_KIND = 'HorizontalPodAutoscaler';

interface ScaleTargetRefish {
  apiVersion?: unknown;
  kind?: unknown;
  name?: unknown;
}

/** CREATE/UPDATE of an HPA: does what it scales exist in its namespace? */
async function checkTarget(ctx: RuleContext, cluster: ClusterLookup): Promise<RuleFinding[]> {
  const ref = (ctx.object.spec as { scaleTargetRef?: ScaleTargetRefish } | undefined)?.scaleTargetRef;
  if (typeof ref?.kind !== 'string' || typeof ref.name !== 'string' || !ref.name) return [];
  const { kind, name } = ref;
  const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : undefined;
  const hpa = `${ctx.namespace}/${ctx.object.metadata?.name ?? ctx.object.metadata?.generateName ?? ''}`;
  const lookup = await cluster.scaleTarget(ctx.namespace, {
    kind,
    name,
    ...(apiVersion ? { apiVersion } : {}),
  });
  const path = '/spec/scaleTargetRef/name';
  const subject = `${kind}/${name}`;
  switch (lookup.state) {
    case TargetState.missing:
      return [
        {
          path,
          subject,
          message: `HPA ${hpa} scales ${kind} ${name}, which does not exist in namespace ${ctx.namespace}: create the ${kind}, point spec.scaleTargetRef at one that exists, or delete the HPA`,
        },
      ];
    case TargetState.unknown:
      return [
        {
          path,
          subject,
          action: 'warn',
          message: `could not check that ${kind} ${ctx.namespace}/${name} (scaled by HPA ${hpa}) exists: ${lookup.reason}; it was let through`,
        },
      ];
    default:
      return [];
  }
}

/** DELETE of something an HPA scales: the HPA would be left behind. Never a denial. */
async function orphanWarnings(ctx: RuleContext, cluster: ClusterLookup): Promise<RuleFinding[]> {
  const group = groupOfApiVersion(ctx.object.apiVersion);
  const groups = WATCHED_TARGET_KINDS[ctx.kind];
  const name = ctx.object.metadata?.name;
  if (!groups || !name || (group !== undefined && !groups.includes(group))) return [];
  const lookup = await cluster.hpasTargeting(ctx.namespace, ctx.kind, name);
  if (lookup.state === TargetState.unknown) {
    return [
      {
        path: '',
        action: 'warn',
        message: `could not check whether an HPA scales ${ctx.kind} ${ctx.namespace}/${name}: ${lookup.reason}`,
      },
    ];
  }
  return lookup.hpas.map((hpa) => ({
    path: '',
    subject: `${HPA_KIND}/${hpa}`,
    action: 'warn' as const,
    message: `HPA ${ctx.namespace}/${hpa} will be left targeting nothing: delete it too`,
  }));
}

export default defineRule({
  id: 'hpa-target',
  settings: {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: { action: actionSetting('warn') },
    description: 'judged against the live cluster; off when there is no cluster connection',
  },
  docs: {
    catches:
      'an HPA whose `scaleTargetRef` does not exist; deleting the target of an HPA (needs a cluster connection)',
    policy: [
      "An HPA's scaleTargetRef must name a Deployment, StatefulSet, ReplicaSet (or a custom",
      'resource with a /scale subresource) that exists in its namespace; deleting one an HPA',
      'scales warns "HPA ns/name will be left targeting nothing" (never denied). Needs a cluster',
      'connection (in-cluster or --kubeconfig); without one the rule is off and says so.',
      'warn by default: Helm and `kubectl apply -f dir/` may create the HPA before its target.',
    ],
    settings: {
      action: { inline: 'deny | warn | off', meaning: '`deny`, `warn` or `off` (API errors only ever warn)' },
    },
  },
  operations: ['CREATE', 'UPDATE', 'DELETE'],
  needsCluster: true,
  configure: () => undefined,
  evaluate(ctx) {
    const { cluster } = ctx;
    // Without a cluster there is nothing to judge against: never guess.
    if (!cluster) return [];
    if (ctx.operation === 'DELETE') return orphanWarnings(ctx, cluster);
    if (ctx.kind === HPA_KIND && groupOfApiVersion(ctx.object.apiVersion) === 'autoscaling') {
      return checkTarget(ctx, cluster);
    }
    return [];
  },
});
