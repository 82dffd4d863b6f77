// A tag that moves (`latest`) or names no build (`fixed-final`) leaves no rollback target,
// and nodes keep serving whatever they cached under it.
import { defineRule } from './rule.js';
import { classifyTag, isImmutableClass, type TagRules } from '../images/classify-tag.js';

const REMEDY =
  'use a tag that names one build (v1.4.2, a commit SHA, a date or build number) or pin a digest';

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
      const what =
        verdict.class === 'sprawl'
          ? 'a sprawl tag'
          : verdict.class === 'missing'
            ? 'no tag'
            : 'a mutable tag';
      return [
        {
          path: `${path}/image`,
          subject: container.image ?? '',
          message: `container "${container.name}" image "${container.image}" has ${what} (${verdict.reason}): ${REMEDY}`,
        },
      ];
    });
  },
});
