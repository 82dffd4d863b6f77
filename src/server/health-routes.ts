// GET /healthz: the process answers (liveness; never depends on anything else, so a slow
// registry cannot get pods killed). GET /readyz: this instance should get traffic, which policy
// and certificate it serves, and any changed file it refused (it stays ready: the last good one
// serves, and taking every replica out over a typo would stop admission altogether).
import type { FastifyInstance } from 'fastify';
import type { PolicySource } from './policy-store.js';
import type { Readiness } from './readiness.js';
import type { CertificateStore } from './certificate-store.js';
import { describeRefusal } from './refused-reload.js';
import { VERSION } from '../version.js';

export interface HealthRouteDeps {
  readonly readiness: Readiness;
  readonly policy: PolicySource;
  readonly certificates: Pick<CertificateStore, 'current'> & Partial<Pick<CertificateStore, 'refused'>>;
}

export function healthRoutes(
  app: FastifyInstance,
  { readiness, policy, certificates }: HealthRouteDeps,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const reasons = readiness.reasons();
    const active = policy.current();
    const serving = certificates.current();
    const policyRefused = policy.refused?.();
    const certificateRefused = certificates.refused?.();
    const warnings = [
      ...(policyRefused ? [describeRefusal(`policy ${active.hash}`, policyRefused)] : []),
      ...(certificateRefused
        ? [
            describeRefusal(
              `the certificate valid until ${serving.notAfter.toISOString()}`,
              certificateRefused,
            ),
          ]
        : []),
    ];
    const body = {
      ready: reasons.length === 0,
      ...(reasons.length && { reasons }),
      version: VERSION,
      ...(warnings.length && { warnings }),
      policy: {
        hash: active.hash,
        mode: active.mode,
        source: policy.source,
        ...(policyRefused && { refused: policyRefused }),
      },
      certificate: {
        notAfter: serving.notAfter.toISOString(),
        ...(certificateRefused && { refused: certificateRefused }),
      },
    };
    return reply.code(reasons.length ? 503 : 200).send(body);
  });
}
