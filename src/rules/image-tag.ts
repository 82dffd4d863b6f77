// A tag that moves (`latest`) or names no build (`fixed-final`) leaves no rollback target,
// and nodes keep serving whatever they cached under it.
import { defineRule } from './rule.js';
import { classifyTag, isImmutableClass, type TagRules } from '../images/classify-tag.js';
import { displayImage, type ImageReference } from '../images/reference.js';

const WHAT = { missing: 'no tag', mutable: 'a mutable tag', sprawl: 'a sprawl tag' } as const;

/** The repository as the user wrote it, so the remedy can be pasted back into the manifest. */
function writtenRepository(ref: ImageReference): string {
  let base = ref.original;
  if (ref.digest !== undefined) base = base.slice(0, base.lastIndexOf('@'));
  if (ref.tag !== undefined) base = base.slice(0, base.length - ref.tag.length - 1);
  return base;
}

export default defineRule({
  id: 'image-tag',
  description: 'Image tags name one build: no missing, mutable or sprawl tags; a digest always passes.',
  configure: (settings): TagRules => ({
    mutableTags: new Set(settings.mutableTags.map((t) => t.toLowerCase())),
    floatingVersions: settings.floatingVersions,
    shapes: settings.accept,
    extraPatterns: settings.extraVersionPatterns.map((p) => new RegExp(`^(?:${p})$`)),
  }),
  evaluate(ctx, rules) {
    return ctx.containers.flatMap(({ container, image, path, exempt }) => {
      // An invalid reference is image-registry's finding; there is no tag to judge.
      if (exempt || !image.ok) return [];
      const verdict = classifyTag(image.ref.tag, image.ref.digest, rules);
      if (isImmutableClass(verdict.class)) return [];
      // Every class that is not immutable is one of these three.
      const what = WHAT[verdict.class as keyof typeof WHAT];
      const repository = writtenRepository(image.ref);
      // A registry host has no length limit in the grammar; keep a monstrous one out of the message.
      const remedy =
        repository.length <= 200
          ? `push it as ${repository}:v1.4.2 or pin a digest`
          : 'push it with a tag such as v1.4.2 or pin a digest';
      return [
        {
          path: `${path}/image`,
          subject: container.image ?? '',
          message: `container "${container.name}" image ${displayImage(container.image)} has ${what} (${verdict.reason}): ${remedy}`,
        },
      ];
    });
  },
});
