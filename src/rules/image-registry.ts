// An image without a registry host resolves to Docker Hub on every node: when it was built
// locally, only the node that built it has it, and every other node sits in ImagePullBackOff.
import { defineRule } from './rule.js';
import { matchesRegistryPrefix, parseRegistryPrefix } from '../images/registry-prefix.js';
import { displayImage, normalizedString, type ImageReference } from '../images/reference.js';

// The user's own tag and digest when they already name a build; an example version otherwise.
function suggestedName(ref: ImageReference): string {
  const path = ref.path.replace(/^library\//, '');
  if (ref.digest) return `${path}${ref.tag ? `:${ref.tag}` : ''}@${ref.digest}`;
  const tag = ref.tag && /^v?\d+\.\d+\.\d+/.test(ref.tag) ? ref.tag : 'v1.4.2';
  return `${path}:${tag}`;
}

export default defineRule({
  id: 'image-registry',
  description: 'Images are valid references that name their registry host (optionally one of an allow-list).',
  configure: (settings) => ({ allowed: settings.allowedRegistries.map(parseRegistryPrefix) }),
  evaluate(ctx, { allowed }) {
    const example = allowed[0]?.text ?? 'registry.example.com/team';
    return ctx.containers.flatMap(({ container, image, path, exempt }) => {
      if (exempt) return [];
      // Manifests are untrusted: the image may be missing or not a string at all.
      const raw: unknown = container.image;
      // Messages are built only for findings: most images pass.
      const where = () => `container "${container.name}" image ${displayImage(raw)}`;
      const finding = (message: string) => [
        { path: `${path}/image`, subject: typeof raw === 'string' ? raw : '', message },
      ];
      if (!image.ok) {
        return finding(
          `${where()} is not a valid image reference (${image.error}), so the kubelet would fail with ` +
            `InvalidImageName: write it as host/repository:tag, e.g. ${example}/app:v1.4.2`,
        );
      }
      const { ref } = image;
      if (!ref.explicitRegistry) {
        // The remedy comes before the explanation: warnings are cut at 256 bytes.
        return finding(
          `${where()} names no registry: push it as ${example}/${suggestedName(ref)}, or write ` +
            `${normalizedString(ref)} if Docker Hub is meant (a locally built image exists only on its node)`,
        );
      }
      if (allowed.length > 0 && !allowed.some((p) => matchesRegistryPrefix(ref, p))) {
        return finding(
          `${where()} is not from an allowed registry (${allowed.map((p) => p.text).join(', ')}): push it to one of them`,
        );
      }
      return [];
    });
  },
});
