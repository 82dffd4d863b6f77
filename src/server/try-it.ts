// What `npm start` prints once it listens: how to send it a review, and the offline commands
// that give the same answer.
import type { Config } from '../config.js';

export function tryItText(
  config: Config,
  ports: { port: number; metricsPort: number },
  caFile?: string,
): string {
  const ca = caFile ? `--cacert ${caFile} ` : '';
  const url = `https://localhost:${ports.port}`;
  return `
kube-hygiene is serving ${url} (POST /validate, /mutate; GET /healthz, /readyz)
metrics: http://${config.host}:${ports.metricsPort}/metrics

Try it:
  curl -s ${ca}-H 'content-type: application/json' --data @examples/reviews/pod-create.json '${url}/validate?timeout=10s'
  npx kube-hygiene review examples/reviews/pod-create.json      # the same answer, offline
  npx kube-hygiene check examples/manifests/                    # judge manifests before applying them

Ctrl-C stops it.
`;
}
