// `kube-hygiene test` (policy cases as data) and `kube-hygiene review` (one review, answered).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handleReview } from '../../src/admission/handle.js';
import { loadPolicyFile } from '../../src/policy/load.js';
import { pod, reviewOf, SPRAWL_IMAGE } from '../fixtures/objects.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));
const cli = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'kh-cases-'));

t.test("the project's own policy cases pass", async (t) => {
  const r = cli(['test', POLICIES]);
  t.equal(r.code, 0, r.stdout);
  t.notMatch(r.stdout, /^FAIL/m);
  t.match(r.stdout, /policy cases: \d+ passed, 0 failed/);
});

t.test('a failing case is named with what differed, and exits 1', async (t) => {
  writeFileSync(
    join(dir, 'wrong.test.yaml'),
    [
      'cases:',
      '  - name: latest is fine (it is not)',
      '    object: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [{ name: a, image: "nginx:latest" }] } }',
      '    expect: { allowed: true, deny: [image-tag] }',
      '  - name: right',
      '    object: { apiVersion: v1, kind: Pod, metadata: { name: p }, spec: { containers: [{ name: a, image: "ghcr.io/a/b:v1.0.0" }] } }',
      '    expect: { allowed: true }',
    ].join('\n'),
  );
  const r = cli(['test', dir]);
  t.equal(r.code, 1);
  t.match(
    r.stdout,
    /FAIL {2}.*wrong\.test\.yaml {2}latest is fine \(it is not\)\n {8}expected allowed, got denied\n {8}expected deny \[image-tag\], got deny \[image-registry, image-tag\]/,
  );
  t.match(r.stdout, /PASS {2}.*wrong\.test\.yaml {2}right/);
  t.match(r.stdout, /1 passed, 1 failed/);
});

t.test('an invalid test file exits 2 with every problem', async (t) => {
  const bad = mkdtempSync(join(tmpdir(), 'kh-bad-cases-'));
  writeFileSync(join(bad, 'bad.test.yaml'), 'cases:\n  - name: x\n    expect: { allowed: maybe }\n');
  const r = cli(['test', bad]);
  t.equal(r.code, 2);
  t.match(r.stdout, /cases\[0\]\.object: is required/);
  t.match(r.stdout, /cases\[0\]\.expect\.allowed: must be boolean/);
  t.equal(cli(['test', mkdtempSync(join(tmpdir(), 'kh-empty-'))]).code, 2, 'no test files is a usage error');
});

t.test('review prints exactly what handleReview answers', async (t) => {
  const review = reviewOf(pod([SPRAWL_IMAGE]));
  const r = cli(['review', '-'], JSON.stringify(review));
  t.equal(r.code, 1, 'denied exits 1');
  const expected = await handleReview(review, 'validate', { policy: loadPolicyFile() });
  t.same(JSON.parse(r.stdout), expected.body);
  const path = join(dir, 'review.json');
  writeFileSync(path, JSON.stringify(reviewOf(pod())));
  t.equal(cli(['review', path]).code, 0, 'allowed exits 0');
  t.equal(cli(['review', '--mode', 'audit', '-'], JSON.stringify(review)).code, 0, 'audit mode allows');
});

t.test('review of a malformed body prints the 400 answer and exits 2', async (t) => {
  const notJson = cli(['review', '-'], '{"apiVersion":');
  t.equal(notJson.code, 2);
  t.match(JSON.parse(notJson.stdout), { error: { code: 'KH_REVIEW_MALFORMED', message: /not JSON/ } });
  const noUid = cli(
    ['review', '-'],
    JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
  );
  t.equal(noUid.code, 2);
  t.match(JSON.parse(noUid.stdout).error.message, /request\.uid: is required/);
  t.equal(cli(['review', '--endpoint', 'other', '-'], '{}').code, 2);
});
