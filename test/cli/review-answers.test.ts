// `kube-hygiene review` answers, byte for byte, for a fixed set of reviews: the examples/ a
// user tries first and one object of every pod-carrying kind with clean, sprawl-tagged and
// sidecar-bearing images, on both endpoints. A change to the engine's design must not change
// what it answers; a change that means to (a new rule's findings, a better message) updates
// the recorded answers on purpose: REVIEW_ANSWERS=write npx tap test/cli/review-answers.test.ts
// and the diff of test/fixtures/review-answers.json is the review.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { GOOD_IMAGE, SPRAWL_IMAGE, WORKLOADS, pod, reviewOf } from '../fixtures/objects.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const ANSWERS = join(import.meta.dirname, '../fixtures/review-answers.json');
const ROOT = join(import.meta.dirname, '../..');

const dir = mkdtempSync(join(tmpdir(), 'review-answers-'));
t.teardown(() => import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true })));

/** name → review file */
const inputs = new Map<string, string>();
const add = (name: string, review: unknown) => {
  const file = join(dir, `${name.replace(/[^\w.-]+/g, '_')}.json`);
  writeFileSync(file, JSON.stringify(review, null, 2));
  inputs.set(name, file);
};

for (const file of readdirSync(join(ROOT, 'examples/reviews')).sort())
  inputs.set(`examples/reviews/${file}`, join(ROOT, 'examples/reviews', file));
for (const file of readdirSync(join(ROOT, 'examples/manifests')).sort()) {
  const text = readFileSync(join(ROOT, 'examples/manifests', file), 'utf8');
  parseAllDocuments(text).forEach((doc, i) => {
    const object = doc.toJS();
    if (object) add(`examples/manifests/${file}#${i}`, reviewOf(object));
  });
}
const SIDECAR = 'docker.io/fluent/fluent-bit:3.1.9';
for (const [kind, { make }] of Object.entries(WORKLOADS)) {
  add(`${kind} clean`, reviewOf(make([GOOD_IMAGE])));
  add(`${kind} sprawl`, reviewOf(make([SPRAWL_IMAGE, 'nginx:latest'])));
  add(`${kind} sidecar`, reviewOf(make([GOOD_IMAGE, SIDECAR])));
}
const before = pod([GOOD_IMAGE, SPRAWL_IMAGE]);
add(
  'Pod update keeps an old sprawl tag',
  reviewOf(pod([GOOD_IMAGE, SPRAWL_IMAGE]), { operation: 'UPDATE', oldObject: before }),
);
add('Pod delete', reviewOf(pod([SPRAWL_IMAGE]), { operation: 'DELETE', oldObject: pod([SPRAWL_IMAGE]) }));
add('Pod dry run', reviewOf(pod([SPRAWL_IMAGE]), { dryRun: true }));

async function answer(file: string, endpoint: string) {
  try {
    const { stdout } = await run(process.execPath, [CLI, 'review', '--endpoint', endpoint, file]);
    return { exit: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { exit: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

// Four CLI processes at a time: each answer is a process start, as a user runs it.
const jobs = [...inputs].flatMap(([name, file]) =>
  ['validate', 'mutate'].map((endpoint) => ({ key: `${name} /${endpoint}`, file, endpoint })),
);
const got: Record<string, { exit: number; stdout: string }> = {};
let next = 0;
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      got[job.key] = await answer(job.file, job.endpoint);
    }
  }),
);

if (process.env.REVIEW_ANSWERS === 'write') {
  const sorted = Object.fromEntries(
    Object.keys(got)
      .sort()
      .map((key) => [key, got[key]]),
  );
  writeFileSync(ANSWERS, JSON.stringify(sorted, null, 2) + '\n');
  t.pass(`wrote ${Object.keys(got).length} answers to ${ANSWERS}`);
} else {
  const recorded = JSON.parse(readFileSync(ANSWERS, 'utf8')) as typeof got;
  t.same(Object.keys(got).sort(), Object.keys(recorded).sort(), 'the same reviews are answered');
  for (const [key, value] of Object.entries(got))
    t.equal(JSON.stringify(value), JSON.stringify(recorded[key]), key);
}
