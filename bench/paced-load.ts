// An open-loop load at a steady rate over kept-alive TLS connections. autocannon's rate limit
// sends each second's quota in a burst, which measures its own queueing; node:https costs too
// much CPU per request to pace thousands a second on two cores. This writes prebuilt HTTP/1.1
// requests on raw TLS sockets and reads answers by content-length.
// Latency runs from the moment this client takes a request up: from then, waiting for a free
// connection counts (a slow server keeps them busy), but the client's own lateness before it
// (timers fire in whole milliseconds, its own pauses) does not. Requests it falls behind on are
// sent at once, so the server still sees the burst.
import { connect, type TLSSocket } from 'node:tls';

export interface PacedResult {
  readonly sent: number;
  readonly answered: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

interface Conn {
  socket: TLSSocket;
  busySince?: number;
  buffer: Buffer;
}

export async function pacedLoad(
  port: number,
  path: string,
  bodies: readonly string[],
  rate: number,
  seconds: number,
  connections = 16,
): Promise<PacedResult> {
  const requests = bodies.map((body) =>
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n${body}`,
    ),
  );
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const queue: number[] = []; // when each request waiting for an idle connection was taken up
  const idle: Conn[] = [];
  let sent = 0;

  const dispatch = (conn: Conn) => {
    const takenAt = queue.shift();
    if (takenAt === undefined) return void idle.push(conn);
    conn.busySince = takenAt;
    conn.socket.write(requests[sent++ % requests.length]!);
  };
  const onData = (conn: Conn, chunk: Buffer) => {
    conn.buffer = conn.buffer.length ? Buffer.concat([conn.buffer, chunk]) : chunk;
    const headerEnd = conn.buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const head = conn.buffer.subarray(0, headerEnd).toString('latin1');
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (conn.buffer.length < headerEnd + 4 + length) return;
    conn.buffer = conn.buffer.subarray(headerEnd + 4 + length);
    if (!head.startsWith('HTTP/1.1 200')) non2xx++;
    latencies.push(performance.now() - conn.busySince!);
    conn.busySince = undefined;
    dispatch(conn);
  };
  const conns = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<Conn>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(conn));
          const conn: Conn = { socket, buffer: Buffer.alloc(0) };
          socket.on('data', (chunk: Buffer) => onData(conn, chunk));
          socket.on('error', (err) => {
            errors++;
            reject(err);
          });
        }),
    ),
  );
  idle.push(...conns);

  const total = Math.floor(rate * seconds);
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    // Never early: the load stays at the rate asked for.
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    queue.push(performance.now());
    const conn = idle.pop();
    if (conn) dispatch(conn);
  }
  const until = performance.now() + 10_000;
  while (latencies.length < total && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  const elapsed = (performance.now() - start) / 1000;
  for (const c of conns) c.socket.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    sent: total,
    answered: latencies.length,
    non2xx,
    errors: errors + (total - latencies.length),
    rate: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  };
}
