// The server's log lines are the audit trail: none may be lost when the process exits or throws,
// a SIGKILL loses none older than 50 ms (server/batched-log.ts), and a quiet server's line does
// not wait for others.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, tempDir, testPki } from '../harness/tls.js';
import { EPHEMERAL_LOOPBACK, REPO, killIfRunning, spawnServer } from '../harness/server-process.js';

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

t.test("a quiet server's line is written without waiting for more lines", async (t) => {
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
  t.equal(child.exitCode, null, 'written while the process still runs');
});

// What a SIGKILL may lose: lines younger than this (the batch's 15 ms plus the event loop's turn).
const LOSS_BOUND_MS = 50;

/** Starts the real server, has it answer 20 reviews, ends it with `end`, returns the decision lines' uids. */
async function decisionsThenEnd(t: Test, end: (pid: number) => Promise<void>) {
  const dir = tempDir();
  const leaf = testPki().issue();
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
  const server = spawnServer([
    join(REPO, 'dist/cli/main.js'),
    'serve',
    ...EPHEMERAL_LOOPBACK,
    ...['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), '--drain-delay', '0'],
  ]);
  t.teardown(() => killIfRunning(server));
  const port = await server.port;
  const body = readFileSync(join(REPO, 'examples/reviews/pod-create.json'), 'utf8');
  const uids = Array.from({ length: 20 }, (_, i) => `decision-${i}`);
  const answers = await Promise.all(
    uids.map((uid) => {
      const review = JSON.parse(body) as { request: { uid: string } };
      review.request.uid = uid;
      const path = '/validate?timeout=10s';
      return request({ port, ca: testPki().ca.certPem, path, body: JSON.stringify(review) });
    }),
  );
  t.same(
    answers.map((a) => a.status),
    uids.map(() => 200),
    '20 decisions answered',
  );
  await end(server.child.pid!);
  const exited = await server.exited;
  const logged = server.logs.filter((l) => l.msg === 'admission decision').map((l) => l.uid);
  return { uids, exited, logged };
}

t.test(
  `a SIGKILL ${LOSS_BOUND_MS} ms after 20 admission decisions loses none of their log lines`,
  async (t) => {
    const { uids, exited, logged } = await decisionsThenEnd(t, async (pid) => {
      await new Promise((resolve) => setTimeout(resolve, LOSS_BOUND_MS));
      process.kill(pid, 'SIGKILL');
    });
    t.equal(exited, 'SIGKILL');
    t.same([...logged].sort(), [...uids].sort(), 'every decision line reached stdout');
  },
);

t.test('a SIGTERM the moment 20 decisions are answered loses none of their log lines', async (t) => {
  // Well inside the batch's 15 ms: the lines are still held when the signal arrives.
  const { uids, exited, logged } = await decisionsThenEnd(t, async (pid) => {
    process.kill(pid, 'SIGTERM');
  });
  t.equal(exited, 0, 'a clean exit');
  t.same([...logged].sort(), [...uids].sort(), 'every decision line reached stdout');
});
