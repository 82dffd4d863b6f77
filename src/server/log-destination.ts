// Where the server's log lines go: stdout. The decision log is the audit trail, so a line must
// survive the process being killed (an OOM kill is a SIGKILL: no handler runs). Lines logged in
// one turn of the event loop are gathered and written with one synchronous write(2) before the
// loop turns again (setImmediate), so a SIGKILL loses at most the lines of the turn it
// interrupts: never a line whose request has been answered a turn earlier. A saturated server
// answers several requests per turn, so this costs one system call per turn, not one per line.
// pino's asynchronous writer (sonic-boom) instead measured its whole pending buffer again on
// every line, and lost whatever it held when killed; its synchronous mode is the writer here.
import { pino } from 'pino';

// Under sonic-boom's 16 KiB single-write size, so a batch is one write(2).
const BATCH_BYTES = 8 * 1024;

export interface LogDestination {
  write(line: string): void;
  /** Writes what is gathered; `done` once it is written (at once: the writes are synchronous). */
  flush(done?: (err?: Error) => void): void;
  /** Writes everything out before returning (process exit). */
  flushSync(): void;
}

export function turnBatchedDestination(fd = 1): LogDestination {
  let lines: string[] = [];
  let size = 0;
  let scheduled = false;
  const writer = pino.destination({ dest: fd, sync: true });
  let closed = false;
  writer.once('close', () => (closed = true));
  const release = () => {
    scheduled = false;
    if (lines.length === 0) return;
    const batch = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    size = 0;
    if (!closed) writer.write(batch);
  };
  // An exit (process.exit(), an uncaught exception) skips the pending setImmediate.
  process.once('exit', release);
  return {
    write(line) {
      lines.push(line);
      size += line.length;
      if (size >= BATCH_BYTES) release();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(release);
      }
    },
    flush(done) {
      try {
        release();
      } catch (err) {
        return done?.(err as Error);
      }
      done?.();
    },
    flushSync: release,
  };
}
