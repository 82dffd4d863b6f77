// The ceiling for this stack on this machine: a Fastify TLS server that parses the review and
// answers without deciding anything. /validate checks the envelope trivially and allows;
// /mutate returns a fixed JSON patch (the one kube-hygiene answers for the same body, so the
// answers are the same size). Run as `node --import tsx bench/bare-server.ts PORT CERT KEY PATCH`.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [port, cert, key, patchFile] = process.argv.slice(2);
const patch = readFileSync(patchFile!, 'utf8');
const app = Fastify({
  https: { cert: readFileSync(cert!, 'utf8'), key: readFileSync(key!, 'utf8'), minVersion: 'TLSv1.2' },
  bodyLimit: 7 * 1024 * 1024,
});
const answer = (request: { uid: string }, extra: object = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: request.uid, allowed: true, ...extra },
});
app.post('/validate', async (req) => {
  const { request } = req.body as { request: { uid: string } };
  if (typeof request?.uid !== 'string') throw new Error('not an AdmissionReview');
  return answer(request);
});
app.post('/mutate', async (req) => {
  const { request } = req.body as { request: { uid: string } };
  if (typeof request?.uid !== 'string') throw new Error('not an AdmissionReview');
  return answer(request, { patchType: 'JSONPatch', patch });
});
app.get('/readyz', async () => ({ ready: true }));
await app.listen({ port: Number(port), host: '127.0.0.1' });
