// A TLS client that writes what a test chooses (a trickle, a pipeline, nothing at all) and
// records what the server sends back and when it closes: what an HTTP client library hides.
import { connect, type TLSSocket } from 'node:tls';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  json<T = { error: { code: string; message: string } }>(): T;
}

export interface Closed {
  /** Milliseconds from the handshake to the close. */
  readonly ms: number;
  /** The socket error, if the close came with one (ECONNRESET: a reset, not a close). */
  readonly error?: string;
}

export interface RawConnection {
  readonly socket: TLSSocket;
  readonly closed: Promise<Closed>;
  /** Every complete response received so far, in order. */
  responses(): RawResponse[];
  /** Writes `text` a byte every `everyMs`, until it is all sent or the connection closes. */
  trickle(text: string, everyMs: number): void;
}

/** Request line and headers of a JSON POST whose body is `bytes` long. */
export function postHead(path: string, bytes: number): string {
  return `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n\r\n`;
}

/** Responses framed by content-length, as many as are complete in `data`. */
export function parseResponses(data: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  // Bounded by the data: every turn consumes at least a header block.
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const [statusLine, ...lines] = data.toString('latin1', at, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (end + 4 + length > data.length) break;
    const body = data.toString('utf8', end + 4, end + 4 + length);
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body, json: () => JSON.parse(body) });
    at = end + 4 + length;
  }
  return out;
}

export async function rawConnection(port: number, ca: string): Promise<RawConnection> {
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const connectedAt = Date.now();
  const closed = new Promise<Closed>((resolve) =>
    socket.once('close', () => resolve({ ms: Date.now() - connectedAt, ...(error && { error }) })),
  );
  return {
    socket,
    closed,
    responses: () => parseResponses(Buffer.concat(chunks)),
    trickle(text, everyMs) {
      let sent = 0;
      const timer = setInterval(() => {
        if (sent >= text.length || !socket.writable) return clearInterval(timer);
        socket.write(text[sent++]!);
      }, everyMs);
      socket.once('close', () => clearInterval(timer));
    },
  };
}
