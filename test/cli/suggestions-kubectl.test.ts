// Everything the project tells a user to write survives kubectl's YAML reader: the YAML blocks of
// README.md and docs/, the manifests in examples/ and deploy/, the objects in policy test cases,
// `kube-hygiene.io/…: value` snippets in prose and in what the rules print. Each is read as
// `check` reads a file (kubectl-input.ts), so an unquoted `off` label would fail here.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { check } from '../../src/cli/check.js';
import { describeMisread, markPlainScalars, readAsKubectl } from '../../src/cli/kubectl-input.js';
import { kubectlScalar } from '../../src/cli/kubectl-scalar.js';
import { STRING_FIELDS } from '../../src/cli/string-fields.js';
import { isJsonObject } from '../../src/json.js';
import { REPO } from '../harness/server-process.js';

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => pattern.test(name))
    .map((name) => join(REPO, dir, name))
    .sort();
}

/** Objects with an apiVersion and a kind anywhere in a value: a test case's `object`, a List's items. */
function embeddedObjects(value: unknown, into: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((item) => embeddedObjects(item, into));
  else if (isJsonObject(value)) {
    if (typeof value.apiVersion === 'string' && typeof value.kind === 'string') into.push(value);
    Object.values(value).forEach((item) => embeddedObjects(item, into));
  }
  return into;
}

/** What kubectl would refuse in a YAML text, in every object it holds, however deep. */
function refusals(text: string): string[] {
  const found: string[] = [];
  for (const doc of parseAllDocuments(text, { merge: true })) {
    found.push(...doc.errors.map((e) => e.message.split('\n')[0]!));
    markPlainScalars(doc);
    const marked = doc.toJS({ maxAliasCount: 100 });
    // The document as `check` reads a file, then each object held in another value (a test
    // case's object) as an object of its own.
    for (const root of [marked, ...embeddedObjects(marked)])
      found.push(...readAsKubectl(root).misreads.map(describeMisread));
  }
  return [...new Set(found)];
}

const markdown = [join(REPO, 'README.md'), ...filesUnder('docs', /\.md$/)];

t.test('the YAML blocks of README.md and docs/', async (t) => {
  let blocks = 0;
  for (const file of markdown) {
    for (const [, body] of readFileSync(file, 'utf8').matchAll(/^ *```ya?ml\n([\s\S]*?)^ *```$/gm)) {
      blocks++;
      t.same(refusals(body!), [], `${relative(REPO, file)}: ${body!.split('\n')[0]}`);
    }
  }
  t.ok(blocks >= 3, `${blocks} blocks read`);
});

t.test('examples/, deploy/ and policies/, every object in them included', async (t) => {
  const files = [
    ...filesUnder('examples', /\.ya?ml$/),
    ...filesUnder('deploy', /\.ya?ml$/),
    ...filesUnder('policies', /\.ya?ml$/),
  ];
  t.ok(files.length > 20, `${files.length} files`);
  for (const file of files) t.same(refusals(readFileSync(file, 'utf8')), [], relative(REPO, file));
});

// `kube-hygiene.io/mode: "off"` in prose or a message: the value as kubectl would read it.
const SNIPPET = /kube-hygiene\.io\/[\w-]+: ("[^"]*"|'[^']*'|[^\s`,;)]+)/g;
function unquotedNonStrings(text: string): string[] {
  return [...text.matchAll(SNIPPET)]
    .filter(
      ([, value]) =>
        !/^["']/.test(value!) && value!.split('|').some((v) => typeof kubectlScalar(v) !== 'string'),
    )
    .map(([snippet]) => snippet);
}

t.test('kube-hygiene.io/ labels and annotations written in prose and comments', async (t) => {
  t.same(
    unquotedNonStrings('label it kube-hygiene.io/mode: off'),
    ['kube-hygiene.io/mode: off'],
    'the test bites',
  );
  t.same(unquotedNonStrings('`kube-hygiene.io/mode: enforce|off`'), ['kube-hygiene.io/mode: enforce|off']);
  const files = [...markdown, ...filesUnder('policies', /\.ya?ml$/), ...filesUnder('deploy', /\.ya?ml$/)];
  for (const file of files) t.same(unquotedNonStrings(readFileSync(file, 'utf8')), [], relative(REPO, file));
});

t.test('what the rules print', async (t) => {
  let out = '';
  const io = {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: () => true } as unknown as NodeJS.WritableStream,
    readStdin: () => '',
    color: false,
  };
  await check(['-o', 'json', join(REPO, 'examples/manifests')], io);
  const messages: string[] = JSON.parse(out).results.flatMap((r: { findings: { message: string }[] }) =>
    r.findings.map((f) => f.message),
  );
  const optOut = messages.find((m) => m.includes('to opt out'));
  t.match(optOut, /annotate the pod template kube-hygiene\.io\/pod-identity: "off"$/);
  t.same(messages.flatMap(unquotedNonStrings), []);
  const snippet = optOut!.slice(optOut!.indexOf('kube-hygiene.io/'));
  t.same(refusals(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: { ${snippet} }\n`), []);
});

t.test('docs/kubectl-yaml.md lists every field of the table', async (t) => {
  const doc = readFileSync(join(REPO, 'docs/kubectl-yaml.md'), 'utf8');
  const listed = STRING_FIELDS.map(
    ({ where, fields }) => `- **${where}**: ${fields.map((field) => `\`${field}\``).join(', ')}`,
  ).join('\n');
  t.ok(doc.includes(listed), `docs/kubectl-yaml.md should hold, as it is:\n${listed}`);
});
