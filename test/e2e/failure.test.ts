// Scenario 8 against the real API server: what a cluster gets when kube-hygiene is down or too
// slow. The enforce install fails closed (failurePolicy Fail: the API server refuses the write and
// names our webhook); the audit install fails open (Ignore: the write goes through). "Too slow"
// is the real process stopped with SIGSTOP, so the API server's own timeoutSeconds decides.
import t from 'tap';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene, type KubeHygiene } from '../harness/control-plane/kube-hygiene.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const plane = await startControlPlane();
t.teardown(() => plane.stop());
await plane.kubectl(['create', 'namespace', 'shop']);

let n = 0;
/** A clean Deployment every rule passes: only the webhook's availability decides. */
const cleanDeployment = () =>
  plane.kubectl(['create', 'deployment', `web-${++n}`, '-n', 'shop', '--image=ghcr.io/acme/web:v1.4.2']);

async function frozen<T>(hygiene: KubeHygiene, during: () => Promise<T>): Promise<T> {
  const pid = hygiene.process.child.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

t.test(
  'enforce install: down or slower than timeoutSeconds, the API server refuses and names our webhook',
  async (t) => {
    const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
    t.teardown(() => hygiene.stop());
    const validating = hygiene.webhooks.find((w) => w.kind === 'ValidatingWebhookConfiguration')!;
    const timeoutSeconds = (validating.webhooks as { timeoutSeconds: number }[])[0]!.timeoutSeconds;
    t.equal((await cleanDeployment()).code, 0, 'up: the clean Deployment is admitted');

    const started = Date.now();
    const slow = await frozen(hygiene, cleanDeployment);
    const waited = Date.now() - started;
    t.not(slow.code, 0, 'too slow: refused');
    t.match(slow.stderr, /failed calling webhook "validate\.kube-hygiene\.io"/);
    t.match(slow.stderr, /context deadline exceeded|timeout|Client\.Timeout/i);
    t.ok(waited >= timeoutSeconds * 1000 - 500, `the API server waited its timeoutSeconds (${waited} ms)`);

    await hygiene.stop();
    const down = await cleanDeployment();
    t.not(down.code, 0, 'down: refused');
    t.match(down.stderr, /failed calling webhook "validate\.kube-hygiene\.io".*connection refused/s);
  },
);

t.test('audit install: down or slower than timeoutSeconds, the write goes through', async (t) => {
  const hygiene = await startKubeHygiene(plane, {
    overlay: 'audit',
    policy: OFFLINE_POLICY.replace('mode: enforce', 'mode: audit'),
  });
  t.teardown(() => hygiene.stop());
  const slow = await frozen(hygiene, cleanDeployment);
  t.equal(slow.code, 0, `too slow: admitted (${slow.stderr})`);
  await hygiene.stop();
  const down = await cleanDeployment();
  t.equal(down.code, 0, `down: admitted (${down.stderr})`);
});
