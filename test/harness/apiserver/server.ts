// A Kubernetes API stand-in for tests: real TLS, real paths, real JSON, so the real
// @kubernetes/client-node and kubectl talk to it unchanged (kubectl never sends a bearer token
// over plain HTTP, so TLS is not optional). Tests seed objects through `store`
// and break things on purpose: latency, 403s, any status, hanging without an answer, dropped
// watches, the whole server going away and coming back on the same port.
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { ObjectStore } from './store.js';
import { route } from './routes.js';
import { sendStatus } from './respond.js';
import type { OpenWatch } from './watch.js';
import { generateCa, generateServingCertificate } from '../../../src/certs/generate.js';

export interface Faults {
  /** Added before every answer. */
  latencyMs: number;
  /** Paths answered 403 Forbidden, as RBAC would. */
  forbidden: RegExp[];
  /** When set, every request is answered with this status (403, 500, 503...), as an overloaded or misconfigured server does. */
  status: number | undefined;
  /**
   * When true, requests are accepted and read but never answered, like a server whose storage
   * stopped answering. Requests held this way stay unanswered when the hang is lifted (a
   * client must give up on them by itself); down() and close() cut them.
   */
  hang: boolean;
}

export interface ApiServer {
  readonly url: string;
  readonly token: string;
  /** PEM of the CA that signed the serving certificate (the kubeconfig's certificate-authority-data). */
  readonly caPem: string;
  readonly store: ObjectStore;
  readonly faults: Faults;
  /** `METHOD path?query` of every request received, oldest first. */
  readonly requests: string[];
  /** Requests being held unanswered by the hang fault now. */
  heldRequests(): number;
  /** Number of watch streams open now. */
  openWatches(): number;
  /** Cuts every open watch connection; returns how many were cut. */
  dropWatches(): number;
  /** Leaves every open watch connected but silent for good (see OpenWatch.silence); returns how many. */
  silenceWatches(): number;
  /** Sends a BOOKMARK on every watch that allowed them. */
  bookmark(): void;
  /** Refuses connections (and cuts open ones) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startApiServer(options: { token?: string } = {}): Promise<ApiServer> {
  const token = options.token ?? 'stand-in-token';
  const store = new ObjectStore();
  const faults: Faults = { latencyMs: 0, forbidden: [], status: undefined, hang: false };
  const requests: string[] = [];
  const watches = new Set<OpenWatch>();
  const sockets = new Set<Socket>();
  const held = new Set<ServerResponse>();

  const ca = generateCa({ commonName: 'API stand-in CA', validityDays: 1 });
  const serving = generateServingCertificate({
    ca,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityDays: 1,
  });
  const tls = { cert: serving.certPem, key: serving.keyPem };
  const server: Server = createServer(tls, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (faults.hang) {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    const answer = () => {
      // The client may have gone while the injected latency ran.
      if (res.destroyed) return;
      if (req.headers.authorization !== `Bearer ${token}`) {
        return sendStatus(res, 401, 'Unauthorized: send the bearer token from the kubeconfig');
      }
      const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
      if (faults.status !== undefined) {
        return sendStatus(res, faults.status, `the API stand-in answers ${faults.status} to everything now`);
      }
      if (faults.forbidden.some((pattern) => pattern.test(path))) {
        return sendStatus(
          res,
          403,
          `forbidden: User "system:serviceaccount:kube-hygiene:kube-hygiene" cannot get ${path}`,
        );
      }
      const watch = route(store, req, res);
      if (!watch) return;
      watches.add(watch);
      res.on('close', () => watches.delete(watch));
    };
    if (faults.latencyMs > 0) setTimeout(answer, faults.latencyMs);
    else answer();
  });
  // Raw TCP connections, so even a handshake in progress is cut by down() and close().
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the API stand-in has no port');
  const port = address.port;

  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
  };
  const stop = async () => {
    if (!server.listening) return;
    const closed = new Promise((resolve) => server.close(resolve));
    cutAll();
    await closed;
  };

  return {
    url: `https://127.0.0.1:${port}`,
    token,
    caPem: ca.certPem,
    store,
    faults,
    requests,
    heldRequests: () => held.size,
    openWatches: () => watches.size,
    dropWatches() {
      const count = watches.size;
      for (const watch of watches) watch.drop();
      return count;
    },
    silenceWatches() {
      for (const watch of watches) watch.silence();
      return watches.size;
    },
    bookmark() {
      for (const watch of watches) watch.bookmark();
    },
    down: stop,
    async up() {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    close: stop,
  };
}
