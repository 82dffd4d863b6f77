// `node-arch`: an amd64-only image on an arm64 node dies with "exec format error" or
// "Illegal instruction" in a crash loop. The images' registries say which platforms each
// image has; Pods are pinned on CREATE to the architectures every image shares (a nodeSelector
// for one, required node affinity for several), workload templates get a warning previewing
// it (pod webhooks never run on a Deployment's dry run), and pods no node can run are denied.
// The decisions are images/placement.ts and amd64-level.ts; reading and writing pins is node-pin.ts.
import type { FromSchema } from 'json-schema-to-ts';
import type { V1PodSpec } from '@kubernetes/client-node';
import { defineRule, type ContainerSite, type RuleContext, type RuleFinding } from './rule.js';
import { actionSetting } from './settings.js';
import type { PodSpecSite } from '../kube/workload.js';
import { displayImage } from '../images/reference.js';
import type { ImageLookup } from '../images/image-lookup.js';
import { LookupFailure } from '../images/registry/lookup-error.js';
import { decidePlacement, noNodeFits, type ImagePlatforms } from '../images/placement.js';
import { decideAmd64Level } from '../images/amd64-level.js';
import { ARCH_LABEL, OS_LABEL, addNodePin, readNodePin } from './node-pin.js';
import { hasControllerOwner } from './controller-owner.js';

interface Options {
  readonly denyOnLookupFailure: boolean;
  /** Node label holding the amd64 level (v1…v4); undefined: levels are not judged. */
  readonly amd64LevelLabel: string | undefined;
}

/** Node labels to restrict, each to its values, and why. */
interface Pin {
  readonly labels: readonly (readonly [label: string, values: readonly string[]])[];
  readonly because: readonly string[];
}

/** `kubernetes.io/arch=amd64`, `kubernetes.io/os=windows, kubernetes.io/arch In [amd64, arm64]`. */
const describePin = ({ labels }: Pin) =>
  labels
    .map(([label, values]) =>
      values.length === 1 ? `${label}=${values[0]}` : `${label} In [${values.join(', ')}]`,
    )
    .join(', ');

const shownImage = ({ container }: ContainerSite) =>
  `image ${displayImage(container.image)} (container ${String(container.name)})`;

/** Containers that constrain scheduling: ephemeral ones join a pod already placed. */
const placedBy = (ctx: RuleContext, site: PodSpecSite) =>
  ctx.containers.filter(
    (c) => c.site === site && c.list !== 'ephemeralContainers' && !c.exempt && c.image.ok,
  );

// Images named in a denial's "not checked" note; the rest are counted.
const NAMED_UNCHECKED = 3;

interface Resolved {
  readonly known: ImagePlatforms[];
  readonly failures: RuleFinding[];
  /** The images whose platforms are unknown, and why: `image "…" (container c): timeout`. */
  readonly unchecked: string[];
}

async function resolveAll(
  images: ImageLookup,
  site: PodSpecSite,
  containers: readonly ContainerSite[],
  options: Options,
): Promise<Resolved> {
  const results = await Promise.all(
    containers.map((c) => (c.image.ok ? images.platforms(c.image.ref, site.spec) : undefined)),
  );
  const known: ImagePlatforms[] = [];
  const failures: RuleFinding[] = [];
  const unchecked: string[] = [];
  results.forEach((result, i) => {
    const c = containers[i]!;
    if (!result) return;
    if (result.ok) {
      known.push({ shown: shownImage(c), platforms: result.platforms });
      return;
    }
    unchecked.push(`${shownImage(c)}: ${result.failure}`);
    // A tag never pushed runs nowhere, pinned or not: saying so is image-exists's finding.
    if (result.failure === LookupFailure.notFound && !options.denyOnLookupFailure) return;
    // Warnings are cut at 256 bytes: what happened leads, the registry's reason follows.
    const outcome = options.denyOnLookupFailure
      ? 'denied (node-arch.onLookupFailure is deny)'
      : site.template
        ? 'pods will not be pinned to an architecture'
        : 'not pinned to an architecture';
    failures.push({
      path: `${c.path}/image`,
      subject: `lookup ${String(c.container.image)}`,
      message: `${outcome}: platforms of ${displayImage(c.container.image)} unknown (${result.failure}): ${result.message}`,
      ...(options.denyOnLookupFailure ? {} : { action: 'warn' as const }),
    });
  });
  return { known, failures, unchecked };
}

/**
 * Why no node can run the pod, when the images that were resolved already show it: the
 * images that could not be looked up cannot change that (they only narrow the choice).
 */
function certainConflict(known: readonly ImagePlatforms[], spec: V1PodSpec): string | undefined {
  const osPin = readNodePin(spec, OS_LABEL);
  const archPin = readNodePin(spec, ARCH_LABEL);
  if (!noNodeFits(known, osPin, archPin)) return undefined;
  const placement = decidePlacement(known, osPin, archPin);
  return placement.kind === 'deny' ? placement.message : undefined;
}

/** The pin a pod needs, or the reason no node can run it; undefined when it needs nothing. */
function decide(
  known: readonly ImagePlatforms[],
  spec: V1PodSpec,
  options: Options,
): Pin | string | undefined {
  const archPin = readNodePin(spec, ARCH_LABEL);
  const placement = decidePlacement(known, readNodePin(spec, OS_LABEL), archPin);
  if (placement.kind === 'deny') return placement.message;
  const labels: [string, readonly string[]][] = [];
  const because: string[] = [];
  let architectures: readonly string[] = archPin.only ? [...archPin.only] : [];
  if (placement.kind === 'pin') {
    if (placement.os !== 'linux') labels.push([OS_LABEL, [placement.os]]);
    labels.push([ARCH_LABEL, placement.architectures]);
    because.push(placement.because);
    architectures = placement.architectures;
  }
  if (options.amd64LevelLabel) {
    const label = options.amd64LevelLabel;
    const level = decideAmd64Level(known, architectures, readNodePin(spec, label));
    if (level.kind === 'deny') return level.message;
    if (level.kind === 'pin') {
      labels.push([label, level.values]);
      because.push(level.because);
    }
  }
  return labels.length ? { labels, because } : undefined;
}

const settings = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'pin pods to the architectures (and OS) their images are built for, asked of each registry',
  properties: {
    action: actionSetting('deny'),
    onLookupFailure: {
      type: 'string',
      enum: ['allow', 'deny'],
      default: 'allow',
      description:
        'when a registry cannot answer (timeout, auth, blocked address): allow with a warning, or deny',
    },
    amd64LevelLabel: {
      type: 'string',
      default: '',
      pattern: '^$|^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
      description:
        'node label holding the x86-64 level (v1..v4) of amd64 nodes; amd64-only pods whose images need v2+ are pinned to it. Empty: levels are not judged',
    },
  },
} as const;
type Settings = FromSchema<typeof settings>;

export default defineRule({
  id: 'node-arch',
  settings,
  docs: {
    catches:
      'pins Pods to the architectures all their images share (registry lookup); denies pods no node can run and pins that contradict the images; previews the pin on templates',
    policy: [
      "Pods are pinned to the platforms their images are built for, asked of each image's registry",
      '(see registries / registryLookup above). On Pod CREATE: one architecture every image shares',
      '→ nodeSelector kubernetes.io/arch; several → required node affinity kubernetes.io/arch In',
      '[...] added to every existing term; Windows-only images → kubernetes.io/os=windows too.',
      'Workload templates get a warning previewing it ("pods will be pinned to',
      'kubernetes.io/arch=amd64: image ... is linux/amd64 only"). Denied: images that share no',
      'platform, and a pod whose own selector or affinity pins an architecture an image lacks.',
      'Off when lookups are off (`check` without --resolve).',
    ],
    settings: {
      action: {
        inline: 'deny | warn | off (warn: denials become warnings; pods are still pinned)',
        meaning: '`deny`, `warn` (denials become warnings; pods are still pinned) or `off`',
      },
      onLookupFailure: {
        above: [
          'A registry that cannot answer (timeout, auth, blocked address): allow, with a warning',
          'saying why and no pin; or deny the pod.',
        ],
        inline: 'allow | deny',
        meaning: 'a registry that cannot answer: `allow` (no pin, a warning) or `deny`',
      },
      amd64LevelLabel: {
        above: [
          'Node label holding the x86-64 micro-architecture level (v1..v4, the highest the CPU',
          'supports) of amd64 nodes, set by your node provisioning (no standard label exists). When',
          'set, a pod that runs only on amd64 and whose images are built only for amd64 v2/v3/v4',
          '(index entries with platform.variant) is pinned to nodes whose label is that level or',
          "higher. '' = levels are not judged.",
        ],
        meaning:
          "node label holding amd64 nodes' x86-64 level (`v1`…`v4`); set, amd64-only pods are pinned to the level their images need",
      },
    },
  },
  endpoints: ['validate', 'mutate'],
  operations: ['CREATE', 'UPDATE'],
  needsRegistry: true,
  configure: (settings: Settings): Options => ({
    denyOnLookupFailure: settings.onLookupFailure === 'deny',
    amd64LevelLabel: settings.amd64LevelLabel || undefined,
  }),
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
      const containers = placedBy(ctx, site);
      if (containers.length === 0) continue;
      const { known, failures, unchecked } = await resolveAll(images, site, containers, options);
      // A Pod's lookup failures were reported where it was patched (mutate), not again here.
      if (patching || (site.template && previews)) findings.push(...failures);
      if (unchecked.length) {
        const conflict = certainConflict(known, site.spec);
        if (conflict) {
          const more =
            unchecked.length > NAMED_UNCHECKED ? `; and ${unchecked.length - NAMED_UNCHECKED} more` : '';
          const note = `not checked, and no image can change this: ${unchecked.slice(0, NAMED_UNCHECKED).join('; ')}${more}`;
          findings.push({ path: site.path, subject: conflict, message: `${conflict}; ${note}` });
        }
        continue;
      }
      const decision = decide(known, site.spec, options);
      if (typeof decision === 'string') {
        findings.push({ path: site.path, subject: decision, message: decision });
      } else if (decision && patching) {
        pins.push({ site, pin: decision });
      } else if (decision && previews) {
        findings.push({
          action: 'warn',
          path: site.path,
          message: `${site.template ? 'pods' : 'the pod'} will be pinned to ${describePin(decision)}: ${decision.because.join('; ')}`,
        });
      }
    }
    // Nothing to pin, nothing edited: the object is not copied at all.
    for (const { site, pin } of pins) {
      for (const [label, values] of pin.labels) addNodePin(ctx.edits, site.path, label, values);
    }
    return findings;
  },
});
