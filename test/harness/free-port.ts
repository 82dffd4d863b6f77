// A loopback port for a child process (etcd, kube-apiserver, a registry, a server) to listen on.
//
// A port the kernel hands out by `listen(0)` comes from the ephemeral range, the same range every
// outgoing connection on this machine draws its source port from: between our check and the
// child's bind, any test's client socket may take it ("bind: address already in use"). A port
// below that range is never taken that way, so only another listener could race us for it.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const LOWEST = 10_000;
const ATTEMPTS = 200;

function ephemeralRangeStart(): number {
  try {
    const start = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(start) && start > LOWEST + 1000 ? start : 32_768;
  } catch {
    return 32_768; // Linux's default; elsewhere this is only a likely guess
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that nothing listens on now, outside the range outgoing connections use. */
export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port below ${end} on 127.0.0.1 after ${ATTEMPTS} tries`);
}
