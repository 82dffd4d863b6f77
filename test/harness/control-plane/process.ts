// One control-plane process: started with its output in a log file of its own, stopped by its
// PID (SIGTERM, then SIGKILL after a grace), and taken along if the test process dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';

export interface Process {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  running(): boolean;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(
  name: string,
  binary: string,
  args: readonly string[],
  logFile: string,
): Process {
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(binary, [...args], { stdio: ['ignore', out, out] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid!,
    logFile,
    running,
    tail: (lines = 30) => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'),
    async stop(graceMs = 10_000) {
      if (!running()) return;
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => running() && process.kill(child.pid!, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `ready` until it holds, or fails with the process's last log lines. */
export async function waitUntil(p: Process, ready: () => Promise<boolean>, ms: number, what: string) {
  const until = Date.now() + ms;
  for (;;) {
    if (!p.running()) throw new Error(`${p.name} exited while starting:\n${p.tail()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${p.name} was not ${what} within ${ms} ms:\n${p.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
