// `fix --dry-run` prints diffs users apply with patch or git apply: every diff, applied by the
// real `patch`, must turn the old text into the new one exactly, and `diff -u` and ours agree on
// what changed.
import t from 'tap';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unifiedDiff } from '../../src/cli/unified-diff.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const dir = mkdtempSync(join(tmpdir(), 'kh-diff-'));

function applyWithPatch(before: string, diff: string): string {
  const file = join(dir, 'm.yaml');
  writeFileSync(file, before);
  const r = spawnSync('patch', ['--batch', '--silent', '-p1', '-d', dir], { input: diff, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`patch refused the diff (${r.stdout}${r.stderr}):\n${diff}`);
  return readFileSync(file, 'utf8');
}

const lines = fc.array(fc.constantFrom('a', 'b', 'c', '  image: x', '# note', ''), { maxLength: 40 });
const text = fc
  .tuple(lines, fc.boolean())
  .map(([ls, newline]) => (ls.length ? ls.join('\n') + (newline ? '\n' : '') : ''));

t.test('patch applies every diff and gets the new text', async (t) => {
  fc.assert(
    fc.property(text, text, (before, after) => {
      const diff = unifiedDiff('m.yaml', before, after);
      if (before === after) return diff === '';
      return applyWithPatch(before, diff) === after;
    }),
    { numRuns: RUNS, seed: 18 },
  );
  t.pass(`${RUNS} pairs of texts`);
});

t.test('one changed line is one hunk with three lines of context, as diff -u writes it', async (t) => {
  const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
  const after = before.replace('line 10\n', 'line ten\n').replace('line 19\n', 'line nineteen\n');
  const ours = unifiedDiff('m.yaml', before, after);
  writeFileSync(join(dir, 'before'), before);
  writeFileSync(join(dir, 'after'), after);
  let theirs = '';
  try {
    execFileSync('diff', ['-u', join(dir, 'before'), join(dir, 'after')], { encoding: 'utf8' });
  } catch (err) {
    theirs = (err as { stdout: string }).stdout;
  }
  const hunks = (d: string) => d.split('\n').filter((l) => !l.startsWith('---') && !l.startsWith('+++'));
  t.same(hunks(ours), hunks(theirs));
  t.match(ours, /^--- a\/m\.yaml\n\+\+\+ b\/m\.yaml\n@@ -7,7 \+7,7 @@\n/);
});

t.test('past the edit limit the changed middle is one block, and patch still applies it', async (t) => {
  const before = Array.from({ length: 2_100 }, (_, i) => `old ${i}`).join('\n') + '\n';
  const after = `kept\n${Array.from({ length: 2_100 }, (_, i) => `new ${i}`).join('\n')}\nkept\n`;
  const diff = unifiedDiff('m.yaml', `kept\n${before}kept\n`, after);
  t.match(diff, /^--- a\/m\.yaml\n\+\+\+ b\/m\.yaml\n@@ -1,2102 \+1,2102 @@\n kept\n-old 0\n/);
  t.equal(applyWithPatch(`kept\n${before}kept\n`, diff), after);
});
