// When each request arrived, before its body was read, and its `?timeout=`: so when its decision
// is due. The API server's clock starts when it sends the request: reading and parsing the body
// spend the same timeout that judging does. Both are read once, in the first hook, and kept on
// the request (Fastify request decorations: one shape for every request, nothing to collect).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_TIMEOUT_MS, decisionBudget, parseTimeout } from './deadline.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the request's headers were read; NaN until then. */
    arrivedAt: number;
    /** The request's own `?timeout=` in ms, or the API server's default. */
    timeoutMs: number;
  }
}

/** Adds the hook that stamps every request; register it before any hook that reads the stamps. */
export function recordArrivals(app: FastifyInstance): void {
  app.decorateRequest('arrivedAt', Number.NaN);
  app.decorateRequest('timeoutMs', DEFAULT_TIMEOUT_MS);
  app.addHook('onRequest', (req, _reply, done) => {
    req.arrivedAt = performance.now();
    req.timeoutMs =
      parseTimeout((req.query as Record<string, unknown> | undefined)?.timeout) ?? DEFAULT_TIMEOUT_MS;
    done();
  });
}

/** performance.now() by which the decision must be made, the margin for the answer kept. */
export const decisionDue = (req: FastifyRequest): number => req.arrivedAt + decisionBudget(req.timeoutMs);
