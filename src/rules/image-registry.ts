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
import { displayImage, type ImageReference, type ParseResult } from '../images/reference.js';
import { referenceOf, repositoryUnder, writtenSuffix } from '../images/suggested-image.js';

interface RegistryRules {
  readonly allowed: readonly RegistryPrefix[];
}

type Accepts = (ref: ImageReference) => boolean;

// Where a team would push an image when the policy names no registry of its own (RFC 2606 name).
const EXAMPLE_PREFIX = parseRegistryPrefix('registry.example.com/team');

const allowedBy = (ref: ImageReference, { allowed }: RegistryRules) =>
  allowed.length === 0 || allowed.some((p) => matchesRegistryPrefix(ref, p));

/**
 * `repository` with the user's tag and digest when the policy passes the result; with a `<tag>`
 * placeholder otherwise (the tag is what another rule refuses, and no real one is known here).
 */
function withWrittenTag(repository: string, ref: ImageReference, accepts: Accepts): string {
  const candidate = referenceOf(repository + writtenSuffix(ref));
  return candidate && accepts(candidate) ? candidate.original : `${repository}:<tag>`;
}

/** The first allowed prefix the image can be pushed under, as a repository the runtime reads back to it. */
function pushTarget(ref: ImageReference, rules: RegistryRules): string | undefined {
  const prefixes = rules.allowed.length ? rules.allowed : [EXAMPLE_PREFIX];
  for (const prefix of prefixes) {
    const repository = repositoryUnder(prefix, ref);
    const pushed = referenceOf(repository);
    if (pushed?.explicitRegistry && matchesRegistryPrefix(pushed, prefix)) return repository;
  }
  return undefined;
}

/** The remedy for an image that names no registry, after "names no registry". */
function unqualifiedRemedy(ref: ImageReference, rules: RegistryRules, accepts: Accepts): string {
  // The image the runtime pulls: Docker Hub, `library/` for one-component names.
  const hub = withWrittenTag(ref.name, ref, accepts);
  const push = pushTarget(ref, rules);
  if (rules.allowed.length === 0) {
    const pushed = push ? `push it as ${withWrittenTag(push, ref, accepts)}, or ` : '';
    return `: ${pushed}write ${hub} if Docker Hub is meant (a locally built image exists only on its node)`;
  }
  if (allowedBy(ref, rules)) return `: write ${hub}, the image the runtime pulls`;
  const list = rules.allowed.map((p) => p.text).join(', ');
  if (push === undefined) return `, and Docker Hub is not an allowed registry: push it to one of ${list}`;
  return `: push it as ${withWrittenTag(push, ref, accepts)} (the runtime would pull ${ref.name}, and Docker Hub is not an allowed registry)`;
}

/** What is wrong with this image's registry, after the container's name; null when nothing is. */
function registryProblem(
  raw: unknown,
  image: ParseResult,
  rules: RegistryRules,
  accepts: Accepts,
): string | null {
  const named = `image ${displayImage(raw)}`;
  if (!image.ok) {
    const example = referenceOf(`${rules.allowed[0]?.text ?? 'registry.example.com/team'}/app:v1.4.2`);
    const shown = example && accepts(example) ? `, e.g. ${example.original}` : '';
    return (
      `${named} is not a valid image reference (${image.error}), so the kubelet would fail with ` +
      `InvalidImageName: write it as host/repository:tag${shown}`
    );
  }
  const { ref } = image;
  // The remedy comes before the explanation: warnings are cut at 256 bytes.
  if (!ref.explicitRegistry) return `${named} names no registry${unqualifiedRemedy(ref, rules, accepts)}`;
  if (!allowedBy(ref, rules)) {
    return `${named} is not from an allowed registry (${rules.allowed.map((p) => p.text).join(', ')}): push it to one of them`;
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
  acceptsImage: (ref, rules) => ref.explicitRegistry && allowedBy(ref, rules),
  evaluate(ctx, rules) {
    // One policy per options object, so what the memo holds stays true for these options.
    const accepts: Accepts = (ref) => ctx.acceptsImage(ref);
    const findings = [];
    for (const { container, image, path, exempt } of ctx.containers) {
      if (exempt) continue;
      // Manifests are untrusted: the image may be missing or not a string at all.
      const raw: unknown = container.image;
      const problem =
        typeof raw === 'string'
          ? problems.get(rules, raw, () => registryProblem(raw, image, rules, accepts))
          : registryProblem(raw, image, rules, accepts);
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
