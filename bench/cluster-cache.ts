// npm run bench:cluster — what the cluster view's cache costs per object, against keeping the
// objects as the client returns them. Both are measured in this run, in one process, after a
// forced GC, with the same Deployments served by the API stand-in. The ratio must stay under 0.25.
import { AppsV1Api } from '@kubernetes/client-node';
import { startApiServer } from '../test/harness/apiserver/server.js';
import { kubeConfigFor, workload } from '../test/cluster/fixtures.js';
import { ClusterView } from '../src/cluster/view.js';

const COUNT = Number(process.env.BENCH_OBJECTS ?? 50_000);
const LIMIT = 0.25;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:cluster does)');

function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const api = await startApiServer();
for (let i = 0; i < COUNT; i++) api.store.put(workload('Deployment', `team-${i % 200}`, `app-${i}`));
const kc = kubeConfigFor(api);

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

await settle();
let before = heap();
const view = new ClusterView(kc, { deadlineMs: 60_000 });
if (!(await view.waitForSync(300_000))) throw new Error('the view did not sync');
await settle();
const viewBytes = heap() - before;

before = heap();
const full = await kc.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces();
await settle();
const fullBytes = heap() - before;
const listed = full.items.length;
await view.stop();
await api.close();

const perObject = (bytes: number) => `${Math.round(bytes / COUNT)} B/object`;
const ratio = viewBytes / fullBytes;
console.log(`${COUNT} Deployments (plus empty HPA, StatefulSet, ReplicaSet and Namespace caches)`);
console.log(`  full objects as listed: ${(fullBytes / 2 ** 20).toFixed(1)} MiB, ${perObject(fullBytes)}`);
console.log(`  cluster view cache:     ${(viewBytes / 2 ** 20).toFixed(1)} MiB, ${perObject(viewBytes)}`);
console.log(`  ratio ${ratio.toFixed(3)} (limit ${LIMIT}); ${listed} objects listed`);
process.exitCode = ratio < LIMIT ? 0 : 1;
