// What an image tag says about the bits behind it. Only tags that name one build
// (a version, a commit, a date or a build number) give a rollback target; everything
// else either moves by design (`latest`, `1.25`) or names nothing at all (`fixed-final`).

export const TagClass = {
  missing: 'missing',
  mutable: 'mutable',
  sprawl: 'sprawl',
  versioned: 'versioned',
  commit: 'commit',
  build: 'build',
  digest: 'digest',
} as const;
export type TagClass = (typeof TagClass)[keyof typeof TagClass];

/** Tag shapes that identify one build; each can be switched off in the policy. */
export const TagShape = {
  semver: 'semver',
  versionVariant: 'versionVariant',
  commit: 'commit',
  versionCommit: 'versionCommit',
  date: 'date',
  build: 'build',
} as const;
export type TagShape = (typeof TagShape)[keyof typeof TagShape];

export interface TagRules {
  /** Lower-case tags that always move (`latest`, `stable`, …). */
  readonly mutableTags: ReadonlySet<string>;
  /** `1.25`, `15`, `v2`: a version that keeps receiving new builds. */
  readonly floatingVersions: 'mutable' | 'accept';
  readonly shapes: Readonly<Record<TagShape, boolean>>;
  /** A team's own conventions, counted as versioned. */
  readonly extraPatterns: readonly RegExp[];
}

export interface TagVerdict {
  readonly class: TagClass;
  /** The shape that made it acceptable, or why it is not. */
  readonly reason: string;
}

// `3f9c2a1`, `sha-3f9c2a1`, `main-3f9c2a1`, `pr-42-3f9c2a1`: a commit, optionally after a label.
const COMMIT = /^(?:([a-z][a-z0-9._-]*?)[-_.]?)??([0-9a-f]{7,40})$/;
const COMMIT_LABELS = new Set(['sha', 'git', 'commit', 'rev', 'g']);
const VERSION_COMMIT = /^v?\d+(?:\.\d+)*(?:-\d+)?-g?[0-9a-f]{7,40}$/;
const DATE = /^20\d\d([.-]?)(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])(?:[-_.T]?[0-9a-zA-Z][\w.-]*)?$/;
const BUILD = /^(?:[a-z][a-z0-9]*[-_.])*\d{4,}$/;
// Version patterns ignore case: `V1.4.2` names the same release as `v1.4.2`.
const SEMVER = /^v?\d+\.\d+\.\d+(?:[.+_-]?[0-9A-Za-z][\w.-]*)?$/i;
const VERSION_VARIANT = /^v?\d+\.\d+[-_][0-9A-Za-z][\w.-]*$/i;
// A full version after a label (`pg17-0.112.0`, `nginx-1.25.3`) still names one release.
const LABELLED_VERSION = /(?:^|[-_.])v?\d+\.\d+\.\d+(?:[-_.+]|$)/i;
const FLOATING = /^(?:v?\d+(?:\.\d+)?|\d+[-_][a-z][\w.-]*)$/i;

// A hex run counts as a commit when a label says so (`sha-`) or when it mixes letters and
// digits: English words like "decade" or "facade" are hex too, and all-digit runs are build numbers.
function looksLikeCommit(tag: string): boolean {
  const m = COMMIT.exec(tag);
  if (!m) return false;
  const [, label, hex] = m as unknown as [string, string | undefined, string];
  if (label !== undefined && COMMIT_LABELS.has(label)) return true;
  return /\d/.test(hex) && /[a-f]/.test(hex);
}

export function classifyTag(
  tag: string | undefined,
  digest: string | undefined,
  rules: TagRules,
): TagVerdict {
  if (digest) return { class: 'digest', reason: 'pinned by digest: the runtime ignores the tag' };
  if (tag === undefined || tag === '') return { class: 'missing', reason: 'the runtime pulls "latest"' };
  const lower = tag.toLowerCase();
  if (rules.mutableTags.has(lower)) return { class: 'mutable', reason: `"${tag}" is moved on every release` };
  if (rules.extraPatterns.some((re) => re.test(tag))) {
    return { class: 'versioned', reason: 'matches a version pattern of this policy' };
  }
  const { shapes } = rules;
  if (shapes.versionCommit && VERSION_COMMIT.test(lower))
    return { class: 'commit', reason: 'version + commit' };
  if (shapes.commit && looksLikeCommit(lower)) {
    return { class: 'commit', reason: 'git commit' };
  }
  if (shapes.date && DATE.test(tag)) return { class: 'build', reason: 'date stamp' };
  if (shapes.build && BUILD.test(lower)) return { class: 'build', reason: 'build number' };
  if (shapes.semver && SEMVER.test(tag)) return { class: 'versioned', reason: 'version' };
  if (shapes.versionVariant && VERSION_VARIANT.test(tag))
    return { class: 'versioned', reason: 'version + variant' };
  if (shapes.semver && LABELLED_VERSION.test(tag)) return { class: 'versioned', reason: 'labelled version' };
  if (FLOATING.test(tag)) {
    return rules.floatingVersions === 'accept'
      ? { class: 'versioned', reason: 'floating version, accepted by this policy' }
      : { class: 'mutable', reason: `"${tag}" floats: it receives every new patch release` };
  }
  return { class: 'sprawl', reason: `"${tag}" names no version, commit, date or build number` };
}

/** Classes that give a rollback target. */
export function isImmutableClass(c: TagClass): boolean {
  return c === 'versioned' || c === 'commit' || c === 'build' || c === 'digest';
}
