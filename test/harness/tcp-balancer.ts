// A Service in front of several `serve` processes, as kube-proxy makes one: each new TCP
// connection goes to the next backend whose /readyz answers 200 (readiness polled like a probe,
// so a replica still waiting for its certificate or draining gets no new connections), and TLS
// passes through untouched, so the client's handshake is with the replica itself.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { request } from 'node:https';

export interface Balancer {
  readonly port: number;
  /** Backend ports; replaced whole when a replica comes or goes. */
  backends: number[];
  /** Backends that answered /readyz 200 at the last poll. */
  ready(): number[];
  /** Connections handed to each backend so far. */
  readonly connections: Map<number, number>;
  close(): Promise<void>;
}

function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, agent: false, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startBalancer(pollMs = 200): Promise<Balancer> {
  let ready: number[] = [];
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const port = ready[next++ % Math.max(ready.length, 1)];
    if (port === undefined) return client.destroy();
    balancer.connections.set(port, (balancer.connections.get(port) ?? 0) + 1);
    const upstream = connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let polling = true;
  let poll: Promise<void> = Promise.resolve();
  const balancer: Balancer = {
    port: (server.address() as { port: number }).port,
    backends: [],
    ready: () => ready,
    connections: new Map(),
    close: async () => {
      polling = false;
      await poll;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  poll = (async () => {
    while (polling) {
      const results = await Promise.all(balancer.backends.map(async (p) => [p, await readyz(p)] as const));
      ready = results.filter(([, ok]) => ok).map(([p]) => p);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();
  return balancer;
}
