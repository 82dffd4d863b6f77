// Where a pod can run, decided from its images' platforms and what the pod already says about
// nodes. Pure: the rule fetches platforms and reads the pod; this decides. Linux is preferred
// when images run on both systems; among architectures, only those every image has remain.
import { formatPlatform, type Platform } from './platforms.js';

/** What a pod says about one node label (rules/node-pin.ts reads it). */
export interface NodePin {
  /** True when the pod says anything about the label. */
  readonly pinned: boolean;
  /** Whether a node whose label has this value can run the pod. */
  allows(value: string): boolean;
  /** Every value the pod admits, when it names them all (selector, or `In` in every term). */
  readonly only: ReadonlySet<string> | undefined;
  /** How the pod says it, for messages: `nodeSelector kubernetes.io/arch=arm64`. */
  readonly shown: string;
}

export interface ImagePlatforms {
  /** How the image is named in messages: `container api (image "ghcr.io/acme/api:v1")`. */
  readonly shown: string;
  readonly platforms: readonly Platform[];
}

export type Placement =
  /** The pod's own pin already keeps it on nodes every image runs on. */
  | { readonly kind: 'keep' }
  /** Pin the pod: `os` only when it is not linux (the default every node selector assumes). */
  | {
      readonly kind: 'pin';
      readonly os: string;
      readonly architectures: readonly string[];
      readonly because: string;
    }
  | { readonly kind: 'deny'; readonly message: string };

const SYSTEMS = ['linux', 'windows'] as const;

function architecturesOn(image: ImagePlatforms, os: string): Set<string> {
  return new Set(image.platforms.filter((p) => p.os === os).map((p) => p.architecture));
}

function describe(image: ImagePlatforms): string {
  const shown = image.platforms.map(formatPlatform);
  return `${image.shown} is ${shown.length === 1 ? `${shown[0]} only` : `${shown.join(', ')}`}`;
}

function common(images: readonly ImagePlatforms[], os: string): string[] {
  let left: Set<string> | undefined;
  for (const image of images) {
    const own = architecturesOn(image, os);
    left = left ? new Set([...left].filter((a) => own.has(a))) : own;
  }
  return [...(left ?? [])].sort();
}

export function decidePlacement(
  images: readonly ImagePlatforms[],
  osPin: NodePin,
  archPin: NodePin,
): Placement {
  if (images.length === 0) return { kind: 'keep' };
  const systems = SYSTEMS.filter((os) => osPin.allows(os));
  const os = systems.find((candidate) => common(images, candidate).length > 0);
  if (!os) {
    const anywhere = SYSTEMS.some((candidate) => common(images, candidate).length > 0);
    const why = images.map(describe).join('; ');
    return {
      kind: 'deny',
      message: anywhere
        ? `the pod's ${osPin.shown} leaves no node its images run on: ${why}`
        : `${why}: no node can run this pod; use images built for a common platform`,
    };
  }
  const shared = common(images, os);
  let architectures = shared;
  if (archPin.pinned) {
    const allowed = shared.filter((arch) => archPin.allows(arch));
    if (allowed.length === 0) {
      const blocking = images.filter((image) => ![...architecturesOn(image, os)].some(archPin.allows));
      return {
        kind: 'deny',
        message: `the pod's ${archPin.shown} does not fit its images: ${blocking.map(describe).join('; ')}; remove the pin or use a multi-arch image`,
      };
    }
    const osSettled = os === 'linux' || (osPin.only?.size === 1 && osPin.only.has(os));
    if (osSettled && archPin.only && [...archPin.only].every((arch) => shared.includes(arch))) {
      return { kind: 'keep' };
    }
    // The pin also admits architectures some image lacks: narrow it to those that fit.
    architectures = allowed;
  }
  // The images that leave the fewest architectures explain the choice.
  const narrowest = images.filter((image) => architecturesOn(image, os).size === shared.length);
  return {
    kind: 'pin',
    os,
    architectures,
    because: narrowest.length ? narrowest.map(describe).join('; ') : 'the architectures every image supports',
  };
}

/**
 * True when no node can run even these images, whatever others join them: adding an image only
 * narrows what the images share, so a pod whose resolved images already leave no node is
 * refused without waiting for the ones that could not be looked up.
 */
export function noNodeFits(images: readonly ImagePlatforms[], osPin: NodePin, archPin: NodePin): boolean {
  return (
    images.length > 0 &&
    SYSTEMS.every((os) => !osPin.allows(os) || !common(images, os).some((arch) => archPin.allows(arch)))
  );
}
