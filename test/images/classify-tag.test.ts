// Tag classes under the default policy and under policies that switch shapes off, accept
// floating versions or add a team's own patterns. Rules come from real policy YAML, so the
// tests also cover how policy settings reach the classifier.
import t, { type Test } from 'tap';
import {
  classifyTag,
  isImmutableClass,
  type TagClass,
  type TagRules,
} from '../../src/images/classify-tag.js';
import { parsePolicy } from '../../src/policy/load.js';

function tagRules(imageTagSettings = ''): TagRules {
  const text = imageTagSettings ? `rules:\n  image-tag:\n${imageTagSettings.replace(/^/gm, '    ')}\n` : '';
  const configured = parsePolicy(text, 'policy.yaml').rules.find((r) => r.rule.id === 'image-tag');
  if (!configured) throw new Error('image-tag is off in this policy');
  return configured.options as TagRules;
}

const DEFAULTS = tagRules();
const DIGEST = 'sha256:' + '3f9c2a1b'.repeat(8);

function expectClasses(t: Test, rules: TagRules, expected: Record<TagClass, readonly string[]>) {
  for (const [cls, tags] of Object.entries(expected)) {
    for (const tag of tags) t.equal(classifyTag(tag, undefined, rules).class, cls, `${tag} → ${cls}`);
  }
}

// The examples the issue names, then more of the same kind.
const DEFAULT_CLASSES: Record<TagClass, readonly string[]> = {
  missing: [],
  digest: [],
  sprawl: [
    ...[
      'fixed',
      'fixed-final',
      'me-fixed',
      'jwt-auth-fixed',
      'phase2-mcp-logging-fix',
      'working',
      'complete',
    ],
    ...['fixed-v5', 'v2-final', 'v5-fixed', 'final', 'new', 'hotfix', 'hotfix-3', 'try2', 'fix2', 'phase2'],
    ...['pr-42', 'release-2', 'build-12', 'wip', 'bookworm', 'alpine3.19', 'stable-alpine', 'old'],
    // Words made of hex letters only are words, not commits.
    ...['decade', 'facade', 'deadbeef', 'cafe'],
    ...['3f9c2a1-dirty', 'sha-abc', 'release-1.2'],
  ],
  versioned: [
    ...['v1.4.2', '1.2.3-rc.1', '1.25.3-alpine', '15.4-bookworm', '1.2.3', '0.0.1', '1.2.3+build.5'],
    ...['v1.2.3-RC1', 'V1.4.2', 'v1.2.3.4', '1.25.3_alpine', '1.25-alpine3.19', 'V15.4-bookworm'],
    ...['pg17-0.112.0', 'nginx-1.25.3', 'fixed-1.2.3'],
  ],
  commit: [
    ...['3f9c2a1', 'sha-3f9c2a1', 'git-3f9c2a1', 'v1.4.2-3f9c2a1', 'v1.4.2-5-g3f9c2a1', '3F9C2A1'],
    ...['main-3f9c2a1', 'pr-42-3f9c2a1', 'commit-abcdef0', 'g3f9c2a1', 'git-deadbee'],
    ...['3f9c2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b', 'sha256-3f9c2a1b3f9c2a1b'],
  ],
  build: [
    ...['2025.11.17', '20251117-3', 'build-1234', 'dev-1731801234', '2025-11-17', '20251117'],
    ...['2025-11-17T1030', '2025.01.02-rc', 'ci-98765', 'final-1234', '1234', '1731801234'],
  ],
  mutable: [
    ...['latest', 'LATEST', 'Latest', 'stable', 'main', 'master', 'dev', 'develop', 'edge', 'nightly'],
    ...['head', 'current', 'prod', 'production', 'staging', 'test', 'canary', 'beta', 'alpha', 'rc'],
    // Floating versions keep receiving builds.
    ...['1.25', '15', '7.0', 'v2', 'V2', 'v1.4', '3.19', '20-alpine', '15-Alpine'],
  ],
};

t.test('default policy: every class with the issue examples and more', async (t) => {
  expectClasses(t, DEFAULTS, DEFAULT_CLASSES);
});

t.test('no tag is missing; a digest always wins, with any tag or none', async (t) => {
  t.equal(classifyTag(undefined, undefined, DEFAULTS).class, 'missing');
  t.equal(classifyTag('', undefined, DEFAULTS).class, 'missing');
  t.match(classifyTag(undefined, undefined, DEFAULTS).reason, /latest/, 'says what the runtime pulls');
  for (const tag of [undefined, 'latest', 'fixed-final', '1.25', 'v1.4.2']) {
    t.equal(classifyTag(tag, DIGEST, DEFAULTS).class, 'digest', `${tag ?? '(none)'}@sha256 → digest`);
  }
});

t.test('reasons name the tag and what is wrong with it', async (t) => {
  t.match(classifyTag('fixed-final', undefined, DEFAULTS).reason, /"fixed-final" names no version/);
  t.match(classifyTag('1.25', undefined, DEFAULTS).reason, /"1.25" floats/);
  t.match(classifyTag('latest', undefined, DEFAULTS).reason, /"latest" is moved on every release/);
});

t.test('floatingVersions: accept lets floating versions through and nothing else', async (t) => {
  expectClasses(t, tagRules('floatingVersions: accept'), {
    ...DEFAULT_CLASSES,
    versioned: [...DEFAULT_CLASSES.versioned, '1.25', '15', '7.0', 'v2', 'v1.4', '20-alpine'],
    mutable: ['latest', 'LATEST', 'stable', 'main', 'nightly'],
  });
});

t.test('each accepted shape can be switched off', async (t) => {
  const off = (shape: string) => tagRules(`accept:\n  ${shape}: false`);
  const cls = (rules: TagRules, tag: string) => classifyTag(tag, undefined, rules).class;

  const noSemver = off('semver');
  for (const tag of ['v1.4.2', '1.2.3-rc.1', '1.25.3-alpine', 'pg17-0.112.0']) {
    t.equal(cls(noSemver, tag), 'sprawl', `semver off: ${tag}`);
  }
  t.equal(cls(noSemver, '15.4-bookworm'), 'versioned', 'semver off leaves version+variant');

  const noVariant = off('versionVariant');
  t.equal(cls(noVariant, '15.4-bookworm'), 'sprawl', 'versionVariant off: 15.4-bookworm');
  t.equal(cls(noVariant, '1.25.3-alpine'), 'versioned', 'a full version with a variant is still semver');

  const noCommit = off('commit');
  for (const tag of ['3f9c2a1', 'sha-3f9c2a1', 'git-3f9c2a1', 'main-3f9c2a1']) {
    t.equal(cls(noCommit, tag), 'sprawl', `commit off: ${tag}`);
  }
  t.equal(cls(noCommit, 'v1.4.2-3f9c2a1'), 'commit', 'commit off leaves version+commit');

  // A version+commit tag is also a semver pre-release and a labelled commit: all three must go.
  const noVersionCommit = tagRules('accept:\n  versionCommit: false\n  semver: false\n  commit: false');
  t.equal(cls(noVersionCommit, 'v1.4.2-3f9c2a1'), 'sprawl');
  t.equal(cls(off('versionCommit'), 'v1.4.2-3f9c2a1'), 'commit', 'alone, a labelled commit still accepts it');

  const noDate = off('date');
  for (const tag of ['20251117-3', '2025-11-17', '2025-11-17T1030']) {
    t.equal(cls(noDate, tag), 'sprawl', `date off: ${tag}`);
  }
  t.equal(cls(noDate, '20251117'), 'build', 'an all-digit date is still a build number');
  t.equal(cls(noDate, '2025.11.17'), 'versioned', 'a dotted date is a three-part version too');

  const noBuild = off('build');
  for (const tag of ['build-1234', 'dev-1731801234', 'ci-98765']) {
    t.equal(cls(noBuild, tag), 'sprawl', `build off: ${tag}`);
  }
  t.equal(cls(noBuild, '1234'), 'mutable', 'build off: a bare number is a floating major version');
});

t.test('with every shape off only a digest or an extra pattern passes', async (t) => {
  const shapes = ['semver', 'versionVariant', 'commit', 'versionCommit', 'date', 'build'];
  const rules = tagRules(`accept:\n${shapes.map((s) => `  ${s}: false`).join('\n')}`);
  const accepted = [...DEFAULT_CLASSES.versioned, ...DEFAULT_CLASSES.commit, ...DEFAULT_CLASSES.build]
    .map((tag) => classifyTag(tag, undefined, rules))
    .filter((v) => isImmutableClass(v.class));
  // Dotted dates and bare numbers fall back to floating versions, which are mutable by default.
  t.same(accepted, [], 'no tag is accepted');
  t.equal(classifyTag('fixed', DIGEST, rules).class, 'digest');
});

t.test('extraVersionPatterns are whole-tag, case-sensitive, and never override a mutable tag', async (t) => {
  const rules = tagRules("extraVersionPatterns:\n  - 'r\\d+'\n  - 'release-\\d{1,3}'\n  - '.*'");
  t.equal(classifyTag('r42', undefined, rules).class, 'versioned');
  t.equal(classifyTag('release-2', undefined, rules).class, 'versioned');
  t.match(classifyTag('r42', undefined, rules).reason, /pattern of this policy/);
  t.equal(classifyTag('latest', undefined, rules).class, 'mutable', '".*" does not rescue latest');
  const strict = tagRules("extraVersionPatterns: ['r\\d+']");
  t.equal(classifyTag('xr42', undefined, strict).class, 'sprawl', 'anchored at the start');
  t.equal(classifyTag('r42x', undefined, strict).class, 'sprawl', 'anchored at the end');
  t.equal(classifyTag('R42', undefined, strict).class, 'sprawl', 'case-sensitive');
});

t.test('mutableTags replaces the list and matches case-insensitively', async (t) => {
  const rules = tagRules('mutableTags: [Blessed, latest]');
  t.equal(classifyTag('blessed', undefined, rules).class, 'mutable');
  t.equal(classifyTag('BLESSED', undefined, rules).class, 'mutable');
  t.equal(classifyTag('stable', undefined, rules).class, 'sprawl', 'stable is no longer listed: a bare word');
});

t.test('isImmutableClass: only classes that give a rollback target', async (t) => {
  const immutable = ['versioned', 'commit', 'build', 'digest'];
  for (const cls of ['missing', 'mutable', 'sprawl', ...immutable] as TagClass[]) {
    t.equal(isImmutableClass(cls), immutable.includes(cls), cls);
  }
});
