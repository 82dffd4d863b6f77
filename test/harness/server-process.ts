// The built server as a real child process (node dist/...): its JSON log lines, the port it
// reports, and its exit. Tests stop it by PID; teardown kills it if a test did not.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LogLine } from './server.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** `serve` flags for a test server: loopback only, an ephemeral port for HTTPS and for metrics. */
export const EPHEMERAL_LOOPBACK = ['--host', '127.0.0.1', '--port', '0', '--metrics-port', '0'] as const;

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  stderr: string;
  /** The HTTPS port from the server's "listening on" log line. */
  readonly port: Promise<number>;
  /** Exit code (or signal name) once the process ended and its output was read. */
  readonly exited: Promise<number | string>;
}

export function spawnServer(args: readonly string[], env: Record<string, string> = {}): ServerProcess {
  const child = spawn(process.execPath, [...args], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const handle: ServerProcess = {
    child,
    logs,
    stderr: '',
    port: new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          return;
        }
        logs.push(parsed);
        const m = /^listening on \S+:(\d+) /.exec(parsed.msg);
        if (m) resolve(Number(m[1]));
      });
      child.on('close', () => reject(new Error(`server exited before listening:\n${handle.stderr}`)));
    }),
    // 'close', not 'exit': it comes after stdout ended, so every log line has been read by then.
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1))),
  };
  child.stderr!.on('data', (chunk: Buffer) => (handle.stderr += chunk.toString('utf8')));
  handle.port.catch(() => {});
  return handle;
}

/** Stops the child by its PID if it is still running (for teardown). */
export function killIfRunning(p: ServerProcess): void {
  if (p.child.exitCode === null && p.child.signalCode === null && p.child.pid)
    process.kill(p.child.pid, 'SIGKILL');
}
