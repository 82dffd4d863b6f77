// `check` with a policy that has exceptions: the covered finding is a warning naming its
// exception, an expired one denies again and says so, and the exceptions that expired or
// matched nothing are listed on stderr (and in -o json) without failing the run.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kh-exceptions-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Dates relative to today, so the test means the same thing whenever it runs.
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const NEXT_YEAR = day(365);
const LAST_WEEK = day(-7);

const exception = (match: string, owner: string, expires: string) =>
  [
    `  - match: ${match}`,
    '    rules: [image-tag, image-registry]',
    '    reason: legacy build until the rewrite',
    `    owner: ${owner}`,
    `    expires: ${expires}`,
  ].join('\n');

const POLICY = file(
  'policy.yaml',
  [
    'exceptions:',
    exception('{ namespaces: [legacy] }', 'team-a', NEXT_YEAR),
    exception('{ namespaces: [old] }', 'team-b', LAST_WEEK),
    exception('{ namespaces: [nowhere] }', 'team-c', NEXT_YEAR),
    '',
  ].join('\n'),
);

const podIn = (namespace: string) => `apiVersion: v1
kind: Pod
metadata: { name: seeds, namespace: ${namespace} }
spec:
  containers:
    - { name: a, image: "family-assistant:phase2-mcp-logging-fix", resources: { requests: { cpu: 10m, memory: 16Mi } } }
`;

t.test('an active exception excuses, and the expired and unmatched ones are listed on stderr', async (t) => {
  const legacy = file('legacy.yaml', podIn('legacy'));
  const r = cli(['check', '--policy', POLICY, legacy]);
  t.equal(r.code, 0, 'the excused findings do not fail the run');
  t.match(
    r.stdout,
    /warn \[image-tag\] line 6:25 not denied \(exception #1, owner team-a, until \d{4}-\d\d-\d\d: legacy build until the rewrite\): /,
  );
  t.match(r.stdout, /0 denied, 1 warned/);
  t.equal(
    r.stderr,
    [
      `kube-hygiene check: warning: exception #2 (owner team-b): expired ${LAST_WEEK}; renew it with a later expires date or remove it`,
      'kube-hygiene check: warning: exception #3 (owner team-c): matched nothing; remove it if it is no longer needed',
      '',
    ].join('\n'),
  );
});

t.test('after its date an exception denies again and says it expired', async (t) => {
  const old = file('old.yaml', podIn('old'));
  const r = cli(['check', '--policy', POLICY, old]);
  t.equal(r.code, 1);
  t.match(
    r.stdout,
    new RegExp(`deny \\[image-tag\\] line 6:25 exception #2 \\(owner team-b\\) expired on ${LAST_WEEK}: `),
  );
  t.match(r.stderr, /exception #1 \(owner team-a\): matched nothing/, 'nothing in legacy was checked');
  t.match(r.stderr, /exception #2 \(owner team-b\): expired/);
});

t.test('-o json lists the same notices', async (t) => {
  const r = cli([
    'check',
    '-o',
    'json',
    '--policy',
    POLICY,
    file('both.yaml', podIn('legacy') + '---\n' + podIn('old')),
  ]);
  t.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as { exceptions: unknown[]; summary: unknown };
  t.same(out.exceptions, [
    {
      exception: 2,
      owner: 'team-b',
      expires: LAST_WEEK,
      state: 'expired',
      message: `exception #2 (owner team-b): expired ${LAST_WEEK}; renew it with a later expires date or remove it`,
    },
    {
      exception: 3,
      owner: 'team-c',
      expires: NEXT_YEAR,
      state: 'unmatched',
      message: 'exception #3 (owner team-c): matched nothing; remove it if it is no longer needed',
    },
  ]);
  t.match(out.summary, { denied: 1, warned: 1 });
});

t.test('a policy with a broken exception is refused with its position', async (t) => {
  const bad = file(
    'bad.yaml',
    'exceptions:\n  - match: { kinds: [Pod] }\n    rules: [image-tag]\n    reason: x\n    owner: y\n    expires: 2026-02-30\n',
  );
  const r = cli(['check', '--policy', bad, file('p.yaml', podIn('legacy'))]);
  t.equal(r.code, 2);
  t.match(r.stderr, `${bad}:6:14: exceptions[0].expires: must be a date YYYY-MM-DD that the calendar has`);
});
