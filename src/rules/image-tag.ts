// A tag that moves (`latest`) or names no build (`fixed-final`) leaves no rollback target,
// and nodes keep serving whatever they cached under it.
import type { FromSchema } from 'json-schema-to-ts';
import { defineRule, type ContainerSite, type RuleContext, type RuleFinding } from './rule.js';
import { actionSetting } from './settings.js';
import { classifyTag, isImmutableClass, type TagRules } from '../images/classify-tag.js';
import { displayImage, type ImageReference } from '../images/reference.js';
import { ImageMemo } from '../images/image-memo.js';
import { referenceOf, writtenRepository } from '../images/suggested-image.js';

const WHAT = { missing: 'no tag', mutable: 'a mutable tag', sprawl: 'a sprawl tag' } as const;

// A registry host has no length limit in the grammar; keep a monstrous one out of the message.
const REPOSITORY_SHOWN_MAX = 200;

/** The tags this policy accepts, in words: "its version, git commit or date". */
function acceptedShapes({ shapes, extraPatterns }: TagRules): string | undefined {
  const words = [
    ...(shapes.semver || shapes.versionVariant ? ['version'] : []),
    ...(shapes.commit || shapes.versionCommit ? ['git commit'] : []),
    ...(shapes.date ? ['date'] : []),
    ...(shapes.build ? ['build number'] : []),
  ];
  const own = extraPatterns.length ? ["a tag of this policy's version patterns"] : [];
  if (words.length === 0) return own[0];
  const listed = words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
  return [`its ${listed}`, ...own].join(' or ');
}

interface TagProblem {
  /** `image "…" has a sprawl tag` */
  readonly head: string;
  /** Why the tag names no build, for the end of the message. */
  readonly reason: string;
  /** The remedy when no registry was asked: the shape of an acceptable tag, no tag made up. */
  readonly offline: string;
}

/** What is wrong with this image's tag; null when it names one build. */
function tagProblem(raw: string, ref: ImageReference, rules: TagRules): TagProblem | null {
  const verdict = classifyTag(ref.tag, ref.digest, rules);
  if (isImmutableClass(verdict.class)) return null;
  // Every class that is not immutable is one of these three.
  const what = WHAT[verdict.class as keyof typeof WHAT];
  const shapes = acceptedShapes(rules);
  return {
    head: `image ${displayImage(raw)} has ${what}`,
    reason: verdict.reason,
    offline: shapes ? `tag the build with ${shapes}, or pin a digest` : 'pin a digest',
  };
}

/**
 * The image pinned to the digest its tag names now, as the user wrote it or else as the runtime
 * reads it (`docker.io/library/…`), whichever the policy passes; undefined when neither does.
 */
function pinnedImage(ref: ImageReference, digest: string, ctx: RuleContext): string | undefined {
  const tag = ref.tag !== undefined ? `:${ref.tag}` : '';
  for (const repository of [writtenRepository(ref), ref.name]) {
    if (repository.length > REPOSITORY_SHOWN_MAX) return undefined;
    const pinned = referenceOf(`${repository}${tag}@${digest}`);
    if (pinned && ctx.acceptsImage(pinned)) return pinned.original;
  }
  return undefined;
}

/**
 * The remedy once the registry said which build the tag names now. The command comes before the
 * image: a warning is cut at 256 bytes, and a cut digest is of no use where the command still is.
 */
function resolvedRemedy(ref: ImageReference, digest: string, ctx: RuleContext): string {
  const pinned = pinnedImage(ref, digest, ctx);
  return pinned
    ? `pin the build it names now with kube-hygiene fix --pin-digests: ${pinned}`
    : `pin the build it names now, ${digest}, with kube-hygiene fix --pin-digests`;
}

const problems = new ImageMemo<TagRules, TagProblem | null>();

const message = (c: ContainerSite, problem: TagProblem, remedy: string) =>
  // The remedy comes before the explanation: warnings are cut at 256 bytes.
  `container "${c.container.name}" ${problem.head}: ${remedy} (${problem.reason})`;

export const DEFAULT_MUTABLE_TAGS = [
  'latest',
  'stable',
  'main',
  'master',
  'dev',
  'develop',
  'development',
  'edge',
  'nightly',
  'head',
  'current',
  'prod',
  'production',
  'staging',
  'test',
  'testing',
  'release',
  'snapshot',
  'canary',
  'beta',
  'alpha',
  'rc',
  'lts',
  'unstable',
  'trunk',
  'next',
] as const;

const settings = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    action: actionSetting('deny'),
    mutableTags: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: DEFAULT_MUTABLE_TAGS,
    },
    floatingVersions: { type: 'string', enum: ['mutable', 'accept'], default: 'mutable' },
    accept: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        semver: { type: 'boolean', default: true },
        versionVariant: { type: 'boolean', default: true },
        commit: { type: 'boolean', default: true },
        versionCommit: { type: 'boolean', default: true },
        date: { type: 'boolean', default: true },
        build: { type: 'boolean', default: true },
      },
    },
    extraVersionPatterns: {
      type: 'array',
      items: { type: 'string', format: 'regex' },
      default: [],
      description: 'regular expressions (whole tag) that also name one build, for team conventions',
    },
  },
} as const;
type Settings = FromSchema<typeof settings>;

export default defineRule({
  id: 'image-tag',
  settings,
  docs: {
    catches:
      'no tag, a mutable tag (`latest`, `stable`, `main`, a floating `1.25`), or a sprawl tag that names no build (`fixed`, `fixed-final`, `fixed-v5`, `v2-final`); a digest always passes',
    policy: [
      'The tag must name one build: a digest always passes; no tag, a mutable tag or a sprawl',
      'tag (fixed, fixed-final, phase2-mcp-logging-fix) does not.',
    ],
    settings: {
      action: { inline: 'deny | warn | off', meaning: '`deny`, `warn` or `off`' },
      mutableTags: {
        above: ['Tags that move on every release, matched case-insensitively.'],
        meaning: 'tags that move, matched case-insensitively',
      },
      floatingVersions: {
        above: [
          '"1.25", "15", "7.0", "20-alpine": versions that keep receiving builds.',
          'mutable: judged like "latest"; accept: let them through.',
        ],
        meaning: '`1.25`, `15`, `20-alpine`: `mutable` judges them like `latest`, `accept` lets them through',
      },
      accept: {
        above: ['Tag shapes that name one build; set one to false to stop accepting it.'],
        properties: {
          semver: {
            inline: 'v1.4.2, 1.2.3-rc.1, 1.25.3-alpine',
            meaning: '`v1.4.2`, `1.2.3-rc.1`, `1.25.3-alpine`, `pg17-0.112.0`',
          },
          versionVariant: { inline: '15.4-bookworm', meaning: '`15.4-bookworm`' },
          commit: {
            inline: '3f9c2a1, sha-3f9c2a1, main-3f9c2a1',
            meaning: '`3f9c2a1`, `sha-3f9c2a1`, `main-3f9c2a1`',
          },
          versionCommit: {
            inline: 'v1.4.2-3f9c2a1, v1.4.2-5-g3f9c2a1',
            meaning: '`v1.4.2-3f9c2a1`, `v1.4.2-5-g3f9c2a1`',
          },
          date: { inline: '2025.11.17, 20251117-3', meaning: '`2025.11.17`, `20251117-3`' },
          build: {
            inline: 'build-1234, dev-1731801234 (a number of 4 digits or more)',
            meaning: '`build-1234`, `dev-1731801234` (4 digits or more)',
          },
        },
      },
      extraVersionPatterns: {
        above: ["Regular expressions (matched against the whole tag) for a team's own conventions."],
        meaning: "regular expressions matched against the whole tag, for a team's own conventions",
      },
    },
  },
  configure: (settings: Settings): TagRules => ({
    mutableTags: new Set(settings.mutableTags.map((t) => t.toLowerCase())),
    floatingVersions: settings.floatingVersions,
    shapes: settings.accept,
    extraPatterns: settings.extraVersionPatterns.map((p) => new RegExp(`^(?:${p})$`)),
  }),
  acceptsImage: (ref, rules) => isImmutableClass(classifyTag(ref.tag, ref.digest, rules).class),
  evaluate(ctx, rules) {
    const found: { c: ContainerSite; ref: ImageReference; problem: TagProblem }[] = [];
    for (const c of ctx.containers) {
      // An invalid reference is image-registry's finding; there is no tag to judge.
      if (c.exempt || !c.image.ok) continue;
      const { ref } = c.image;
      const problem = problems.get(rules, ref.original, () => tagProblem(ref.original, ref, rules));
      if (problem !== null) found.push({ c, ref, problem });
    }
    const finding = (
      c: ContainerSite,
      ref: ImageReference,
      problem: TagProblem,
      remedy: string,
    ): RuleFinding => ({
      path: `${c.path}/image`,
      subject: ref.original,
      message: message(c, problem, remedy),
    });
    const { images } = ctx;
    // Without registry lookups (check without --resolve) nothing is known of the builds.
    if (!images || found.length === 0) {
      return found.map(({ c, ref, problem }) => finding(c, ref, problem, problem.offline));
    }
    return Promise.all(
      found.map(async ({ c, ref, problem }) => {
        const result = await images.digest(ref, c.site.spec);
        return finding(
          c,
          ref,
          problem,
          result.ok ? resolvedRemedy(ref, result.digest, ctx) : problem.offline,
        );
      }),
    );
  },
});
