// `resource-requests`: a container without a CPU or memory request is scheduled as if it
// needed nothing. The node fills up with pods that each "need nothing", and under memory
// pressure the kubelet evicts and the kernel OOM-kills them first: restarts by the hundred.
// A limit counts as the request: Kubernetes copies a limit into a missing request when it
// creates the pod. Ephemeral containers cannot set resources at all, so they are not judged.
// https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
import type { V1Container } from '@kubernetes/client-node';
import { defineRule, type RuleFinding } from './rule.js';
import { actionSetting } from './settings.js';
import { isJsonObject } from '../json.js';

const RESOURCES = [
  { name: 'cpu', what: 'CPU', example: '100m' },
  { name: 'memory', what: 'memory', example: '128Mi' },
] as const;

const has = (values: Record<string, unknown>, name: string) =>
  values[name] !== undefined && values[name] !== null;

/** The container's `resources.requests` map, when it has one. */
function requestsOf(container: V1Container): Record<string, unknown> | undefined {
  const resources: unknown = container.resources;
  return isJsonObject(resources) && isJsonObject(resources.requests) ? resources.requests : undefined;
}

/** The resources this container leaves to chance: neither a request nor a limit for them. */
function missingRequests(container: V1Container): (typeof RESOURCES)[number][] {
  const resources: unknown = container.resources;
  const requests = requestsOf(container) ?? {};
  const limits = isJsonObject(resources) && isJsonObject(resources.limits) ? resources.limits : {};
  return RESOURCES.filter(({ name }) => !has(requests, name) && !has(limits, name));
}

/** What to write: the missing entries added to the requests there are, or a whole `requests`. */
function remedy(container: V1Container, missing: readonly (typeof RESOURCES)[number][]): string {
  const entries = missing.map((r) => `${r.name}: ${r.example}`).join(', ');
  const requests = requestsOf(container);
  return requests && Object.keys(requests).length > 0
    ? `add ${entries} to resources.requests`
    : `add resources.requests: {${entries}}`;
}

export default defineRule({
  id: 'resource-requests',
  settings: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'containers and init containers set a CPU and a memory request (or a limit, which sets it)',
    properties: { action: actionSetting('warn') },
  },
  docs: {
    catches:
      'a container or init container that sets no CPU or no memory request (nor a limit, which Kubernetes copies into it): it is scheduled as if it needed nothing',
    policy: [
      'Containers and init containers must request CPU and memory (a limit counts: Kubernetes',
      'copies it into a missing request). Without them a pod is scheduled as if it needed',
      'nothing, and is the first evicted or OOM-killed when the node runs short. A namespace',
      "LimitRange's defaults are not seen: exempt such namespaces or turn the rule off.",
      'Ephemeral containers cannot set resources and are not judged.',
    ],
    settings: { action: { inline: 'deny | warn | off', meaning: '`deny`, `warn` or `off`' } },
  },
  configure: () => undefined,
  evaluate(ctx) {
    const findings: RuleFinding[] = [];
    for (const { container, list, path, exempt } of ctx.containers) {
      if (exempt || list === 'ephemeralContainers') continue;
      const missing = missingRequests(container);
      if (missing.length === 0) continue;
      const what = missing.map((r) => `no ${r.what} request`).join(' and ');
      findings.push({
        path,
        subject: String(container.name),
        message: `container "${container.name}" sets ${what}, so it is scheduled as if it needed none: ${remedy(container, missing)}, sized to what it uses`,
      });
    }
    return findings;
  },
});
