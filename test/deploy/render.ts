// Renders deploy/ overlays the way an operator installs them: a copy of deploy/ with certificates
// from certs-scripts/generate in deploy/certs, then `kubectl kustomize` (kustomize v5).
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../harness/server-process.js';
import { tempDir } from '../harness/tls.js';

export const OVERLAYS = ['audit', 'enforce', 'enforce-strict-placement', 'cert-manager'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

/** kubectl with kustomize v5, or an error saying what to install (.ci/run installs it). */
export function kubectlWithKustomize(): string {
  let version: string;
  try {
    version = execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  } catch {
    throw new Error(
      'kubectl is not installed: deploy/ tests render overlays with `kubectl kustomize` (see .ci/run)',
    );
  }
  const kustomize = /Kustomize Version: v(\d+)/.exec(version);
  if (!kustomize || Number(kustomize[1]) < 5)
    throw new Error(`kubectl with kustomize v5 or later is needed (components, labels); found:\n${version}`);
  return 'kubectl';
}

/** A copy of deploy/ with deploy/certs written by the real script. */
export function deployCopy(extraGenerateArgs: string[] = []): string {
  const root = tempDir('kube-hygiene-deploy-');
  cpSync(join(REPO, 'deploy'), join(root, 'deploy'), {
    recursive: true,
    filter: (src) => !src.startsWith(join(REPO, 'deploy/certs')),
  });
  execFileSync(
    join(REPO, 'certs-scripts/generate'),
    ['--out', join(root, 'deploy/certs'), ...extraGenerateArgs],
    {
      encoding: 'utf8',
    },
  );
  return join(root, 'deploy');
}

export function render(deployDir: string, overlay: Overlay | string): KubeObject[] {
  const text = execFileSync(kubectlWithKustomize(), ['kustomize', join(deployDir, 'overlays', overlay)], {
    encoding: 'utf8',
  });
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

export function find(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered overlay`);
  return found;
}
