// Certificate rotation (kubelet's symlink swap) and policy reload, while requests keep flowing:
// good files are taken without a restart, broken ones are refused and the old ones keep serving.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { eventually } from '../harness/eventually.js';
import { fingerprintOf, startTestServer } from '../harness/server.js';
import { join } from 'node:path';
import { KubeletVolume, servedFingerprint, tempDir, testPki } from '../harness/tls.js';
import { generateCa } from '../../src/certs/generate.js';

interface Readyz {
  ready: boolean;
  warnings?: string[];
  policy: { hash: string; refused?: Record<string, unknown> };
  certificate: { notAfter: string; refused?: Record<string, unknown> };
}
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

const podCreate = readFileSync(new URL('../../examples/reviews/pod-create.json', import.meta.url), 'utf8');

/** Sends reviews on new TLS connections until stopped; counts answers and failures. */
function steadyLoad(post: () => Promise<{ status: number }>) {
  const tally = { ok: 0, failed: [] as string[] };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await post();
        if (res.status === 200) tally.ok++;
        else tally.failed.push(`HTTP ${res.status}`);
      } catch (err) {
        tally.failed.push((err as Error).message);
      }
    }
  })();
  return {
    tally,
    stop: async () => {
      running = false;
      await loop;
      return tally;
    },
  };
}

t.test('a rotated certificate is served without a restart, while requests flow', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const before = await servedFingerprint(server.port, server.ca);
  const load = steadyLoad(() => server.post('/validate', podCreate));
  await eventually(() => load.tally.ok >= 5, 5000, 'load to start');

  const next = testPki().issue({ validityDays: 30 });
  server.certificates.swap({ 'tls.crt': next.certPem, 'tls.key': next.keyPem });
  await eventually(
    async () => (await servedFingerprint(server.port, server.ca)) === fingerprintOf(next.certPem),
    5000,
    'the new certificate',
  );
  t.not(before, fingerprintOf(next.certPem));
  const afterSwap = load.tally.ok;
  await eventually(() => load.tally.ok >= afterSwap + 5, 5000, 'requests on the new certificate');

  // A swap that leaves a key from another pair: refused, the last good one keeps serving.
  const other = testPki().issue();
  server.certificates.swap({ 'tls.crt': other.certPem, 'tls.key': next.keyPem });
  await eventually(
    () => server.logs.some((l) => l.msg.startsWith('new serving certificate refused')),
    5000,
    'the refusal',
  );
  // Garbage in the certificate file: refused too.
  server.certificates.swap({ 'tls.crt': 'not a certificate', 'tls.key': next.keyPem });
  await eventually(
    () => server.logs.filter((l) => l.msg.startsWith('new serving certificate refused')).length >= 2,
    5000,
    'the second refusal',
  );
  const tally = await load.stop();

  t.same(tally.failed, [], `no request failed (${tally.ok} answered)`);
  t.equal(
    await servedFingerprint(server.port, server.ca),
    fingerprintOf(next.certPem),
    'the last good certificate still serves',
  );
  const refusals = server.logs.filter((l) => l.msg.startsWith('new serving certificate refused'));
  t.match(refusals[0], { level: 'error', reason: /does not belong to the certificate/ });
  t.match(refusals[1], { level: 'error', reason: /is not a PEM certificate/ });

  // /readyz and the gauge say so, not only the log: ready, serving the last good pair.
  const readyz = (await server.get('/readyz')).json<Readyz>();
  t.equal(readyz.ready, true, 'still ready: the previous pair serves');
  t.match(readyz.certificate.refused, {
    file: `${server.certificates.path('tls.crt')}, ${server.certificates.path('tls.key')}`,
    at: ISO_TIME,
    reason: /is not a PEM certificate/,
  });
  t.match(readyz.warnings, [
    new RegExp(
      `^serving the certificate valid until \\S+; refused \\S+tls\\.crt, \\S+tls\\.key at ${ISO_TIME.source}: .*is not a PEM certificate`,
    ),
  ]);
  t.match(await server.metrics(), /^kube_hygiene_certificate_reload_failed 1$/m);
  const good = testPki().issue({ validityDays: 30 });
  server.certificates.swap({ 'tls.crt': good.certPem, 'tls.key': good.keyPem });
  await eventually(
    async () => (await server.get('/readyz')).json<Readyz>().certificate.refused === undefined,
    5000,
    'a good pair clears it',
  );
  t.match(await server.metrics(), /^kube_hygiene_certificate_reload_failed 0$/m);
  t.ok(
    server.logs.some(
      (l) => l.msg.includes('serving certificate reloaded') && [29, 30].includes(l.daysLeft as number),
    ),
    'the reload logs the new expiry',
  );
  const metrics = await server.metrics();
  t.match(metrics, /kube_hygiene_certificate_reloads_total\{result="ok"\} 2\n/, 'the rotation and the fix');
  t.match(metrics, /kube_hygiene_certificate_reloads_total\{result="refused"\} 2\n/);
  const expiry = Number(/^kube_hygiene_certificate_expiry_seconds (\S+)$/m.exec(metrics)?.[1]);
  t.ok(
    expiry > 29 * 86400 && expiry <= 30 * 86400 + 600,
    `the expiry metric follows the new certificate (${expiry} s)`,
  );
});

const ENFORCE = 'apiVersion: kube-hygiene.io/v1\nkind: Policy\nmode: enforce\n';
const AUDIT = 'apiVersion: kube-hygiene.io/v1\nkind: Policy\nmode: audit\n';
const BROKEN =
  'apiVersion: kube-hygiene.io/v1\nkind: Policy\nmode: sometimes\nrules:\n  image-tag:\n    action: maybe\n';

t.test('the policy file is reloaded on change; a broken one is refused with every error', async (t) => {
  const server = await startTestServer({ policy: ENFORCE });
  t.teardown(() => server.stop());
  const file = server.policyFile!;
  const hash = async () => (await server.get('/readyz')).json<{ policy: { hash: string } }>().policy.hash;
  const allowed = async () =>
    (await server.post('/validate', podCreate)).json<{ response: { allowed: boolean } }>().response.allowed;
  const first = await hash();
  t.equal(await allowed(), false, 'enforce denies');

  const load = steadyLoad(() => server.post('/validate', podCreate));
  writeFileSync(file, AUDIT);
  await eventually(async () => (await hash()) !== first, 5000, 'the audit policy');
  const second = await hash();
  t.equal(await allowed(), true, 'the reloaded audit policy lets it through');
  t.ok(server.logs.some((l) => l.msg === 'policy reloaded' && l.hash === second && l.previous === first));

  writeFileSync(file, BROKEN);
  await eventually(
    () => server.logs.some((l) => l.msg.startsWith('new policy refused')),
    5000,
    'the refusal',
  );
  const refusal = server.logs.find((l) => l.msg.startsWith('new policy refused'))!;
  t.equal(refusal.level, 'error');
  t.equal((refusal.errors as string[]).length, 2, 'every mistake is logged');
  t.match(refusal.errors, [/mode/, /image-tag/]);
  t.match(refusal.msg, new RegExp(`policy ${second} keeps serving`));
  t.equal(await hash(), second, 'the last good policy is still active');
  t.equal(await allowed(), true, 'and still decides');
  const readyz = (await server.get('/readyz')).json<Readyz>();
  t.equal(readyz.ready, true, 'still ready: the last good policy serves');
  t.match(readyz.policy.refused, {
    file,
    at: ISO_TIME,
    reason: /has 2 error/,
    errors: [/mode/, /image-tag/],
  });
  t.match(readyz.warnings, [
    new RegExp(
      `^serving policy ${second}; refused ${file} at ${ISO_TIME.source}: .*\\(.*mode.*; .*image-tag`,
    ),
  ]);
  t.match(await server.metrics(), /^kube_hygiene_policy_reload_failed 1$/m);
  const tally = await load.stop();
  t.same(tally.failed, [], `no request failed during the reloads (${tally.ok} answered)`);

  const metrics = await server.metrics();
  t.match(metrics, new RegExp(`kube_hygiene_policy_info\\{hash="${second}"\\} 1`));
  t.notMatch(
    metrics,
    new RegExp(`kube_hygiene_policy_info\\{hash="${first}"\\}`),
    'only the active policy is shown',
  );
  t.match(metrics, /kube_hygiene_policy_reloads_total\{result="ok"\} 1\n/);
  t.match(metrics, /kube_hygiene_policy_reloads_total\{result="refused"\} 1\n/);

  writeFileSync(file, ENFORCE);
  await eventually(async () => (await hash()) === first, 5000, 'the fixed policy');
  t.equal(await allowed(), false, 'a fixed file is taken again');
  const fixed = (await server.get('/readyz')).json<Readyz>();
  t.equal(fixed.policy.refused, undefined, 'and /readyz no longer names a refused file');
  t.equal(fixed.warnings, undefined);
  t.match(await server.metrics(), /^kube_hygiene_policy_reload_failed 0$/m);
  t.equal(readFileSync(file, 'utf8'), ENFORCE);
});

t.test('a policy mounted from a ConfigMap is reloaded when kubelet swaps ..data', async (t) => {
  const volume = new KubeletVolume(join(tempDir(), 'policy'), { 'policy.yaml': ENFORCE });
  const server = await startTestServer({ args: ['--policy', volume.path('policy.yaml')] });
  t.teardown(() => server.stop());
  const mode = async () => (await server.get('/readyz')).json<{ policy: { mode: string } }>().policy.mode;
  t.equal(await mode(), 'enforce');
  volume.swap({ 'policy.yaml': AUDIT });
  await eventually(async () => (await mode()) === 'audit', 5000, 'the swapped policy');
  volume.swap({ 'policy.yaml': BROKEN });
  await eventually(
    () => server.logs.some((l) => l.msg.startsWith('new policy refused')),
    5000,
    'the refusal',
  );
  t.equal(await mode(), 'audit', 'the last good policy keeps serving');
});

t.test('a client that does not trust the certificate is counted as a failed handshake', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const failures = async () =>
    Number(/kube_hygiene_tls_handshake_failures_total (\d+)/.exec(await server.metrics())?.[1]);
  t.equal(await failures(), 0);
  await servedFingerprint(server.port, server.ca);
  t.equal(await failures(), 0, 'a trusting client completes its handshake');
  const stranger = generateCa({ commonName: 'another CA', keyType: 'ecdsa-p256' });
  await t.rejects(servedFingerprint(server.port, stranger.certPem), /self.signed|unable to verify|unknown/i);
  await eventually(async () => (await failures()) === 1, 5000, 'the count');
});
