// `audit` with a policy that has exceptions, against the API stand-in seeded with the homelab
// situation: excused findings are warnings naming their exception (audit judges as enforce
// mode would, exceptions included), an expired one denies again, and the exceptions that
// expired or matched nothing in the cluster are warnings on stderr and in -o json.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startApiWithKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { auditSeed } from '../cluster/audit-seed.js';
import { audit } from '../../src/cli/audit.js';

const { kubeconfigPath } = await startApiWithKubeconfig(t, auditSeed());

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const NEXT_YEAR = day(365);
const LAST_WEEK = day(-7);

const policy = join(mkdtempSync(join(tmpdir(), 'kh-audit-exceptions-')), 'policy.yaml');
writeFileSync(
  policy,
  [
    'exceptions:',
    '  - match: { namespaces: [homelab], kinds: [Deployment], names: [family-assistant] }',
    '    rules: [image-tag, image-registry]',
    '    reason: rebuilt with a version tag in HOME-7',
    '    owner: family',
    `    expires: ${NEXT_YEAR}`,
    '  - match: { namespaces: [media] }',
    '    rules: [image-tag]',
    '    reason: migrate job retired next sprint',
    '    owner: media-team',
    `    expires: ${LAST_WEEK}`,
    '  - match: { namespaces: [nowhere] }',
    '    rules: [image-tag]',
    '    reason: left over',
    '    owner: nobody',
    `    expires: ${NEXT_YEAR}`,
    '',
  ].join('\n'),
);

async function run(args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await audit(['--kubeconfig', kubeconfigPath, '--policy', policy, ...args], {
    stdout,
    stderr,
    env: {},
    color: false,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

t.test('excused, expired and unmatched exceptions in the text report', async (t) => {
  const r = await run([]);
  t.equal(r.code, 1, 'whisper-stt and the expired media exception still deny');
  t.match(
    r.stdout,
    `warn [image-tag] not denied (exception #1, owner family, until ${NEXT_YEAR}: rebuilt with a version tag in HOME-7): container "app" image "family-assistant:phase2-mcp-logging-fix"`,
  );
  t.match(
    r.stdout,
    `deny [image-tag] exception #2 (owner media-team) expired on ${LAST_WEEK}: container "app"`,
  );
  t.match(r.stdout, /2 would be denied/);
  t.equal(
    r.stderr,
    [
      `kube-hygiene audit: warning: exception #2 (owner media-team): expired ${LAST_WEEK}; renew it with a later expires date or remove it`,
      'kube-hygiene audit: warning: exception #3 (owner nobody): matched nothing; remove it if it is no longer needed',
      '',
    ].join('\n'),
  );
});

t.test('-n: exceptions for other namespaces are not mentioned', async (t) => {
  const r = await run(['-n', 'homelab']);
  t.equal(r.stderr, '', 'the media and nowhere exceptions are none of this audit');
  const unmatched = await run(['-n', 'media']);
  t.match(unmatched.stderr, /exception #2 \(owner media-team\): expired/);
  t.notMatch(unmatched.stderr, /exception #1|exception #3/);
});

t.test('-o json carries the notices', async (t) => {
  const r = await run(['-o', 'json']);
  const out = JSON.parse(r.stdout) as { exceptions: { exception: number; state: string }[] };
  t.match(out.exceptions, [
    { exception: 2, state: 'expired', expires: LAST_WEEK, owner: 'media-team' },
    { exception: 3, state: 'unmatched' },
  ]);
  t.equal(out.exceptions.length, 2);
});
