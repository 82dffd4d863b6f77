// The docs a user navigates: every relative link and #anchor in README.md, CONTRIBUTING.md and
// docs/ leads somewhere that exists, and the README stays a short front page. The file list is
// read when the test runs, so a page added later is checked, and a link to it resolves.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../harness/server-process.js';
import { anchors, brokenReason, relativeLinks, slug } from './markdown-links.js';

const README_MAX_LINES = 200;

function markdownFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name));
  return ['README.md', 'CONTRIBUTING.md', ...docs.sort()];
}

t.test('every relative link and anchor resolves', async (t) => {
  const files = markdownFiles();
  let checked = 0;
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const link of relativeLinks(file, text)) {
      checked++;
      const reason = brokenReason(REPO, link, text);
      if (reason) broken.push(`${link.file}:${link.line}: (${link.target}) ${reason}`);
    }
  }
  t.same(broken, [], `${checked} links in ${files.length} files`);
  t.ok(checked > 100, `${checked} links read`);
});

t.test(`README.md is at most ${README_MAX_LINES} lines`, async (t) => {
  const lines = readFileSync(join(REPO, 'README.md'), 'utf8').trimEnd().split('\n').length;
  t.ok(lines <= README_MAX_LINES, `${lines} lines; move reference material into docs/`);
});

t.test('the checker finds what is broken', async (t) => {
  const root = REPO;
  const text = [
    '# Title',
    'See [a page](no-such-page.md), [a heading](README.md#no-such-heading),',
    '[fine](CONTRIBUTING.md), [here](#title), [web](https://example.com/x), `[code](gone.md)`.',
    '```',
    '[in a block](gone-too.md)',
    '```',
    '[outside](../elsewhere.md)',
  ].join('\n');
  const links = relativeLinks('README.md', text);
  t.same(
    links.map((l) => l.target),
    ['no-such-page.md', 'README.md#no-such-heading', 'CONTRIBUTING.md', '#title', '../elsewhere.md'],
    'web links and code are not read as links',
  );
  t.same(
    links.map((l) => brokenReason(root, l, text) !== undefined),
    [true, true, false, false, true],
  );
});

t.test('anchors are GitHub’s', async (t) => {
  t.equal(
    slug('`pod-identity-env`: POD_NAME and POD_NAMESPACE for sidecars'),
    'pod-identity-env-pod_name-and-pod_namespace-for-sidecars',
  );
  t.equal(slug('Monitoring: `deploy/monitoring/`'), 'monitoring-deploymonitoring');
  t.equal(slug('001 — The policy is data'), '001--the-policy-is-data');
  t.same([...anchors('# Usage\n## Usage\n```\n# not a heading\n```\n')], ['usage', 'usage-1']);
});
