// An image without a registry host resolves to Docker Hub on every node: when it was built
// locally, only the node that built it has it, and every other node sits in ImagePullBackOff.
import type { FromSchema } from 'json-schema-to-ts';
import { defineRule } from './rule.js';
import { actionSetting } from './settings.js';
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

const settings = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    action: actionSetting('deny'),
    allowedRegistries: {
      type: 'array',
      items: {
        type: 'string',
        minLength: 1,
        pattern: '^[^\\s/*?]+(/[^\\s/*?@:]+)*$',
        description:
          'a registry host with an optional path prefix, without wildcards (ghcr.io/acme admits ghcr.io/acme/api and everything else under it)',
      },
      default: [],
      description: 'host[:port][/path-prefix]; empty means any registry, as long as one is named',
    },
  },
} as const;
type Settings = FromSchema<typeof settings>;

export default defineRule({
  id: 'image-registry',
  settings,
  docs: {
    catches:
      'an image that names no registry host (`nginx`, `team/app:v1`), or that is not a valid reference at all; optionally one outside `allowedRegistries`',
    policy: ['The image must be a valid reference that names its registry host.'],
    settings: {
      action: { inline: 'deny | warn | off', meaning: '`deny`, `warn` or `off`' },
      allowedRegistries: {
        above: [
          'host[:port][/path-prefix], matched on path boundaries ("ghcr.io/acme" does not admit',
          '"ghcr.io/acme-evil/app"). Empty: any registry, as long as one is named.',
        ],
        meaning:
          '`host[:port][/path-prefix]` entries, matched on path boundaries (`ghcr.io/acme` admits `ghcr.io/acme/api`, never `ghcr.io/acme-evil/api`); no wildcards; empty: any named registry',
      },
    },
  },
  configure: (settings: Settings): RegistryRules => ({
    allowed: settings.allowedRegistries.map(parseRegistryPrefix),
  }),
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
