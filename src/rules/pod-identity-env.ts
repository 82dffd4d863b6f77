// `pod-identity-env`: sidecars (mesh proxies, log shippers, coordinators that describe their
// own pod) need to know which pod they run in, and charts keep forgetting the downward-API
// variables for them. Pods get POD_NAME / POD_NAMESPACE on CREATE (a Pod's env cannot change
// later); workload templates get a warning previewing it on the validating endpoint, and the
// variables themselves only with `mutateTemplates` (GitOps tools would report drift).
// https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/
import type { FromSchema } from 'json-schema-to-ts';
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { defineRule, type ContainerSite, type RuleContext, type RuleFinding } from './rule.js';
import type { PodSpecSite } from '../kube/workload.js';
import { hasControllerOwner } from './controller-owner.js';

export const POD_IDENTITY_ANNOTATION = 'kube-hygiene.io/pod-identity';
// kubectl's own choice of the main container (`kubectl logs`, `kubectl exec`).
const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** The variables injected, each read from the pod's own metadata. */
export const IDENTITY_VARS = { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' } as const;
type IdentityVar = keyof typeof IDENTITY_VARS;

export const Scope = { sidecars: 'sidecars', all: 'all', off: 'off' } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

interface Options {
  readonly scope: Exclude<Scope, 'off'>;
  readonly mutateTemplates: boolean;
}

/** A scope, or the containers the annotation names. */
type Selection = Scope | ReadonlySet<string>;

// A container name is a DNS-1123 label.
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

interface Chosen {
  readonly selection: Selection;
  readonly problem?: string;
}

function readAnnotation(site: PodSpecSite, fallback: Scope): Chosen {
  const value: unknown = site.meta?.annotations?.[POD_IDENTITY_ANNOTATION];
  if (value === undefined) return { selection: fallback };
  const text = typeof value === 'string' ? value.trim() : '';
  if (Object.hasOwn(Scope, text)) return { selection: text as Scope };
  const names = text.split(',').map((name) => name.trim());
  if (names.every((name) => CONTAINER_NAME.test(name))) return { selection: new Set(names) };
  return {
    selection: fallback,
    problem: `annotation ${POD_IDENTITY_ANNOTATION}: ${JSON.stringify(value)} is not "sidecars", "all", "off" or a comma-separated list of container names; the policy's "${fallback}" applies: fix the annotation`,
  };
}

const isNativeSidecar = ({ list, container }: ContainerSite) =>
  list === 'initContainers' && container.restartPolicy === 'Always';

/** The main container: the one kubectl defaults to, else the first. */
function mainContainer(site: PodSpecSite, regular: readonly ContainerSite[]): ContainerSite | undefined {
  const named: unknown = site.meta?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  return regular.find(({ container }) => container.name === named) ?? regular[0];
}

function choose(site: PodSpecSite, all: readonly ContainerSite[], selection: Selection): ContainerSite[] {
  const own = all.filter((c) => c.site === site && c.list !== 'ephemeralContainers');
  if (selection === Scope.off) return [];
  if (selection === Scope.all) return own;
  if (selection === Scope.sidecars) {
    const main = mainContainer(
      site,
      own.filter((c) => c.list === 'containers'),
    );
    return own.filter((c) => (c.list === 'containers' && c !== main) || isNativeSidecar(c));
  }
  return own.filter(({ container }) => selection.has(container.name));
}

/** Names the annotation lists that no container of this pod has: most likely a typo. */
function unknownNames(site: PodSpecSite, all: readonly ContainerSite[], selection: Selection): string[] {
  if (typeof selection === 'string') return [];
  const known = new Set(all.filter((c) => c.site === site).map(({ container }) => container.name));
  return [...selection].filter((name) => !known.has(name));
}

/** The identity variables this container lacks; none when its `env` is not a list we can extend. */
function missingVars(container: V1Container): IdentityVar[] {
  const env: unknown = container.env;
  if (env !== undefined && env !== null && !Array.isArray(env)) return [];
  // Any entry of that name counts, whatever its source: a user's value is never overwritten.
  const present = new Set((env ?? []).map((entry: Partial<V1EnvVar>) => entry?.name));
  return (Object.keys(IDENTITY_VARS) as IdentityVar[]).filter((name) => !present.has(name));
}

interface Injection {
  readonly site: ContainerSite;
  readonly vars: readonly IdentityVar[];
}

function inject(ctx: RuleContext, injections: readonly Injection[]): void {
  for (const { site, vars } of injections) {
    for (const name of vars) {
      ctx.edits.append(site.path, ['env'], {
        name,
        valueFrom: { fieldRef: { fieldPath: IDENTITY_VARS[name] } },
      });
    }
  }
}

// Names listed per group in a preview: a warning is cut at 256 bytes, so a pod of thousands of
// sidecars names a few and counts the rest instead of joining every name.
const NAMES_SHOWN = 8;

function preview(site: PodSpecSite, injections: readonly Injection[]): RuleFinding {
  const byVars = new Map<string, { names: string[]; count: number }>();
  for (const { site, vars } of injections) {
    const key = vars.join(', ');
    let group = byVars.get(key);
    if (!group) byVars.set(key, (group = { names: [], count: 0 }));
    if (group.count++ < NAMES_SHOWN) group.names.push(String(site.container.name));
  }
  const parts = [...byVars].map(([vars, { names, count }]) => {
    const more = count > names.length ? ` and ${count - names.length} more` : '';
    return `${vars} in container${count === 1 ? '' : 's'} ${names.join(', ')}${more}`;
  });
  return {
    action: 'warn',
    path: site.path,
    message: `pods will get ${parts.join('; ')} (downward API); to opt out, annotate the pod template ${POD_IDENTITY_ANNOTATION}: ${JSON.stringify(Scope.off)}`,
  };
}

const settings = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    action: {
      type: 'string',
      enum: ['warn', 'off'],
      default: 'warn',
      description: 'warn injects (and previews on templates); off leaves containers alone',
    },
    containers: {
      type: 'string',
      enum: ['sidecars', 'all'],
      default: 'sidecars',
      description: 'sidecars: every container but the main one, plus native sidecars; all: every container',
    },
    mutateTemplates: {
      type: 'boolean',
      default: false,
      description: 'also write the variables into workload templates (GitOps tools will report drift)',
    },
  },
} as const;
type Settings = FromSchema<typeof settings>;

export default defineRule({
  id: 'pod-identity-env',
  settings,
  docs: {
    catches:
      'sidecars without `POD_NAME` / `POD_NAMESPACE`: adds them (downward API) to Pods, previews it on templates; never overwrites',
    policy: [
      'Sidecars get POD_NAME and POD_NAMESPACE (downward API) when they lack them; a variable of',
      'that name is never overwritten. Pods are patched on CREATE; workload templates get a',
      'warning previewing it. Per pod: annotation kube-hygiene.io/pod-identity with',
      'sidecars | all | "off" | a comma-separated list of container names (quote "off": kubectl',
      'reads a bare off as false and refuses the pod).',
    ],
    settings: {
      action: { inline: 'warn | off', meaning: '`warn` (inject and preview) or `off`' },
      containers: {
        above: [
          'sidecars: every container but the main one (the kubectl.kubernetes.io/default-container',
          'annotation, else the first), plus init containers with restartPolicy: Always.',
          'all: every container and init container.',
        ],
        meaning: '`sidecars` or `all`',
      },
      mutateTemplates: {
        above: [
          'true: write the variables into Deployment (and other) templates too. GitOps tools will',
          'then report the live object as drifted from Git.',
        ],
        meaning: 'also write the variables into workload templates on `/mutate`',
      },
    },
  },
  endpoints: ['validate', 'mutate'],
  operations: ['CREATE', 'UPDATE'],
  configure: (settings: Settings): Options => ({
    scope: settings.containers ?? Scope.sidecars,
    mutateTemplates: settings.mutateTemplates ?? false,
  }),
  evaluate(ctx, options) {
    const findings: RuleFinding[] = [];
    const edits: Injection[] = [];
    for (const site of ctx.podSpecs) {
      // A Pod is patched once, at CREATE, and judged where it is patched; a template is
      // previewed on the validating endpoint and patched only when the policy asks for it.
      if (!site.template && (ctx.endpoint !== 'mutate' || ctx.operation !== 'CREATE')) continue;
      if (site.template && ctx.endpoint === 'mutate' && !options.mutateTemplates) continue;
      if (site.template && hasControllerOwner(ctx.object)) continue;
      const { selection, problem } = readAnnotation(site, options.scope);
      const reports = !site.template || ctx.endpoint === 'validate';
      const unknown = unknownNames(site, ctx.containers, selection);
      if (reports && problem) findings.push({ action: 'warn', path: site.metaPath, message: problem });
      if (reports && unknown.length) {
        findings.push({
          action: 'warn',
          path: site.metaPath,
          message: `annotation ${POD_IDENTITY_ANNOTATION} names ${unknown.map((n) => `"${n}"`).join(', ')}, which this pod has no container called: fix the name or remove it`,
        });
      }
      const injections = choose(site, ctx.containers, selection)
        .map((c) => ({ site: c, vars: missingVars(c.container) }))
        .filter(({ vars }) => vars.length > 0);
      if (injections.length === 0) continue;
      if (ctx.endpoint === 'validate') findings.push(preview(site, injections));
      else edits.push(...injections);
    }
    if (edits.length) inject(ctx, edits);
    return findings;
  },
});
