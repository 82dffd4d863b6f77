// stop() (what SIGTERM runs): /readyz turns 503 at once, requests that still arrive during the
// drain delay are answered, requests in flight when the port closes get their answer, and the
// close waits neither for kept-alive connections to time out nor for slow or silent clients.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { RULES } from '../../src/rules/index.js';
import type { Rule } from '../../src/rules/rule.js';
import { startTestServer, type TestServer } from '../harness/server.js';
import { request } from '../harness/tls.js';
import { postHead, rawConnection } from '../harness/raw-client.js';

const SLOW_MS = 300;
// The real rules, the first one answering late: requests stay in flight long enough to overlap the stop.
const slowRules: Rule[] = RULES.map((rule, i) => ({
  ...rule,
  evaluate: async (ctx, options) => {
    if (i === 0) await new Promise((r) => setTimeout(r, SLOW_MS));
    return rule.evaluate(ctx, options);
  },
}));
const body = readFileSync(new URL('../../examples/reviews/pod-create.json', import.meta.url), 'utf8');
const post = (server: TestServer, agent: Agent | false = false) =>
  request({ port: server.port, ca: server.ca, path: '/validate', body, agent });
const denied = (text: string) =>
  (JSON.parse(text) as { response: { allowed: boolean } }).response.allowed === false;

t.test('during the drain delay: unready, alive, still answering, closing connections', async (t) => {
  const server = await startTestServer({ rules: slowRules, args: ['--drain-delay', '0.6'] });
  const stopped = server.stop();

  const readyz = await server.get('/readyz');
  t.equal(readyz.status, 503, '/readyz is 503 as soon as stopping starts');
  t.match(readyz.json(), { ready: false, reasons: [/shutting down/] });
  t.equal((await server.get('/healthz')).status, 200, 'the process is still alive (no liveness restart)');
  const late = await post(server);
  t.equal(late.status, 200, 'a request arriving during the drain delay is answered');
  t.ok(denied(late.text), 'with a real decision');
  t.equal(late.headers.connection, 'close', 'and its connection closed, so the next one goes elsewhere');
  t.equal(await stopped, true);
});

t.test('requests in flight when the port closes get their answers; the close is prompt', async (t) => {
  const server = await startTestServer({ rules: slowRules, args: ['--drain-delay', '0'] });
  const agent = new Agent({ keepAlive: true, maxSockets: 10 });
  t.teardown(() => agent.destroy());
  // Warm the kept-alive connections first, so the in-flight requests ride on them.
  await Promise.all(Array.from({ length: 10 }, () => post(server, agent)));
  const inFlight = Array.from({ length: 10 }, () => post(server, agent));
  await new Promise((r) => setTimeout(r, SLOW_MS / 3));
  const started = Date.now();
  const stopped = server.stop();

  const answers = await Promise.all(inFlight);
  t.same(
    answers.map((a) => a.status),
    Array(10).fill(200),
    'every request in flight at stop() got its answer',
  );
  t.ok(
    answers.every((a) => denied(a.text)),
    'real decisions',
  );
  t.equal(await stopped, true, 'stopped cleanly');
  const took = Date.now() - started;
  t.ok(took < 2000, `closed in ${took} ms, not held open by kept-alive connections (grace is 5 s)`);
  await t.rejects(server.get('/healthz'), { code: 'ECONNREFUSED' }, 'the port is closed afterwards');
});

t.test(
  'trickling and silent connections do not hold the close; reviews in flight are answered',
  async (t) => {
    const server = await startTestServer({ rules: slowRules, args: ['--drain-delay', '0'] });
    // Bodies trickled a byte every 2 s under a 30 s deadline: before, they held the close for the
    // whole grace period.
    const trickling = await Promise.all(
      Array.from({ length: 3 }, () => rawConnection(server.port, server.ca)),
    );
    for (const c of trickling) {
      c.socket.write(postHead('/validate?timeout=30s', Buffer.byteLength(body)));
      c.trickle(body, 2000);
    }
    const silent = await rawConnection(server.port, server.ca);
    const inFlight = Array.from({ length: 5 }, () => post(server));
    await new Promise((r) => setTimeout(r, SLOW_MS / 3));
    const started = Date.now();

    const clean = await server.stop();
    const took = Date.now() - started;
    const answers = await Promise.all(inFlight);
    t.same(
      answers.map((a) => a.status),
      Array(5).fill(200),
      'every review in flight got its answer',
    );
    t.ok(
      answers.every((a) => denied(a.text)),
      'real decisions',
    );
    t.equal(clean, true, 'stopped cleanly, inside the grace period');
    t.ok(took < 2000, `closed in ${took} ms (grace 5 s, request deadlines 30 s)`);
    for (const c of trickling) {
      await c.closed;
      t.equal(c.responses()[0]?.status, 503, 'a request still arriving is told the server is going');
      t.equal(c.responses()[0]?.json().error.code, 'KH_SHUTTING_DOWN');
    }
    t.match(await silent.closed, { ms: Number }, 'the silent connection is closed');
    t.match(
      server.logs.find((l) => l.msg.startsWith('closing connections')),
      { receiving: 3, answering: 5 },
    );
  },
);
