// Exceptions in `kube-hygiene test` (a case may name the time it is judged at, so a suite can
// prove what happens on both sides of an expiry) and in `kube-hygiene review`.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const cli = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'kh-exception-cases-'));

const POLICY = [
  'policy:',
  '  exceptions:',
  '    - match: { namespaces: [legacy] }',
  '      rules: [image-tag]',
  '      reason: pinned in OPS-9',
  '      owner: team-a',
  '      expires: 2026-12-31',
];
const OBJECT =
  '    object: { apiVersion: v1, kind: Pod, metadata: { name: p, namespace: legacy }, spec: { containers: [{ name: a, image: "ghcr.io/acme/api:latest", resources: { requests: { cpu: 10m, memory: 16Mi } } }] } }';

t.test('test: cases judged on both sides of the expiry', async (t) => {
  const file = join(dir, 'expiry.test.yaml');
  writeFileSync(
    file,
    [
      ...POLICY,
      'cases:',
      '  - name: the last day is still excused',
      '    now: 2026-12-31T23:59:59Z',
      OBJECT,
      '    expect: { allowed: true, warn: [image-tag], deny: [] }',
      '  - name: the next day is denied',
      '    now: 2027-01-01',
      OBJECT,
      '    expect: { allowed: false, deny: [image-tag] }',
      '  - name: wrongly expects the exception to hold',
      '    now: 2027-01-01',
      OBJECT,
      '    expect: { allowed: true }',
      '',
    ].join('\n'),
  );
  const r = cli(['test', file]);
  t.equal(r.code, 1);
  t.match(r.stdout, /PASS {2}.*expiry\.test\.yaml {2}the last day is still excused/);
  t.match(r.stdout, /PASS {2}.*expiry\.test\.yaml {2}the next day is denied/);
  t.match(r.stdout, /FAIL {2}.*wrongly expects the exception to hold\n {8}expected allowed, got denied/);
});

t.test('test: a time that is not one is an error with its path', async (t) => {
  const file = join(dir, 'bad-now.test.yaml');
  writeFileSync(
    file,
    [
      ...POLICY,
      'cases:',
      '  - name: x',
      '    now: next tuesday',
      OBJECT,
      '    expect: { allowed: true }',
      '',
    ].join('\n'),
  );
  const r = cli(['test', file]);
  t.equal(r.code, 2);
  t.match(r.stdout, /cases\[0\]\.now: must be YYYY-MM-DD \(its start, UTC\) or an RFC 3339 time/);
});

t.test('review: the answer names the exception', async (t) => {
  const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    [
      'exceptions:',
      '  - match: { namespaces: [home] }',
      '    rules: [image-tag, image-registry]',
      '    reason: built on the node until the registry is up',
      '    owner: team-a',
      `    expires: ${nextYear}`,
      '',
    ].join('\n'),
  );
  const review = fileURLToPath(new URL('../../examples/reviews/pod-create.json', import.meta.url));
  const r = cli(['review', '--policy', policy, review]);
  t.equal(r.code, 0, r.stderr);
  const { response } = JSON.parse(r.stdout) as { response: { allowed: boolean; warnings: string[] } };
  t.equal(response.allowed, true);
  t.equal(response.warnings.length, 2);
  for (const w of response.warnings)
    t.match(
      w,
      `not denied (exception #1, owner team-a, until ${nextYear}: built on the node until the registry is up)`,
    );
});
