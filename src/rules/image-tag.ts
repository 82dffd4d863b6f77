// A tag that moves (`latest`) or names no build (`fixed-final`) leaves no rollback target,
// and nodes keep serving whatever they cached under it.
import type { FromSchema } from 'json-schema-to-ts';
import { defineRule } from './rule.js';
import { actionSetting } from './settings.js';
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
