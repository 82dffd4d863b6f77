// Where the server's log lines go: stdout, in batches held for at most FLUSH_MS. The decision
// log is the audit trail and an OOM kill is a SIGKILL (no handler runs), so how long a line may
// wait is bounded: a line is written within FLUSH_MS of being logged, plus however long the event
// loop is held at that moment (judging and large-body parsing give it back every 10 ms; a body
// under 256 KiB is parsed in one go, about 25 ms at worst), so within 50 ms. A SIGKILL loses
// only lines younger than that; process.exit() and an uncaught exception lose none.
// test/server/log-destination.test.ts kills the server 50 ms after its answers and finds them all.
//
// Why batch at all: one write(2) per decision, through a pipe to the container runtime, cost
// about a tenth of a request's CPU at saturation (docs/performance.md). The write itself is
// pino's synchronous destination, so a full pipe is waited for, never dropped.
import { pino } from 'pino';

export const FLUSH_MS = 15;
// A batch this large goes out at once: under sonic-boom's 16 KiB single write.
const BATCH_BYTES = 12 * 1024;

export interface BatchedDestination {
  write(line: string): void;
  /** Writes what is held now; `done` once written (at once: the writes are synchronous). */
  flush(done?: (err?: Error) => void): void;
  /** Writes what is held before returning (process exit). */
  flushSync(): void;
}

export function batchedStdout(fd = 1): BatchedDestination {
  const writer = pino.destination({ dest: fd, sync: true });
  let closed = false;
  writer.once('close', () => (closed = true));
  let lines: string[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0) return;
    const batch = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    size = 0;
    if (!closed) writer.write(batch);
  };
  // process.exit() and an uncaught exception skip pending timers: 'exit' still runs.
  process.once('exit', release);
  return {
    write(line) {
      lines.push(line);
      size += line.length;
      if (size >= BATCH_BYTES) release();
      // Armed by the first line of a batch: an idle server has no timer running.
      else timer ??= setTimeout(release, FLUSH_MS).unref();
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
