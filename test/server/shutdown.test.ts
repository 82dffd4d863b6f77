// stop() (what SIGTERM runs): /readyz turns 503 at once, requests that still arrive during the
// drain delay are answered, requests in flight when the port closes get their answer, and the
// close does not wait for kept-alive connections to time out.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { RULES } from '../../src/rules/index.js';
import type { Rule } from '../../src/rules/rule.js';
import { startTestServer, type TestServer } from '../harness/server.js';
import { request } from '../harness/tls.js';

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
