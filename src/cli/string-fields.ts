// Fields the Kubernetes API types as strings, where a value kubectl reads as a boolean or a number
// gets the object refused: `json: cannot unmarshal bool into Go struct field
// ObjectMeta.metadata.annotations of type string`. These are the fields people fill with free text
// (labels, annotations, env values, arguments, ConfigMap data); enum fields (`restartPolicy`) and
// kinds the API server does not define (custom resources) are not listed: docs/kubectl-yaml.md.
import { findPodSpecs, groupOf, type KubeObject } from '../kube/workload.js';
import { isJsonObject, pointerSteps } from '../json.js';

/** `*` stands for any key of a map or any item of a list. */
export interface FieldGroup {
  readonly where: string;
  readonly fields: readonly string[];
}

const METADATA = ['name', 'namespace', 'generateName', 'labels.*', 'annotations.*'];
const HANDLER = ['exec.command.*', 'httpGet.httpHeaders.*.value'];
const CONTAINER = [
  'name',
  'image',
  'workingDir',
  'command.*',
  'args.*',
  'env.*.name',
  'env.*.value',
  ...['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle.postStart', 'lifecycle.preStop'].flatMap(
    (handler) => HANDLER.map((field) => `${handler}.${field}`),
  ),
];
const NODE_TERMS = [
  'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.*',
  'affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.*.preference',
];
const POD_SPEC_OWN = [
  'nodeSelector.*',
  'serviceAccountName',
  'tolerations.*.key',
  'tolerations.*.value',
  'dnsConfig.nameservers.*',
  'dnsConfig.searches.*',
  'dnsConfig.options.*.value',
  'hostAliases.*.hostnames.*',
  ...NODE_TERMS.map((terms) => `${terms}.matchExpressions.*.values.*`),
];
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];
const POD_SPEC = [
  ...POD_SPEC_OWN,
  ...CONTAINER_LISTS.flatMap((list) => CONTAINER.map((field) => `${list}.*.${field}`)),
];
const SELECTOR = ['spec.selector.matchLabels.*', 'spec.selector.matchExpressions.*.values.*'];

/** Relative to the object, for these kinds in these API groups. */
const BY_KIND: readonly { kinds: readonly string[]; groups: readonly string[]; fields: readonly string[] }[] =
  [
    { kinds: ['ConfigMap'], groups: [''], fields: ['data.*', 'binaryData.*'] },
    { kinds: ['Secret'], groups: [''], fields: ['data.*', 'stringData.*'] },
    { kinds: ['Service'], groups: [''], fields: ['spec.selector.*', 'spec.externalName'] },
    { kinds: ['ReplicationController'], groups: [''], fields: ['spec.selector.*'] },
    { kinds: ['Deployment', 'ReplicaSet', 'DaemonSet'], groups: ['apps', 'extensions'], fields: SELECTOR },
    {
      kinds: ['StatefulSet'],
      groups: ['apps'],
      fields: [...SELECTOR, ...METADATA.map((field) => `spec.volumeClaimTemplates.*.metadata.${field}`)],
    },
    { kinds: ['Job'], groups: ['batch'], fields: SELECTOR },
    {
      kinds: ['CronJob'],
      groups: ['batch'],
      fields: [
        'spec.schedule',
        'spec.timeZone',
        ...METADATA.map((field) => `spec.jobTemplate.metadata.${field}`),
      ],
    },
  ];

/** The table, for the docs and their test: every field, grouped by where it is. */
export const STRING_FIELDS: readonly FieldGroup[] = [
  { where: 'metadata of every object and of every pod template', fields: METADATA },
  { where: 'every pod spec (a Pod, the pod template of a workload)', fields: POD_SPEC_OWN },
  { where: `every container (${CONTAINER_LISTS.join(', ')})`, fields: CONTAINER },
  ...BY_KIND.map(({ kinds, fields }) => ({ where: kinds.join(', '), fields })),
];

type Pattern = readonly string[];
const split = (fields: readonly string[], prefix: readonly string[] = []): Pattern[] =>
  fields.map((field) => [...prefix, ...field.split('.')]);

function objectPatterns(object: KubeObject, prefix: readonly string[]): Pattern[] {
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const group = groupOf(object.apiVersion);
  const patterns = split(METADATA, [...prefix, 'metadata']);
  for (const entry of BY_KIND) {
    if (entry.kinds.includes(kind) && entry.groups.includes(group))
      patterns.push(...split(entry.fields, prefix));
  }
  for (const site of findPodSpecs(object, kind, group)) {
    patterns.push(...split(POD_SPEC, [...prefix, ...pointerSteps(site.path)]));
    if (site.template) patterns.push(...split(METADATA, [...prefix, ...pointerSteps(site.metaPath)]));
  }
  if (kind.endsWith('List') && Array.isArray(object.items)) {
    object.items.forEach((item: unknown, i: number) => {
      if (isJsonObject(item)) patterns.push(...objectPatterns(item, [...prefix, 'items', String(i)]));
    });
  }
  return patterns;
}

/** Whether the value at `steps` inside `object` must be a string, by the table above. */
export function stringFieldsOf(object: unknown): (steps: readonly (string | number)[]) => boolean {
  const patterns = isJsonObject(object) ? objectPatterns(object, []) : [];
  return (steps) =>
    patterns.some(
      (p) => p.length === steps.length && p.every((step, i) => step === '*' || step === String(steps[i])),
    );
}
