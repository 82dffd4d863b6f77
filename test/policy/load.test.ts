// Policy files as operators write them: every mistake reported with its path and line.
import t from 'tap';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_POLICY_PATH, loadPolicyFile, parsePolicy, policyFromValue } from '../../src/policy/load.js';
import { policySchemaDocument } from '../../src/policy/schema-document.js';
import { HygieneError } from '../../src/errors.js';

function policyError(fn: () => unknown): HygieneError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HygieneError) return err;
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

t.test('an empty file is the default policy, and default.yaml spells out every default', async (t) => {
  const fromEmpty = parsePolicy('', 'empty.yaml');
  const fromDefault = loadPolicyFile();
  t.same(fromDefault.policy, fromEmpty.policy, 'default.yaml = schema defaults: they cannot drift apart');
  t.equal(fromDefault.hash, fromEmpty.hash);
  t.equal(fromDefault.mode, 'enforce');
  t.same([...fromDefault.exemptNamespaces].sort(), ['kube-node-lease', 'kube-public', 'kube-system']);
});

t.test('policies/schema.json is the schema the server uses', async (t) => {
  const onDisk = readFileSync(new URL('../../policies/schema.json', import.meta.url), 'utf8');
  t.equal(
    onDisk,
    policySchemaDocument(),
    'run `npm run generate` after changing src/policy/schema.ts or a rule’s settings',
  );
});

t.test('every key of the schema is commented in default.yaml', async (t) => {
  const text = readFileSync(DEFAULT_POLICY_PATH, 'utf8');
  const keys = (value: unknown, prefix = ''): string[] =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => [prefix + k, ...keys(v, `${prefix}${k}.`)])
      : [];
  for (const key of keys(parse(text))) {
    const leaf = key.split('.').at(-1)!;
    t.match(text, new RegExp(`^\\s*${leaf.replace(/[-.]/g, '\\$&')}:`, 'm'), `${key} is in default.yaml`);
  }
});

t.test('five mistakes get five messages, each with file:line:col and a dotted path', async (t) => {
  const text = [
    'mode: strict',
    'exemptNamespaces: kube-system',
    'rules:',
    '  image-tag:',
    '    action: block',
    '    mutableTags: [latest, stable, 3]',
    '  image-tags:',
    '    action: deny',
    '  image-registry:',
    '    extraVersionPatterns: ["("]',
    '',
  ].join('\n');
  const err = policyError(() => parsePolicy(text, 'team.yaml'));
  t.equal(err.code, 'KH_POLICY_INVALID');
  t.same(err.details, [
    'team.yaml:1:7: mode: must be one of enforce, audit',
    'team.yaml:2:19: exemptNamespaces: must be array',
    'team.yaml:7:3: rules.image-tags: unknown key "image-tags"',
    'team.yaml:10:5: rules.image-registry.extraVersionPatterns: unknown key "extraVersionPatterns"',
    'team.yaml:5:13: rules.image-tag.action: must be one of deny, warn, off',
    'team.yaml:6:35: rules.image-tag.mutableTags[2]: must be string',
  ]);
});

t.test('an invalid regular expression is named', async (t) => {
  const err = policyError(() =>
    parsePolicy('rules:\n  image-tag:\n    extraVersionPatterns: ["ok-\\\\d+", "("]\n', 'p.yaml'),
  );
  t.same(err.details, ['p.yaml:3:39: rules.image-tag.extraVersionPatterns[1]: must be a valid regex']);
});

t.test('a wildcard in allowedRegistries is refused with what to write instead', async (t) => {
  // A glob here would never match anything: every image would be denied as not allowed.
  const err = policyError(() =>
    parsePolicy('rules:\n  image-registry:\n    allowedRegistries: [ghcr.io/acme/*]\n', 'p.yaml'),
  );
  t.equal(err.details?.length, 1);
  t.match(
    err.details?.[0],
    /^p\.yaml:3:25: rules\.image-registry\.allowedRegistries\[0\]: must be .*without wildcards/,
  );
  t.match(err.details?.[0], /ghcr\.io\/acme admits ghcr\.io\/acme\/api/);
  t.doesNotThrow(() =>
    parsePolicy(
      'rules:\n  image-registry:\n    allowedRegistries: [ghcr.io/acme, "10.0.0.5:30500"]\n',
      'p.yaml',
    ),
  );
});

t.test('YAML errors and duplicate keys are refused with their position', async (t) => {
  const dup = policyError(() => parsePolicy('mode: audit\nmode: enforce\n', 'dup.yaml'));
  t.equal(dup.code, 'KH_POLICY_INVALID');
  t.match(dup.details[0], /^dup\.yaml:2:1: /);
  const broken = policyError(() => parsePolicy('rules: [\n', 'broken.yaml'));
  t.match(broken.details[0], /^broken\.yaml:\d+:\d+: /);
});

t.test('an unreadable file says so', async (t) => {
  const err = policyError(() => loadPolicyFile('/nonexistent/policy.yaml'));
  t.equal(err.code, 'KH_POLICY_UNREADABLE');
  t.match(err.message, /cannot read policy \/nonexistent\/policy\.yaml/);
});

t.test('a policy file only needs the keys it changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kh-policy-'));
  const file = join(dir, 'audit.yaml');
  writeFileSync(file, 'mode: audit\nrules:\n  image-pull-policy:\n    action: deny\n');
  const p = loadPolicyFile(file);
  t.equal(p.mode, 'audit');
  t.equal(p.policy.rules['image-pull-policy'].action, 'deny');
  t.equal(p.policy.rules['image-tag'].action, 'deny', 'untouched rules keep their defaults');
  t.ok(p.policy.rules['image-tag'].mutableTags.includes('latest'));
});

t.test('rules set to off are not run; inline policies validate the same way', async (t) => {
  const p = policyFromValue({ rules: { 'image-tag': { action: 'off' } } }, 'inline');
  t.notOk(p.rules.some((r) => r.rule.id === 'image-tag'));
  const err = policyError(() => policyFromValue({ mode: 'loud' }, 'inline'));
  t.same(err.details, ['inline: mode: must be one of enforce, audit']);
});
