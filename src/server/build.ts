// The admission server as an instance that has not listened yet: TLS (swapped in place when the
// certificate store reloads), routes, limits, error replies. Only src/main.ts listens; tests
// build one and listen on an ephemeral port.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Server } from 'node:https';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import { Decision } from '../metrics/metrics.js';
import { admissionRoutes, type AdmissionRouteDeps } from './admission-routes.js';
import type { CertificateStore } from './certificate-store.js';
import {
  answerClientError,
  DEFAULT_MAX_CONNECTIONS,
  guardConnections,
  REQUEST_TIMEOUT_MS,
  SERVER_TIMEOUTS,
} from './connections.js';
import { healthRoutes } from './health-routes.js';
import type { PolicySource } from './policy-store.js';
import type { Readiness } from './readiness.js';
import { describeRequestError } from './request-errors.js';
import { recordArrivals } from './arrival.js';
import { jsonBodies } from './json-body.js';

// What the API server can send: kube-apiserver refuses write bodies over 3 MiB (its
// MaxRequestBodyBytes, no flag), etcd refuses writes over 1.5 MiB (--max-request-bytes), but
// webhooks run before etcd is asked, and a review re-encodes the object as JSON with defaults
// and managedFields added (a protobuf or YAML body of 3 MiB can come out larger). An UPDATE
// carries object and oldObject: 7 MiB admits both. A lower limit would refuse real reviews
// (the failurePolicy then decides); what a large body costs is bounded instead: it is parsed
// in slices under its deadline (json-body.ts).
// https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request
export const BODY_LIMIT = 7 * 1024 * 1024;
// The API server's Go TLS client speaks 1.2 and 1.3; nothing older is needed by anyone.
export const MIN_TLS_VERSION = 'TLSv1.2';
// The API server's Go client keeps idle connections for 90 s (IdleConnTimeout). A server that
// closes first races it: Go sends on a connection being closed, gets EOF, and the call fails
// (POST is not retried). Idle connections are therefore left for the client to close.
// https://github.com/golang/go/issues/22158
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

export interface ServerDeps {
  readonly certificates: Pick<CertificateStore, 'current' | 'onChange'> &
    Partial<Pick<CertificateStore, 'refused'>>;
  readonly policy: PolicySource;
  readonly readiness: Readiness;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly engine?: AdmissionRouteDeps['engine'];
  readonly registry?: AdmissionRouteDeps['registry'];
  readonly bodyLimit?: number;
  /** Connections open at once (server/connections.ts); one more is closed as it is accepted. */
  readonly maxConnections?: number;
}

export type AdmissionServer = FastifyInstance<Server>;

export function buildServer(deps: ServerDeps): AdmissionServer {
  const { certificates, metrics, logger } = deps;
  const bodyLimit = deps.bodyLimit ?? BODY_LIMIT;
  const { cert, key } = certificates.current();
  const app = Fastify({
    // Handshake and header deadlines; each request's own deadline is server/connections.ts'.
    https: { cert, key, minVersion: MIN_TLS_VERSION, ...SERVER_TIMEOUTS },
    requestTimeout: REQUEST_TIMEOUT_MS,
    // The guard is added below, before any connection can reach this handler.
    clientErrorHandler: answerClientError((socket) => connections.headersTimedOut(socket)),
    // Fastify's own logger would make a child logger per request and log each one; the route
    // writes the one line per decision with the server's logger instead.
    logger: false,
    bodyLimit,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // During shutdown, a request that still arrives on a kept-alive connection is answered
    // rather than refused: the API server would count a 503 as a webhook failure.
    return503OnClosing: false,
    // `__proto__` / `constructor.prototype` keys are legal in a ConfigMap-like object but
    // dangerous to merge: drop them instead of failing the whole admission request.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
  }) as unknown as AdmissionServer;

  certificates.onChange((next) => {
    app.server.setSecureContext({ cert: next.cert, key: next.key, minVersion: MIN_TLS_VERSION });
  });
  // Every request's arrival and timeout, read first: the connection guard and the routes use them.
  recordArrivals(app);
  const connections = guardConnections(app, {
    logger,
    metrics,
    maxConnections: deps.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  });
  // An API server whose caBundle does not trust the certificate aborts the handshake with an
  // alert: counted, so a rotation that goes wrong shows before the failure policy hides it.
  app.server.on('tlsClientError', (err, socket) => {
    metrics.tlsHandshakeFailures.inc();
    logger.debug({ reason: err.message, remote: socket.remoteAddress }, 'TLS handshake failed');
  });
  // Fastify accepts text/plain by default; an AdmissionReview is JSON and nothing else.
  app.removeContentTypeParser('text/plain');
  jsonBodies(app, bodyLimit);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    // A body cut off by its deadline (or the shutdown) is already counted and logged there.
    if (connections.closedHere(req.raw)) return reply.code(408).send();
    const described = describeRequestError(err, bodyLimit, req.headers['content-type']);
    if (described) {
      const webhook = req.url.startsWith('/mutate') ? 'mutate' : 'validate';
      metrics.admissionRequests.inc({ webhook, kind: '', operation: '', decision: Decision.error });
      logger.warn(
        { url: req.url, status: described.statusCode, code: described.body.error.code },
        'request refused',
      );
      return reply.code(described.statusCode).send(described.body);
    }
    logger.error({ err, url: req.url }, 'request failed');
    return reply
      .code(500)
      .send({ error: { code: 'KH_INTERNAL', message: 'internal error; see the server log', details: [] } });
  });

  healthRoutes(app, deps);
  admissionRoutes(app, deps);
  return app;
}
