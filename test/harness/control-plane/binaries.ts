// The control plane's binaries, built from Go modules by test/e2e/control-plane/build.sh into a
// cache folder keyed by their pins. Warm, the script only prints that folder; cold, it builds
// (about 15 minutes on 2 cores), so `.ci/run` and `npm run e2e` run it before the tests do.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../server-process.js';

export interface Binaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubectl: string;
  readonly helm: string;
  /** CustomResourceDefinitions from their projects' modules: PolicyReport, cert-manager, Prometheus operator. */
  readonly crds: string;
}

let built: Binaries | undefined;

export function controlPlaneBinaries(): Binaries {
  if (built) return built;
  const dir = execFileSync(join(REPO, 'test/e2e/control-plane/build.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 3_600_000,
  }).trim();
  built = {
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubectl: join(dir, 'kubectl'),
    helm: join(dir, 'helm'),
    crds: join(dir, '..', 'crds'),
  };
  return built;
}
