// GET /metrics on its own plain-HTTP port, so Prometheus scrapes without a client certificate
// and a scrape never queues behind admission traffic on the TLS port.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/metrics.js';

export function buildMetricsServer(metrics: Metrics): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  return app;
}
