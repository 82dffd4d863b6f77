// The admission port's connections, each bounded in what it holds and for how long: no client
// (a body trickled a byte at a time, a socket that never speaks, hundreds of pipelined
// requests) keeps a connection past its request's deadline or holds a shutdown open.
//
// - The TLS handshake within 10 s; a first request within 10 s of connecting; the headers of a
//   later one within 10 s of its first byte (Node's headersTimeout, checked every second).
// - A request in full, body included, within its own `?timeout=` (10 s when absent, at most
//   30 s) from when its headers arrived: the API server has given up on it by then. Else it is
//   answered 408 and the connection closed.
// - One request of a connection at a time: a pipelined request waits its turn unread (Node
//   reads a body only when asked), at most 256 of them; one more is answered 503 and the
//   connection closes after it. Left alone, Node decides pipelined requests all at once, and
//   over TLS it resets the connection once their queued answers pass the socket's high-water
//   mark (HPE_PAUSED): 30 pipelined reviews were enough.
// - At most --max-connections open; one more is closed as it is accepted.
// - On close (SIGTERM): connections idle or still receiving a request close at once; one whose
//   request is being decided gets its answer (Fastify marks it Connection: close), then closes.
// https://nodejs.org/docs/latest-v20.x/api/http.html#serverheaderstimeout
import type { FastifyInstance } from 'fastify';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ErrorCode } from '../errors.js';
import { ConnectionClose, type Metrics } from '../metrics/metrics.js';
import { MAX_TIMEOUT_MS } from './deadline.js';

export const CONNECTION_LIMITS = {
  handshakeMs: 10_000,
  headersMs: 10_000,
  maxPipelined: 256,
  /** How often request deadlines are checked: a request is cut at most this much late. */
  sweepMs: 250,
} as const;
export const DEFAULT_MAX_CONNECTIONS = 512;

/** Options of the HTTPS server itself: Node's handshake and header deadlines. */
export const SERVER_TIMEOUTS = {
  handshakeTimeout: CONNECTION_LIMITS.handshakeMs,
  headersTimeout: CONNECTION_LIMITS.headersMs,
  connectionsCheckingInterval: 1000,
} as const;
/** Node's own whole-request deadline: a backstop behind each request's `?timeout=`. */
export const REQUEST_TIMEOUT_MS = CONNECTION_LIMITS.headersMs + MAX_TIMEOUT_MS;

interface Pending {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly deadline: number;
  readonly timeoutMs: number;
  /** Lets a waiting request go on to be read and decided. */
  go?: () => void;
}

interface Connection {
  readonly socket: Socket;
  readonly openedAt: number;
  requests: number;
  /** The request being received or decided; undefined between requests. */
  current: Pending | undefined;
  readonly waiting: Pending[];
  full: boolean;
}

export interface ConnectionGuardOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxConnections: number;
}

export interface ConnectionGuard {
  /** Whether this request's connection was closed here (its broken body is nobody's review). */
  closedHere(req: IncomingMessage): boolean;
  /**
   * Node's header deadline passed on this connection. The sweep watches a first request too, so
   * this closes the connection the same way, with the same answer, counted once, whichever fires.
   */
  headersTimedOut(socket: Socket): void;
}

/** An HTTP/1.1 answer written on the socket itself, for a request Fastify will not answer. */
export function rawAnswer(status: number, code: ErrorCode, message: string): string {
  const body = JSON.stringify({ error: { code, message, details: [message] } });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Sends `answer` (if any) and closes; a peer that will not take it is cut off a second later. */
function endSocket(socket: Socket, answer?: string): void {
  const destroy = () => socket.destroy();
  if (answer && socket.writable) {
    socket.end(answer, destroy);
    setTimeout(destroy, 1000).unref();
  } else destroy();
}

const lateAnswer = (timeoutMs: number) =>
  rawAnswer(
    408,
    ErrorCode.REQUEST_TIMEOUT,
    `the request was not received in full within its ${timeoutMs / 1000} s timeout; the connection is closed`,
  );
const silentAnswer = rawAnswer(
  408,
  ErrorCode.REQUEST_TIMEOUT,
  `no request headers within ${CONNECTION_LIMITS.headersMs / 1000} s of connecting; the connection is closed`,
);
const slowHeadersAnswer = rawAnswer(
  408,
  ErrorCode.REQUEST_TIMEOUT,
  `the request headers did not arrive within ${CONNECTION_LIMITS.headersMs / 1000} s; the connection is closed`,
);
const shutdownAnswer = rawAnswer(
  503,
  ErrorCode.SHUTTING_DOWN,
  'the server is shutting down; send the request again (another replica answers it)',
);
const pipelineFullMessage = `over ${CONNECTION_LIMITS.maxPipelined} requests pipelined on one connection; the connection closes after this answer`;

/** Puts the bounds above on every connection `app` accepts. */
export function guardConnections(
  app: FastifyInstance<Server>,
  { logger, metrics, maxConnections }: ConnectionGuardOptions,
): ConnectionGuard {
  const open = new Map<Socket, Connection>();
  const closedHere = new WeakSet<Socket>();
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;

  const isClosed = (conn: Connection) => closedHere.has(conn.socket) || conn.socket.destroyed;
  const close = (conn: Connection, reason: ConnectionClose, answer?: string) => {
    if (isClosed(conn)) return;
    closedHere.add(conn.socket);
    metrics.connectionsClosed.inc({ reason });
    endSocket(conn.socket, answer);
  };
  // Two timers may find the same connection overdue: it is warned of, counted and answered once.
  const closeOverdue = (
    conn: Connection,
    reason: ConnectionClose,
    answer: string,
    warning: string,
    fields: object = {},
  ) => {
    if (isClosed(conn)) return;
    logger.warn({ remote: conn.socket.remoteAddress, ...fields }, warning);
    close(conn, reason, answer);
  };

  const cutLate = (conn: Connection, p: Pending) =>
    closeOverdue(
      conn,
      ConnectionClose.requestDeadline,
      lateAnswer(p.timeoutMs),
      'request not received in full within its timeout: connection closed',
      { timeoutMs: p.timeoutMs, url: p.req.url },
    );
  const closeSilent = (conn: Connection) =>
    closeOverdue(
      conn,
      ConnectionClose.noRequest,
      silentAnswer,
      'no request after connecting: connection closed',
    );

  const sweep = () => {
    const now = Date.now();
    for (const conn of open.values()) {
      const p = conn.current;
      if (p) {
        if (!p.req.complete && !p.res.headersSent && now >= p.deadline) cutLate(conn, p);
      } else if (conn.requests === 0 && now - conn.openedAt >= CONNECTION_LIMITS.headersMs) closeSilent(conn);
    }
  };

  /** A request's answer is out: the next pipelined one may go on. */
  const settle = (conn: Connection, p: Pending) => {
    if (conn.current !== p) return;
    conn.current = undefined;
    if (conn.socket.destroyed) return;
    const next = conn.waiting.shift();
    if (closing) return close(conn, ConnectionClose.shutdown, next && shutdownAnswer);
    if (!next) return;
    if (Date.now() >= next.deadline) return cutLate(conn, next);
    conn.current = next;
    next.go!();
  };

  const server = app.server;
  server.maxConnections = maxConnections;
  server.on('drop', () => metrics.connectionsClosed.inc({ reason: ConnectionClose.overCap }));
  server.on('secureConnection', (socket: Socket) => {
    open.set(socket, {
      socket,
      openedAt: Date.now(),
      requests: 0,
      current: undefined,
      waiting: [],
      full: false,
    });
    sweeper ??= setInterval(sweep, CONNECTION_LIMITS.sweepMs).unref();
    socket.once('close', () => {
      open.delete(socket);
      if (open.size > 0) return;
      clearInterval(sweeper);
      sweeper = undefined;
    });
  });

  app.addHook('onRequest', (req, reply, done) => {
    const conn = open.get(req.raw.socket);
    if (!conn) return done(); // app.inject(): no socket to guard
    const { timeoutMs } = req;
    const pending: Pending = { req: req.raw, res: reply.raw, deadline: Date.now() + timeoutMs, timeoutMs };
    conn.requests += 1;
    if (!conn.current) {
      conn.current = pending;
      return done();
    }
    if (conn.full) return; // the connection closes after its 503: this one is never read
    if (conn.waiting.length >= CONNECTION_LIMITS.maxPipelined) {
      conn.full = true;
      pending.go = () => {
        logger.warn({ remote: conn.socket.remoteAddress }, pipelineFullMessage);
        metrics.connectionsClosed.inc({ reason: ConnectionClose.pipelineFull });
        const error = {
          code: ErrorCode.PIPELINE_FULL,
          message: pipelineFullMessage,
          details: [pipelineFullMessage],
        };
        void reply.code(503).header('connection', 'close').send({ error });
      };
    } else pending.go = done;
    conn.waiting.push(pending);
  });

  // Fastify runs this once an answer is out, whoever sent it (a route, the error handler, the
  // 503 above). A connection that closes before its answer is out is dropped whole instead.
  app.addHook('onResponse', (req, _reply, done) => {
    const conn = open.get(req.raw.socket);
    if (conn?.current?.req === req.raw) settle(conn, conn.current);
    done();
  });

  app.addHook('preClose', (done) => {
    closing = true;
    const counts = { idle: 0, receiving: 0, answering: 0 };
    for (const conn of open.values()) {
      const p = conn.current;
      if (p && (p.req.complete || p.res.headersSent)) counts.answering += 1;
      else if (p) {
        counts.receiving += 1;
        close(conn, ConnectionClose.shutdown, shutdownAnswer);
      } else {
        counts.idle += 1;
        close(conn, ConnectionClose.shutdown);
      }
    }
    logger.info(counts, 'closing connections: idle and still-receiving ones now, the others once answered');
    done();
  });

  return {
    closedHere: (req) => closedHere.has(req.socket),
    headersTimedOut: (socket) => {
      const conn = open.get(socket);
      if (!conn) {
        metrics.connectionsClosed.inc({ reason: ConnectionClose.requestDeadline });
        return endSocket(socket, slowHeadersAnswer);
      }
      if (conn.requests === 0) return closeSilent(conn);
      closeOverdue(
        conn,
        ConnectionClose.requestDeadline,
        slowHeadersAnswer,
        'request headers not received within their deadline: connection closed',
      );
    },
  };
}

/**
 * Fastify's clientErrorHandler: what Node refuses before any route sees it (headers too slow or
 * too large, bytes that are not HTTP), answered in the server's own error shape, then closed.
 */
export function answerClientError(headersTimedOut: ConnectionGuard['headersTimedOut']) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return headersTimedOut(socket);
    let answer: string;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      answer = rawAnswer(431, ErrorCode.HEADERS_TOO_LARGE, 'the request headers are too large');
    } else {
      answer = rawAnswer(400, ErrorCode.REVIEW_MALFORMED, `not a readable HTTP/1.1 request (${err.code})`);
    }
    endSocket(socket, answer);
  };
}
