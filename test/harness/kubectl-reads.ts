// What a real kubectl makes of unquoted scalars, asked offline: `kubectl label --local -o json`
// turns each document into JSON with sigs.k8s.io/yaml and types only the object's metadata, so a
// ConfigMap's `data.v` comes back as kubectl read it. A value JSON cannot hold (.inf) stops the
// stream at its document: the next call starts after it.
import { spawnSync } from 'node:child_process';

export const REFUSED = 'refused' as const;
export type KubectlReading = unknown;

export function kubectlReads(texts: readonly string[]): Map<string, KubectlReading> {
  const readings = new Map<string, KubectlReading>();
  let start = 0;
  while (start < texts.length) {
    const stream = texts
      .slice(start)
      .map(
        (text, i) =>
          `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s${start + i}}\ndata:\n  "v": ${text}\n`,
      )
      .join('---\n');
    const run = spawnSync('kubectl', ['label', '--local', '-f', '-', 'read=yes', '-o', 'json'], {
      input: stream,
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: '/dev/null' },
    });
    if (run.error) throw new Error(`kubectl is needed to ask it how it reads YAML: ${run.error.message}`);
    // One indented JSON object per document, each closed by a `}` alone on its line.
    const items: { metadata: { name: string }; data?: { v?: unknown } }[] = run.stdout
      .split(/^\}$/m)
      .filter((part) => part.trim())
      .map((part) => JSON.parse(part + '}'));
    for (const item of items) readings.set(texts[Number(item.metadata.name.slice(1))]!, item.data?.v ?? null);
    if (run.status === 0) break;
    if (!/error converting YAML to JSON/.test(run.stderr)) throw new Error(`kubectl failed: ${run.stderr}`);
    const failed = start + items.length;
    readings.set(texts[failed]!, REFUSED);
    start = failed + 1;
  }
  return readings;
}
