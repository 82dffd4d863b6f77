// GET /healthz: the process answers (liveness; never depends on anything else, so a slow
// registry cannot get pods killed). GET /readyz: this instance should get traffic.
import type { FastifyInstance } from 'fastify';
import type { PolicySource } from './policy-store.js';
import type { Readiness } from './readiness.js';
import type { CertificateStore } from './certificate-store.js';
import { VERSION } from '../version.js';

export interface HealthRouteDeps {
  readonly readiness: Readiness;
  readonly policy: PolicySource;
  readonly certificates: Pick<CertificateStore, 'current'>;
}

export function healthRoutes(
  app: FastifyInstance,
  { readiness, policy, certificates }: HealthRouteDeps,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reasons = readiness.reasons();
    const active = policy.current();
    const body = {
      ready: reasons.length === 0,
      ...(reasons.length && { reasons }),
      version: VERSION,
      policy: { hash: active.hash, mode: active.mode, source: policy.source },
      certificate: { notAfter: certificates.current().notAfter.toISOString() },
    };
    return reply.code(reasons.length ? 503 : 200).send(body);
  });
}
