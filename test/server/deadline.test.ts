// The API server's `?timeout=` is a deadline the server keeps even when a rule is slow: it
// answers (allowed, with a warning saying why) before the caller gives up.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { buildServer } from '../../src/server/build.js';
import { Readiness } from '../../src/server/readiness.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { loadPolicyFile } from '../../src/policy/load.js';
import { RULES } from '../../src/rules/index.js';
import type { Rule } from '../../src/rules/rule.js';
import { DEFAULT_TIMEOUT_MS, decisionBudget, parseTimeout } from '../../src/server/deadline.js';
import { request, testPki } from '../harness/tls.js';

t.test('timeout values as the API server writes them', async (t) => {
  t.equal(parseTimeout('10s'), 10_000);
  t.equal(parseTimeout('1.5s'), 1500);
  t.equal(parseTimeout('500ms'), 500);
  t.equal(parseTimeout('1m'), 30_000, 'capped at the API server maximum of 30 s');
  t.equal(parseTimeout('3'), 3000, 'bare numbers are seconds');
  for (const bad of [undefined, '', '0s', '-1s', 'soon', ['1s']])
    t.equal(parseTimeout(bad), undefined, `${String(bad)}`);
  t.equal(DEFAULT_TIMEOUT_MS, 10_000);
  t.ok(decisionBudget(10_000) < 10_000 && decisionBudget(10_000) >= 9_000);
  t.ok(decisionBudget(1000) > 0 && decisionBudget(1000) < 1000);
});

t.test('a slow rule cannot make the server miss the deadline', async (t) => {
  const slowMs = 4000;
  const slow: Rule = {
    ...RULES[0]!,
    evaluate: () => new Promise((resolve) => setTimeout(() => resolve([]), slowMs).unref()),
  };
  const policy = compilePolicy(loadPolicyFile().policy, [slow]);
  const { ca, issue } = testPki();
  const leaf = issue();
  const app = buildServer({
    certificates: {
      current: () => ({ ...leaf, cert: leaf.certPem, key: leaf.keyPem, fingerprint: '', subjectAltName: '' }),
      onChange: () => {},
    },
    policy: { current: () => policy, source: 'test' },
    readiness: new Readiness(),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  const body = readFileSync(new URL('../../examples/reviews/pod-create.json', import.meta.url), 'utf8');

  for (const timeout of ['1s', '2s']) {
    const started = Date.now();
    const res = await request({ port, ca: ca.certPem, path: `/validate?timeout=${timeout}`, body });
    const took = Date.now() - started;
    const limit = parseTimeout(timeout)!;
    t.equal(res.status, 200);
    t.ok(took < limit, `answered in ${took} ms, inside the ${timeout} timeout`);
    t.ok(took < slowMs, 'without waiting for the slow rule');
    const { response } = res.json<{ response: { uid: string; allowed: boolean; warnings: string[] } }>();
    t.equal(response.uid, JSON.parse(body).request.uid);
    t.equal(
      response.allowed,
      true,
      'let through: an unanswered webhook would be failurePolicy deciding blind',
    );
    t.match(response.warnings[0], new RegExp(`within the ${limit / 1000}s timeout`));
  }
});

t.test(
  'an engine failure is answered (allowed, with the reason), logged and counted, never a 500',
  async (t) => {
    const { startTestServer } = await import('../harness/server.js');
    const server = await startTestServer({
      engine: {
        namespaceMode: () => {
          throw new Error('cluster view exploded');
        },
      },
    });
    t.teardown(() => server.stop());
    const body = readFileSync(new URL('../../examples/reviews/pod-create.json', import.meta.url), 'utf8');
    const res = await server.post('/validate', body);
    t.equal(res.status, 200);
    const { response } = res.json<{ response: { allowed: boolean; warnings: string[] } }>();
    t.equal(response.allowed, true);
    t.match(response.warnings, [/failed while checking \(cluster view exploded\).*let through unchecked/]);
    t.ok(
      server.logs.some((l) => l.level === 'error' && /engine failed/.test(l.msg)),
      'logged as an error',
    );
    t.match(
      server.logs.find((l) => l.msg === 'admission decision'),
      { decision: 'unchecked', unchecked: 'engine-error' },
    );
    t.match(await server.metrics(), /decision="unchecked"\} 1/);
    t.equal(
      (await server.post('/validate', '{"kind":"AdmissionReview"}')).status,
      400,
      'malformed input is still a 400',
    );
  },
);
