// A tag that moves (`latest`) or names no build (`fixed-final`) leaves no rollback target,
// and nodes keep serving whatever they cached under it.
import { defineRule } from './rule.js';
import { classifyTag, isImmutableClass, type TagRules } from '../images/classify-tag.js';
import { displayImage, type ImageReference } from '../images/reference.js';
import { ImageMemo } from '../images/image-memo.js';

const WHAT = { missing: 'no tag', mutable: 'a mutable tag', sprawl: 'a sprawl tag' } as const;

/** The repository as the user wrote it, so the remedy can be pasted back into the manifest. */
function writtenRepository(ref: ImageReference): string {
  let base = ref.original;
  if (ref.digest !== undefined) base = base.slice(0, base.lastIndexOf('@'));
  if (ref.tag !== undefined) base = base.slice(0, base.length - ref.tag.length - 1);
  return base;
}

/** What is wrong with this image's tag, after the container's name; null when it names one build. */
function tagProblem(raw: string, ref: ImageReference, rules: TagRules): string | null {
  const verdict = classifyTag(ref.tag, ref.digest, rules);
  if (isImmutableClass(verdict.class)) return null;
  // Every class that is not immutable is one of these three.
  const what = WHAT[verdict.class as keyof typeof WHAT];
  const repository = writtenRepository(ref);
  // A registry host has no length limit in the grammar; keep a monstrous one out of the message.
  const remedy =
    repository.length <= 200
      ? `push it as ${repository}:v1.4.2 or pin a digest`
      : 'push it with a tag such as v1.4.2 or pin a digest';
  return `image ${displayImage(raw)} has ${what} (${verdict.reason}): ${remedy}`;
}

const problems = new ImageMemo<TagRules, string | null>();

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
    const findings = [];
    for (const { container, image, path, exempt } of ctx.containers) {
      // An invalid reference is image-registry's finding; there is no tag to judge.
      if (exempt || !image.ok) continue;
      const raw = image.ref.original;
      const problem = problems.get(rules, raw, () => tagProblem(raw, image.ref, rules));
      if (problem === null) continue;
      findings.push({
        path: `${path}/image`,
        subject: raw,
        message: `container "${container.name}" ${problem}`,
      });
    }
    return findings;
  },
});
