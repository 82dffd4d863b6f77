// When each request arrived, before its body was read, and so when its decision is due. The
// API server's clock starts when it sends the request: reading and parsing the body spend the
// same `?timeout=` that judging does.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_TIMEOUT_MS, decisionBudget, parseTimeout } from './deadline.js';

const arrivals = new WeakMap<FastifyRequest, number>();

export function recordArrivals(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    arrivals.set(req, performance.now());
    done();
  });
}

/** performance.now() when the request arrived (now, for a request the hook did not see). */
export const arrivedAt = (req: FastifyRequest): number => arrivals.get(req) ?? performance.now();

/** The request's own `?timeout=`, or the API server's default. */
export const timeoutOf = (req: FastifyRequest): number =>
  parseTimeout((req.query as Record<string, unknown> | undefined)?.timeout) ?? DEFAULT_TIMEOUT_MS;

/** performance.now() by which the decision must be made, the margin for the answer kept. */
export const decisionDue = (req: FastifyRequest): number => arrivedAt(req) + decisionBudget(timeoutOf(req));
