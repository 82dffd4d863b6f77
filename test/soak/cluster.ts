// The soak's cluster: an API stand-in seeded with Deployments and the HPAs that scale them, a
// kubeconfig the server is started with, and the restart disturbance (down, then up again on
// the same port) with the proof that it took effect: the cache catches up by itself.
import { startApiServer, type ApiServer } from '../harness/apiserver/server.js';
import { writeKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { hpa, namespace, workload } from '../cluster/fixtures.js';
import { SEEDED_DEPLOYMENTS, SOAK_NAMESPACE } from './calls.js';

export interface SoakCluster {
  readonly api: ApiServer;
  readonly kubeconfigPath: string;
  /**
   * Stops the stand-in for `downMs`, starts it on the same port, creates a Deployment and waits
   * (up to `catchUpMs`) for the server's cache gauge to count it. Returns the event line.
   */
  restart(downMs: number, catchUpMs: number, cacheEntries: () => Promise<number>): Promise<string>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSoakCluster(): Promise<SoakCluster> {
  const api = await startApiServer();
  api.store.put(namespace(SOAK_NAMESPACE));
  for (let i = 0; i < SEEDED_DEPLOYMENTS; i++) {
    api.store.put(workload('Deployment', SOAK_NAMESPACE, `app-${i}`));
    api.store.put(hpa(SOAK_NAMESPACE, `app-${i}-hpa`, { kind: 'Deployment', name: `app-${i}` }));
  }
  const kubeconfig = writeKubeconfig(api);
  let restarts = 0;
  return {
    api,
    kubeconfigPath: kubeconfig.path,
    async restart(downMs, catchUpMs, cacheEntries) {
      const before = await cacheEntries();
      await api.down();
      await sleep(downMs);
      await api.up();
      const upAt = Date.now();
      api.store.put(workload('Deployment', SOAK_NAMESPACE, `after-restart-${++restarts}`));
      let after = before;
      while (after !== before + 1 && Date.now() - upAt < catchUpMs) {
        await sleep(100);
        after = await cacheEntries();
      }
      const took = ((Date.now() - upAt) / 1000).toFixed(1);
      return after === before + 1
        ? `API server restarted on the same port after ${downMs / 1000} s down; the cache caught up (deployments ${before} → ${after}) ${took} s after it came back`
        : `API server restarted, but the cache did NOT catch up within ${catchUpMs / 1000} s (deployments ${before} → ${after})`;
    },
    async stop() {
      await api.close();
      kubeconfig.remove();
    },
  };
}
