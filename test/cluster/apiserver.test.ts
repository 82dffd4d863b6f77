// The API stand-in is only worth its tests if real clients accept it: kubectl through a
// kubeconfig, and the client library's Watch for the event stream and 410 Gone.
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, Watch } from '@kubernetes/client-node';
import { startApiServer, type ApiServer } from '../harness/apiserver/server.js';
import { writeKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { hpa, kubeConfigFor, namespace, workload } from './fixtures.js';

const run = promisify(execFile);
/** What kubectl printed on stderr when it failed; empty when it succeeded. */
const stderrOf = (call: Promise<unknown>) =>
  call.then(
    () => '',
    (err: { stderr?: string }) => err.stderr ?? String(err),
  );

async function kubectl(api: ApiServer, args: string[]) {
  const config = writeKubeconfig(api);
  const cacheDir = join(config.path, '..', 'cache');
  try {
    return await run('kubectl', ['--kubeconfig', config.path, '--cache-dir', cacheDir, ...args], {
      timeout: 20_000,
    });
  } finally {
    config.remove();
  }
}

t.test('kubectl get works against the stand-in through a kubeconfig', async (t) => {
  const api = await startApiServer();
  t.teardown(() => api.close());
  api.store.put(workload('Deployment', 'homelab', 'whisper'));
  api.store.put(workload('Deployment', 'family', 'family-assistant'));
  api.store.put(hpa('homelab', 'whisper-hpa', { kind: 'Deployment', name: 'whisper' }));
  api.store.put(namespace('homelab', 'audit'));

  const all = await kubectl(api, ['get', 'deployments', '-A']);
  const rows = all.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/).slice(0, 2));
  t.same(
    rows,
    [
      ['NAMESPACE', 'NAME'],
      ['family', 'family-assistant'],
      ['homelab', 'whisper'],
    ],
    'one row per Deployment, every namespace, in etcd order',
  );

  const one = await kubectl(api, ['get', 'hpa', 'whisper-hpa', '-n', 'homelab', '-o', 'json']);
  const object = JSON.parse(one.stdout);
  t.equal(object.apiVersion, 'autoscaling/v2', 'the preferred version');
  t.same(object.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'whisper' });

  const labels = await kubectl(api, ['get', 'ns', '-l', 'kube-hygiene.io/mode=audit', '-o', 'name']);
  t.equal(labels.stdout.trim(), 'namespace/homelab', 'label selectors');

  t.match(
    await stderrOf(kubectl(api, ['get', 'deploy', 'nope', '-n', 'homelab'])),
    /deployments\.apps "nope" not found/,
    'NotFound as kubectl prints it',
  );

  api.faults.forbidden.push(/statefulsets/);
  t.match(
    await stderrOf(kubectl(api, ['get', 'statefulsets', '-A'])),
    /forbidden/i,
    '403 as kubectl prints it',
  );
});

t.test('list carries a resourceVersion that watch resumes from; too old is 410', async (t) => {
  const api = await startApiServer();
  t.teardown(() => api.close());
  api.store.put(workload('Deployment', 'homelab', 'whisper'));
  const kc = kubeConfigFor(api);
  const listed = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'homelab' });
  t.equal(listed.kind, 'DeploymentList');
  t.ok(listed.metadata?.resourceVersion, 'the list says which version it shows');
  t.equal(listed.items.length, 1);

  const events: string[] = [];
  const watch = new Watch(kc);
  const done = new Promise((resolve) => {
    void watch.watch(
      '/apis/apps/v1/deployments',
      { resourceVersion: listed.metadata?.resourceVersion },
      (type, object: { metadata: { name: string } }) => events.push(`${type} ${object.metadata.name}`),
      resolve,
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  api.store.put(workload('Deployment', 'homelab', 'second'));
  api.store.delete('apps/v1', 'Deployment', 'homelab', 'whisper');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(events, ['ADDED second', 'DELETED whisper'], 'only what happened after the list');
  api.dropWatches();
  await done;

  api.store.compact();
  const gone: { type: string; code?: number }[] = [];
  await new Promise((resolve) => {
    void new Watch(kc).watch(
      '/apis/apps/v1/deployments',
      { resourceVersion: listed.metadata?.resourceVersion },
      (type, object: { code?: number }) => gone.push({ type, code: object.code }),
      resolve,
    );
  });
  t.same(gone, [{ type: 'ERROR', code: 410 }], 'one ERROR event with 410, then the stream ends');
});
