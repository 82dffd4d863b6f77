// What `kube-hygiene fix` writes in place of one image: the name the container runtime reads
// (`nginx:1.27.3` is `docker.io/library/nginx:1.27.3`) when the policy's registry rule admits
// it, and with --pin-digests the digest its registry serves for the tag now, the tag kept for
// readers. Nothing is guessed: what cannot be settled is left as written, with the reason.
import type { V1PodSpec } from '@kubernetes/client-node';
import {
  displayImage,
  normalizedString,
  parseImageReference,
  type ImageReference,
} from '../images/reference.js';
import type { ImageLookup } from '../images/image-lookup.js';
import type { CompiledPolicy } from '../policy/compile.js';

export interface ImageFix {
  /** The image to write, when it differs from the one written. */
  readonly to?: string;
  /** What was left undone, and why. */
  readonly left: readonly string[];
}

export interface ImageFixOptions {
  readonly policy: CompiledPolicy;
  /** Registry lookups for this document, with --pin-digests. */
  readonly lookup?: ImageLookup | undefined;
}

/** Whether the policy's image-registry rule (when on) admits `ref`. */
function registryAdmits(policy: CompiledPolicy, ref: ImageReference): boolean {
  const entry = policy.rules.find(({ rule }) => rule.id === 'image-registry');
  return entry?.rule.acceptsImage?.(ref, entry.options) ?? true;
}

export async function fixImage(
  raw: string,
  pod: V1PodSpec,
  { policy, lookup }: ImageFixOptions,
): Promise<ImageFix> {
  const parsed = parseImageReference(raw);
  if (!parsed.ok)
    return {
      left: [
        `image ${displayImage(raw)} is not a valid image reference (${parsed.error}): correct it by hand`,
      ],
    };
  let ref = parsed.ref;
  // The policy exempts these images from every image rule: they are not ours to rewrite.
  if (policy.isExemptImage(raw, ref)) return { left: [] };
  if (!ref.explicitRegistry) {
    const qualified = parseImageReference(normalizedString(ref));
    if (qualified.ok && registryAdmits(policy, qualified.ref)) ref = qualified.ref;
    else {
      // Nor pinned: the digest would be Docker Hub's, of an image the policy refuses anyway.
      return {
        left: [
          `image ${displayImage(raw)} was not qualified: the runtime pulls ${normalizedString(ref)}, ` +
            'which allowedRegistries does not admit; push the image to an allowed registry and write that name',
        ],
      };
    }
  }
  const left: string[] = [];
  if (lookup && ref.digest === undefined) {
    const result = await lookup.digest(ref, pod);
    if (result.ok) {
      const pinned = parseImageReference(`${ref.original}@${result.digest}`);
      if (pinned.ok) ref = pinned.ref;
    } else {
      left.push(
        `image ${displayImage(ref.original)} was not pinned to a digest (${result.failure}): ${result.message}`,
      );
    }
  }
  return ref.original === raw ? { left } : { to: ref.original, left };
}
