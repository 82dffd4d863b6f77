// The server's log lines leave in batches: none may be lost however the process ends, and a
// quiet server's line must not wait for a batch to fill.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO } from '../harness/server-process.js';

const MAIN = `${REPO}dist/main.js`;

function run(body: string) {
  const script = `import { createLogger } from ${JSON.stringify(MAIN)};\nconst log = createLogger('info');\n${body}`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return {
    status: out.status,
    stderr: out.stderr,
    lines: out.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; n?: number; level: string }),
  };
}

t.test('every line is written, in order, whichever way the process ends', async (t) => {
  for (const [how, end] of [
    ['process.exit()', 'process.exit(0);'],
    ['the event loop running dry', ''],
    ['an uncaught exception', "throw new Error('boom');"],
  ]) {
    const out = run(`for (let n = 0; n < 5000; n++) log.info({ n }, 'line');\n${end}`);
    t.equal(out.lines.length, 5000, `${how}: 5,000 lines of 5,000`);
    t.ok(
      out.lines.every((l, i) => l.n === i && l.level === 'info'),
      `${how}: in the order logged`,
    );
  }
});

t.test("a quiet server's line shows up without waiting for a batch to fill", async (t) => {
  const script = `import { createLogger } from ${JSON.stringify(MAIN)};
const log = createLogger('info');
log.info('the only line');
setTimeout(() => {}, 10_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  t.match(JSON.parse(line), { msg: 'the only line' });
  t.equal(child.exitCode, null, 'written while the process still runs, with no batch filled');
});
