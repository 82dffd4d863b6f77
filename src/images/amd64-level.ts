// x86-64 micro-architecture levels (v1 baseline, v2 SSE4.2, v3 AVX2, v4 AVX-512): an image
// index may hold amd64 builds per level (platform.variant "v3"), and a binary built for v3 dies
// with "Illegal instruction" on a CPU without AVX2. Nodes carry no standard label for their
// level, so this is opt-in: the policy names the node label that holds it (values v1…v4, the
// highest level the CPU supports), and pods that can run only on amd64 are pinned to levels at
// least as high as their images need. Variants of other architectures are not judged.
// https://gitlab.com/x86-psABIs/x86-64-ABI (micro-architecture levels)
import { formatPlatform } from './platforms.js';
import type { ImagePlatforms, NodePin } from './placement.js';

export const AMD64_LEVELS = ['v1', 'v2', 'v3', 'v4'] as const;

export type LevelPlacement =
  | { readonly kind: 'keep' }
  | { readonly kind: 'pin'; readonly values: readonly string[]; readonly because: string }
  | { readonly kind: 'deny'; readonly message: string };

/** The lowest level an image has an amd64 build for (0 = v1: runs on every amd64 CPU). */
function lowestLevel(image: ImagePlatforms): number {
  const levels = image.platforms
    .filter((p) => p.os === 'linux' && p.architecture === 'amd64')
    .map((p) => Math.max(0, AMD64_LEVELS.indexOf((p.variant ?? 'v1') as (typeof AMD64_LEVELS)[number])));
  return levels.length ? Math.min(...levels) : 0;
}

const describe = (image: ImagePlatforms) =>
  `${image.shown} is built for ${image.platforms
    .filter((p) => p.architecture === 'amd64')
    .map(formatPlatform)
    .join(', ')}`;

/**
 * Whether a pod that runs only on `architectures` needs an amd64 level pin on `label`. Only a
 * pod confined to amd64 is pinned: a level expression would shut out its other architectures.
 */
export function decideAmd64Level(
  images: readonly ImagePlatforms[],
  architectures: readonly string[],
  pin: NodePin,
): LevelPlacement {
  if (architectures.length !== 1 || architectures[0] !== 'amd64') return { kind: 'keep' };
  const needed = Math.max(0, ...images.map(lowestLevel));
  if (needed === 0) return { kind: 'keep' };
  const allowed: readonly string[] = AMD64_LEVELS.slice(needed);
  const because = images
    .filter((image) => lowestLevel(image) === needed)
    .map(describe)
    .join('; ');
  if (!pin.pinned) return { kind: 'pin', values: allowed, because };
  const fits = allowed.filter((level) => pin.allows(level));
  if (fits.length === 0) {
    return {
      kind: 'deny',
      message: `the pod's ${pin.shown} is below what its images need (${AMD64_LEVELS[needed]} or higher): ${because}`,
    };
  }
  if (pin.only && [...pin.only].every((level) => fits.includes(level))) return { kind: 'keep' };
  return { kind: 'pin', values: fits, because };
}
