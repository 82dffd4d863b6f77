// Renders charts/kube-hygiene with `helm template`, using the helm the end-to-end tests build from
// Go modules (test/e2e/control-plane/build.sh), the way an operator's `helm install` would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { controlPlaneBinaries } from '../harness/control-plane/binaries.js';
import { REPO } from '../harness/server-process.js';
import { tempDir } from '../harness/tls.js';
import type { KubeObject } from './render.js';

export const CHART = join(REPO, 'charts/kube-hygiene');

/**
 * The oldest Kubernetes the chart installs on (Chart.yaml kubeVersion). helm built from its module
 * lacks the release build's default (it would assume 1.20), so every render names one.
 */
export const KUBE_VERSION = '1.30.0';

/** Labels Helm's charts add for Helm's own bookkeeping; deploy/ has no counterpart. */
export const HELM_LABELS = [
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/version',
  'helm.sh/chart',
];

export interface HelmResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let home: string | undefined;

export function helm(args: readonly string[]): HelmResult {
  // No repositories, plugins or caches of the machine's user.
  home ??= tempDir('kube-hygiene-helm-');
  const run = spawnSync(controlPlaneBinaries().helm, args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `helm template kube-hygiene charts/kube-hygiene` with these flags, or the error helm printed. */
export function helmTemplate(flags: readonly string[], namespace = 'kube-hygiene'): HelmResult {
  return helm(['template', 'kube-hygiene', CHART, '-n', namespace, '--kube-version', KUBE_VERSION, ...flags]);
}

export function renderChart(flags: readonly string[], namespace = 'kube-hygiene'): KubeObject[] {
  const run = helmTemplate(flags, namespace);
  if (run.code !== 0) throw new Error(`helm template ${flags.join(' ')} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}
