// `node-arch`: an amd64-only image on an arm64 node dies with "exec format error" or
// "Illegal instruction" in a crash loop. The images' registries say which platforms each
// image has; Pods are pinned on CREATE to the architectures every image shares (a nodeSelector
// for one, required node affinity for several), workload templates get a warning previewing
// it (pod webhooks never run on a Deployment's dry run), and pods no node can run are denied.
// The decision itself is images/placement.ts; reading and writing pins is node-pin.ts.
import { defineRule, type ContainerSite, type RuleContext, type RuleFinding } from './rule.js';
import type { PodSpecSite } from '../admission/workload.js';
import { valueAtPointer } from '../admission/patch.js';
import { displayImage } from '../images/reference.js';
import { LookupFailure } from '../images/registry/lookup-error.js';
import { decidePlacement, type ImagePlatforms, type Placement } from '../images/placement.js';
import { ARCH_LABEL, OS_LABEL, addNodePin, readNodePin } from './node-pin.js';
import { hasControllerOwner } from './controller-owner.js';
import type { V1PodSpec } from '@kubernetes/client-node';

interface Options {
  readonly denyOnLookupFailure: boolean;
}

type Pin = Extract<Placement, { kind: 'pin' }>;

/** `kubernetes.io/arch=amd64`, `kubernetes.io/os=windows, kubernetes.io/arch In [amd64, arm64]`. */
function describePin({ os, architectures }: Pin): string {
  const arch =
    architectures.length === 1
      ? `${ARCH_LABEL}=${architectures[0]}`
      : `${ARCH_LABEL} In [${architectures.join(', ')}]`;
  return os === 'linux' ? arch : `${OS_LABEL}=${os}, ${arch}`;
}

function applyPin(spec: V1PodSpec, { os, architectures }: Pin): void {
  if (os !== 'linux') addNodePin(spec, OS_LABEL, [os]);
  addNodePin(spec, ARCH_LABEL, architectures);
}

const shownImage = ({ container }: ContainerSite) =>
  `image ${displayImage(container.image)} (container ${String(container.name)})`;

/** Containers that constrain scheduling: ephemeral ones join a pod already placed. */
const placedBy = (ctx: RuleContext, site: PodSpecSite) =>
  ctx.containers.filter(
    (c) => c.site === site && c.list !== 'ephemeralContainers' && !c.exempt && c.image.ok,
  );

export default defineRule({
  id: 'node-arch',
  description: 'Pods are pinned to the architectures their images are built for.',
  endpoints: ['validate', 'mutate'],
  operations: ['CREATE', 'UPDATE'],
  needsRegistry: true,
  configure: (settings): Options => ({ denyOnLookupFailure: settings.onLookupFailure === 'deny' }),
  async evaluate(ctx, options) {
    const { images } = ctx;
    if (!images) return [];
    const findings: RuleFinding[] = [];
    const pins: { site: PodSpecSite; pin: Pin }[] = [];
    for (const site of ctx.podSpecs) {
      // A Pod is pinned once, at CREATE; templates are judged on the validating endpoint only
      // (a template rewritten under a GitOps tool would be reported as drift).
      const patching = !site.template && ctx.endpoint === 'mutate' && ctx.operation === 'CREATE';
      if (!patching && ctx.endpoint !== 'validate') continue;
      // A ReplicaSet stamped from a Deployment was previewed at its owner: only deny it.
      const previews = !(site.template && hasControllerOwner(ctx.object));
      // A Pod's lookup failures were reported where it was patched (mutate), not again here.
      const reportsFailures = patching || (site.template && previews);
      const sites = placedBy(ctx, site);
      if (sites.length === 0) continue;
      const results = await Promise.all(
        sites.map((c) => (c.image.ok ? images.platforms(c.image.ref, site.spec) : undefined)),
      );
      const known: ImagePlatforms[] = [];
      let failed = false;
      results.forEach((result, i) => {
        const c = sites[i]!;
        if (!result) return;
        if (result.ok) {
          known.push({ shown: shownImage(c), platforms: result.platforms });
          return;
        }
        failed = true;
        if (!reportsFailures) return;
        // A tag never pushed runs nowhere, pinned or not: saying so is image-exists's finding.
        if (result.failure === LookupFailure.notFound && !options.denyOnLookupFailure) return;
        // Warnings are cut at 256 bytes: what happened leads, the registry's reason follows.
        const outcome = options.denyOnLookupFailure
          ? 'denied (node-arch.onLookupFailure is deny)'
          : site.template
            ? 'pods will not be pinned to an architecture'
            : 'not pinned to an architecture';
        findings.push({
          path: `${c.path}/image`,
          subject: `lookup ${String(c.container.image)}`,
          message: `${outcome}: platforms of ${displayImage(c.container.image)} unknown (${result.failure}): ${result.message}`,
          ...(options.denyOnLookupFailure ? {} : { action: 'warn' as const }),
        });
      });
      if (failed) continue;
      const placement = decidePlacement(
        known,
        readNodePin(site.spec, OS_LABEL),
        readNodePin(site.spec, ARCH_LABEL),
      );
      if (placement.kind === 'deny') {
        findings.push({ path: site.path, subject: placement.message, message: placement.message });
      } else if (placement.kind === 'pin') {
        if (patching) pins.push({ site, pin: placement });
        else if (previews) {
          const who = site.template ? 'pods' : 'the pod';
          findings.push({
            action: 'warn',
            path: site.path,
            message: `${who} will be pinned to ${describePin(placement)}: ${placement.because}`,
          });
        }
      }
    }
    // Edits last, after every lookup, so the draft never holds half a decision.
    if (ctx.draft)
      for (const { site, pin } of pins) applyPin(valueAtPointer(ctx.draft, site.path) as V1PodSpec, pin);
    return findings;
  },
});
