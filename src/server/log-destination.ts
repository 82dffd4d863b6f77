// Where the server's log lines go: stdout, in batches. pino's asynchronous writer (sonic-boom)
// measures its whole pending buffer again on every line it is given, which the server's CPU
// profile showed on every admission decision; here a line costs an array push, and the writer
// gets one string per batch. A batch leaves once it holds BATCH_BYTES, at least every
// `flushMs` (so a quiet server's lines still reach `kubectl logs` promptly), on
// logger.flush(), and synchronously when the process exits.
import { pino } from 'pino';

// Under sonic-boom's 16 KiB single-write size, so a batch is one write(2).
const BATCH_BYTES = 8 * 1024;

export interface LogDestination {
  write(line: string): void;
  /** Hands what is gathered to the writer; `done` once it is written. */
  flush(done?: (err?: Error) => void): void;
  /** Writes everything out before returning (process exit). */
  flushSync(): void;
}

export function batchedDestination(fd = 1, flushMs = 500): LogDestination {
  let lines: string[] = [];
  let size = 0;
  const release = () => {
    if (lines.length === 0) return;
    const batch = lines.join('');
    lines = [];
    size = 0;
    if (!closed) writer.write(batch);
  };
  const flushSync = () => {
    release();
    if (!closed) writer.flushSync();
  };
  // Registered before the writer exists: pino's own exit handling (flushing and ending the
  // writer) runs after these, so nothing gathered here is left behind.
  process.once('beforeExit', release);
  process.once('exit', flushSync);
  const writer = pino.destination({ dest: fd, sync: false });
  let closed = false;
  writer.once('close', () => (closed = true));
  setInterval(release, flushMs).unref();
  return {
    write(line) {
      lines.push(line);
      size += line.length;
      if (size >= BATCH_BYTES) release();
    },
    flush(done) {
      release();
      writer.flush(done);
    },
    flushSync,
  };
}
