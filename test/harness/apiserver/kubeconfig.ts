// A kubeconfig pointing at the stand-in, as a file (for kubectl and KUBECONFIG) or as text.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from './server.js';
import type { StoredObject } from './store.js';

type Endpoint = Pick<ApiServer, 'url' | 'token' | 'caPem'>;

export function kubeconfigText(api: Endpoint, namespace = 'default'): string {
  const ca = Buffer.from(api.caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: stand-in',
    `    cluster: { server: '${api.url}', certificate-authority-data: ${ca} }`,
    'users:',
    '  - name: tester',
    `    user: { token: '${api.token}' }`,
    'contexts:',
    '  - name: stand-in',
    `    context: { cluster: stand-in, user: tester, namespace: ${namespace} }`,
    'current-context: stand-in',
    '',
  ].join('\n');
}

/** Writes the kubeconfig to a fresh temporary directory; `remove()` deletes it. */
export function writeKubeconfig(api: Endpoint): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kube-hygiene-kubeconfig-'));
  const path = join(dir, 'config');
  writeFileSync(path, kubeconfigText(api), { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The stand-in holding `objects`, and a kubeconfig file for it, for a whole test file: both are
 * removed at `t`'s teardown.
 */
export async function startApiWithKubeconfig(
  t: { teardown(fn: () => Promise<void>): void },
  objects: Iterable<StoredObject> = [],
): Promise<{ api: ApiServer; kubeconfigPath: string }> {
  const api = await startApiServer();
  for (const object of objects) api.store.put(object);
  const kubeconfig = writeKubeconfig(api);
  t.teardown(async () => {
    await api.close();
    kubeconfig.remove();
  });
  return { api, kubeconfigPath: kubeconfig.path };
}
