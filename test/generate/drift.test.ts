// Every generated file is what `npm run generate` would write today: the default policy and its
// copies, the JSON Schema, and the tables between GENERATED markers in README.md and docs/.
// A stale one fails naming the command; the generator refuses what it cannot document.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATE_COMMAND, REPO_ROOT, generatedFiles } from '../../src/generate/outputs.js';
import { RULES } from '../../src/rules/index.js';
import { defineRule, type Rule } from '../../src/rules/rule.js';
import { actionSetting } from '../../src/rules/settings.js';

const readOrNone = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

t.test('every generated file is up to date', async (t) => {
  const files = await generatedFiles();
  for (const required of [
    'policies/default.yaml',
    'policies/schema.json',
    'deploy/base/policy.yaml',
    'deploy/components/audit/policy.yaml',
    'charts/kube-hygiene/files/policy.yaml',
    'docs/rules.md',
  ])
    t.ok(files.has(required), `${required} is generated`);
  for (const [path, text] of files)
    t.ok(
      readOrNone(join(REPO_ROOT, path)) === text,
      `${path} is up to date (when stale: run \`${GENERATE_COMMAND}\`)`,
    );
});

/** A repository of one page, for the generator to fill in. */
function pageRepo(text: string): string {
  const root = mkdtempSync(join(tmpdir(), 'kh-generate-'));
  mkdirSync(join(root, 'docs', 'guide'), { recursive: true });
  writeFileSync(join(root, 'docs', 'guide', 'page.md'), text);
  return root;
}

t.test('tables fill their markers in any page under docs/, and prose around them stays', async (t) => {
  const root = pageRepo(
    'Intro.\n\n<!-- BEGIN GENERATED: rules -->\nold table\n<!-- END GENERATED: rules -->\n\nAfter.\n',
  );
  const page = (await generatedFiles(root)).get('docs/guide/page.md');
  t.ok(page, 'the page is generated');
  t.match(page, /^Intro\.\n\n<!-- BEGIN GENERATED: rules -->\n\n\| id +\| what it catches/);
  t.match(page, /\n\n<!-- END GENERATED: rules -->\n\nAfter\.\n$/);
  t.notMatch(page, /old table/);
  for (const rule of RULES) t.match(page, `| \`${rule.id}\``, `${rule.id} has its row`);
  t.notOk(
    (await generatedFiles(pageRepo('No markers.\n'))).has('docs/guide/page.md'),
    'pages without markers are left alone',
  );
});

t.test('a marker naming no table, or without its END, is refused with the page named', async (t) => {
  await t.rejects(
    generatedFiles(pageRepo('<!-- BEGIN GENERATED: rule -->\n<!-- END GENERATED: rule -->\n')),
    /docs\/guide\/page\.md: no generated table is called "rule" \(known: rules, settings\)/,
  );
  await t.rejects(
    generatedFiles(pageRepo('<!-- BEGIN GENERATED: settings -->\n')),
    /docs\/guide\/page\.md: <!-- BEGIN GENERATED: settings --> has no matching END marker/,
  );
});

t.test('a setting without documentation is refused, naming it', async (t) => {
  const undocumented: Rule = defineRule({
    id: 'image-tag',
    settings: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { action: actionSetting('warn') },
    },
    docs: { catches: 'x', policy: ['x'], settings: {} },
    configure: () => undefined,
    evaluate: () => [],
  });
  const rules = RULES.map((rule) => (rule.id === 'image-tag' ? undocumented : rule));
  await t.rejects(generatedFiles(REPO_ROOT, rules), /rules\.image-tag\.action has no documentation/);
});
