// What one client can hold on the admission port, over real TLS sockets: a body trickled a
// byte at a time is answered 408 at its request's ?timeout= and closed; a connection that says
// nothing, or trickles its headers (a first request's or a later one's), is closed after 10 s;
// 200 pipelined reviews are all answered, in order, on a connection that stays open (over 256,
// one polite 503 and a close); and connections beyond --max-connections are turned away while
// the others are served.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { eventually } from '../harness/eventually.js';
import { postHead, rawConnection, type RawConnection } from '../harness/raw-client.js';
import { startTestServer, type TestServer } from '../harness/server.js';

const review = readFileSync(new URL('../../examples/reviews/pod-create.json', import.meta.url), 'utf8');
const bytes = Buffer.byteLength(review);
// A loaded 2-core machine: deadlines are checked every 250 ms, then the close travels.
const SLACK_MS = 1500;

const closedCount = async (server: TestServer, reason: string) =>
  Number(
    new RegExp(`kube_hygiene_connections_closed_total\\{reason="${reason}"\\} (\\d+)`).exec(
      await server.metrics(),
    )?.[1],
  );

const connections = (server: TestServer, n: number) =>
  Promise.all(Array.from({ length: n }, () => rawConnection(server.port, server.ca)));

const reviewWithUid = (uid: string) => {
  const parsed = JSON.parse(review) as { request: { uid: string } };
  parsed.request.uid = uid;
  return JSON.stringify(parsed);
};

t.test('a body trickled a byte every 2 s is answered 408 at its ?timeout= and closed', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const trickling = await connections(server, 5);
  for (const c of trickling) {
    c.socket.write(postHead('/validate?timeout=3s', bytes));
    c.trickle(review, 2000);
  }
  const other = await server.post('/validate?timeout=3s', review);
  t.equal(other.status, 200, 'another client is answered at once meanwhile');

  const closes = await Promise.all(trickling.map((c) => c.closed));
  for (const [i, c] of trickling.entries()) {
    const { ms } = closes[i]!;
    t.ok(ms >= 2900 && ms < 3000 + SLACK_MS, `connection ${i} closed after ${ms} ms (deadline 3 s)`);
    const [answer, ...more] = c.responses();
    t.equal(answer?.status, 408);
    t.equal(answer?.headers.connection, 'close');
    t.equal(answer?.json().error.code, 'KH_REQUEST_TIMEOUT');
    t.match(answer?.json().error.message, /not received in full within its 3 s timeout/);
    t.same(more, [], 'and nothing else');
  }
  t.equal(await closedCount(server, 'request-deadline'), 5, 'counted, by reason');
  t.equal(
    server.logs.filter((l) => l.msg.startsWith('request not received in full')).length,
    5,
    'one warning each',
  );
  t.notOk(
    server.logs.some((l) => l.msg === 'request refused' || l.msg === 'request failed'),
    'a cut-off body is not logged as a malformed review',
  );
});

t.test('silence, trickled headers, a trickled body without ?timeout=: closed after 10 s', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const [silent, slowHeaders, slowBody, slowSecond] = (await connections(server, 4)) as [
    RawConnection,
    RawConnection,
    RawConnection,
    RawConnection,
  ];
  slowHeaders.trickle(postHead('/validate?timeout=3s', bytes), 500);
  slowBody.socket.write(postHead('/validate', bytes));
  slowBody.trickle(review, 2000);
  // A kept-alive connection: one review answered, then the headers of the next trickled.
  slowSecond.socket.write(postHead('/validate', bytes) + review);
  await eventually(() => slowSecond.responses().length === 1, 10_000, 'the first answer');
  slowSecond.trickle(postHead('/validate?timeout=3s', bytes), 500);
  const secondStarted = Date.now() + 500; // its first byte goes out one interval later

  for (const [name, c] of Object.entries({ silent, slowHeaders, slowBody })) {
    const { ms } = await c.closed;
    t.ok(ms >= 9900 && ms < 10_000 + SLACK_MS, `${name}: closed after ${ms} ms`);
    t.equal(c.responses()[0]?.status, 408, `${name}: answered 408`);
    t.equal(c.responses()[0]?.json().error.code, 'KH_REQUEST_TIMEOUT');
  }
  await slowSecond.closed;
  const ms = Date.now() - secondStarted;
  // Node checks a later request's header deadline once a second.
  t.ok(ms >= 9900 && ms < 11_000 + SLACK_MS, `trickled headers of a second request: closed after ${ms} ms`);
  t.same(
    slowSecond.responses().map((r) => r.status),
    [200, 408],
    'after its answer to the first',
  );
  t.equal(slowSecond.responses()[1]?.json().error.code, 'KH_REQUEST_TIMEOUT');
  // Node's header deadline and the guard's own watch both cover a first request: either way,
  // the same answer, one count and one warning per connection.
  for (const c of [silent, slowHeaders])
    t.match(c.responses()[0]?.json().error.message, /^no request headers within 10 s of connecting/);
  t.match(slowSecond.responses()[1]?.json().error.message, /^the request headers did not arrive within 10 s/);
  t.equal(await closedCount(server, 'no-request'), 2, 'silent and slow headers: no request');
  t.equal(
    server.logs.filter((l) => l.msg === 'no request after connecting: connection closed').length,
    2,
    'one warning each',
  );
  t.equal(
    await closedCount(server, 'request-deadline'),
    2,
    'slow body (the 10 s default deadline) and slow second headers',
  );
});

t.test('200 pipelined reviews are all answered, in order, on a connection that stays open', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const c = await rawConnection(server.port, server.ca);
  t.teardown(() => c.socket.destroy());
  const uids = Array.from({ length: 200 }, (_, i) => `pipelined-${i}`);
  c.socket.write(
    uids
      .map((uid) => {
        const body = reviewWithUid(uid);
        return postHead('/validate?timeout=10s', Buffer.byteLength(body)) + body;
      })
      .join(''),
  );
  // Until every answer is in, or the connection is gone (it was reset before the fix).
  await Promise.race([eventually(() => c.responses().length >= 200, 30_000, '200 answers'), c.closed]);
  const answers = c.responses();
  t.same(
    answers.map((a) => a.status),
    Array(200).fill(200),
  );
  t.same(
    answers.map((a) => a.json<{ response: { uid: string } }>().response.uid),
    uids,
    'each answer in the order asked',
  );
  t.ok(c.socket.writable && !c.socket.destroyed, 'the connection is still open');
  c.socket.write(postHead('/validate', bytes) + review);
  await eventually(() => c.responses().length === 201, 10_000, 'one more answer');
  t.equal(c.responses()[200]!.status, 200, 'and serves the next request');
});

t.test('over 256 pipelined: the rest answered, one 503, then a close without a reset', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const c = await rawConnection(server.port, server.ca);
  c.socket.write((postHead('/validate?timeout=10s', bytes) + review).repeat(400));
  const closed = await c.closed;
  const answers = c.responses();
  const last = answers.at(-1)!;
  t.equal(closed.error, undefined, 'closed, not reset');
  t.ok(answers.length > 256 && answers.length < 400, `${answers.length} answers`);
  t.ok(
    answers.slice(0, -1).every((a) => a.status === 200),
    'all but the last are decisions',
  );
  t.equal(last.status, 503);
  t.equal(last.headers.connection, 'close');
  t.equal(last.json().error.code, 'KH_PIPELINE_FULL');
  t.equal(await closedCount(server, 'pipeline-full'), 1);
});

t.test('over --max-connections: one more is turned away, the open ones are served', async (t) => {
  const server = await startTestServer({ args: ['--max-connections', '3'] });
  t.teardown(() => server.stop());
  const held = await connections(server, 3);
  await t.rejects(rawConnection(server.port, server.ca), 'a fourth connection is closed as it is accepted');
  held[0]!.socket.write(postHead('/validate', bytes) + review);
  await eventually(() => held[0]!.responses().length === 1, 10_000, 'an answer on a held connection');
  t.equal(held[0]!.responses()[0]!.status, 200, 'the open ones are served');
  t.ok((await closedCount(server, 'over-cap')) >= 1, 'counted');
  held[1]!.socket.destroy();
  await eventually(
    async () => (await server.get('/healthz').catch(() => ({ status: 0 }))).status === 200,
    10_000,
    'room for a new connection',
  );
  for (const c of held) c.socket.destroy();
});
