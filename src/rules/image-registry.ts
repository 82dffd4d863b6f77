// An image without a registry host resolves to Docker Hub on every node: when it was built
// locally, only the node that built it has it, and every other node sits in ImagePullBackOff.
import { defineRule } from './rule.js';
import {
  matchesRegistryPrefix,
  parseRegistryPrefix,
  type RegistryPrefix,
} from '../images/registry-prefix.js';
import { ImageMemo } from '../images/image-memo.js';
import {
  displayImage,
  normalizedString,
  type ImageReference,
  type ParseResult,
} from '../images/reference.js';

// The user's own tag and digest when they already name a build; an example version otherwise.
function suggestedName(ref: ImageReference): string {
  const path = ref.path.replace(/^library\//, '');
  if (ref.digest) return `${path}${ref.tag ? `:${ref.tag}` : ''}@${ref.digest}`;
  const tag = ref.tag && /^v?\d+\.\d+\.\d+/.test(ref.tag) ? ref.tag : 'v1.4.2';
  return `${path}:${tag}`;
}

interface RegistryRules {
  readonly allowed: readonly RegistryPrefix[];
}

/** What is wrong with this image's registry, after the container's name; null when nothing is. */
function registryProblem(raw: unknown, image: ParseResult, { allowed }: RegistryRules): string | null {
  const example = allowed[0]?.text ?? 'registry.example.com/team';
  const named = `image ${displayImage(raw)}`;
  if (!image.ok) {
    return (
      `${named} is not a valid image reference (${image.error}), so the kubelet would fail with ` +
      `InvalidImageName: write it as host/repository:tag, e.g. ${example}/app:v1.4.2`
    );
  }
  const { ref } = image;
  if (!ref.explicitRegistry) {
    // The remedy comes before the explanation: warnings are cut at 256 bytes.
    return (
      `${named} names no registry: push it as ${example}/${suggestedName(ref)}, or write ` +
      `${normalizedString(ref)} if Docker Hub is meant (a locally built image exists only on its node)`
    );
  }
  if (allowed.length > 0 && !allowed.some((p) => matchesRegistryPrefix(ref, p))) {
    return `${named} is not from an allowed registry (${allowed.map((p) => p.text).join(', ')}): push it to one of them`;
  }
  return null;
}

const problems = new ImageMemo<RegistryRules, string | null>();

export default defineRule({
  id: 'image-registry',
  description: 'Images are valid references that name their registry host (optionally one of an allow-list).',
  configure: (settings): RegistryRules => ({ allowed: settings.allowedRegistries.map(parseRegistryPrefix) }),
  evaluate(ctx, rules) {
    const findings = [];
    for (const { container, image, path, exempt } of ctx.containers) {
      if (exempt) continue;
      // Manifests are untrusted: the image may be missing or not a string at all.
      const raw: unknown = container.image;
      const problem =
        typeof raw === 'string'
          ? problems.get(rules, raw, () => registryProblem(raw, image, rules))
          : registryProblem(raw, image, rules);
      if (problem === null) continue;
      findings.push({
        path: `${path}/image`,
        subject: typeof raw === 'string' ? raw : '',
        message: `container "${container.name}" ${problem}`,
      });
    }
    return findings;
  },
});
