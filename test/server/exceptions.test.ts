// Policy exceptions on the running server, over TLS: an AdmissionReview under an active
// exception is allowed with warnings naming it; once its day is over (the server's clock read
// on every request, no restart or reload) the same review is denied and says it expired.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { startTestServer } from '../harness/server.js';

const review = () =>
  JSON.parse(readFileSync(new URL('../../examples/reviews/pod-create.json', import.meta.url), 'utf8')) as {
    request: { namespace: string };
  };

interface Answer {
  response: {
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
  };
}

const POLICY = [
  'exceptions:',
  '  - match: { namespaces: [home], kinds: [Pod] }',
  '    rules: [image-tag, image-registry]',
  '    reason: built on the node until the registry is up',
  '    owner: platform@example.com',
  '    expires: 2026-12-31',
  '',
].join('\n');

t.test('allowed with a warning under the exception, denied after it expired', async (t) => {
  let now = new Date('2026-12-31T23:59:59Z');
  const server = await startTestServer({ policy: POLICY, engine: { clock: () => now } });
  t.teardown(() => server.stop());

  const excused = (await server.post('/validate', review())).json<Answer>().response;
  t.equal(excused.allowed, true);
  t.same(
    excused.warnings?.map((w) => w.slice(0, w.indexOf(': container'))),
    [
      '[image-registry] not denied (exception #1, owner platform@example.com, until 2026-12-31: built on the node until the registry is up)',
      '[image-tag] not denied (exception #1, owner platform@example.com, until 2026-12-31: built on the node until the registry is up)',
    ],
  );
  const [line] = server.logs.filter((l) => l.msg === 'admission decision');
  t.match(line, { decision: 'warned', rules: ['image-registry', 'image-tag'], exceptions: [1] });
  t.match(await server.metrics(), /^kube_hygiene_policy_exceptions\{state="active"\} 1$/m);

  now = new Date('2027-01-01T00:00:00Z');
  const denied = (await server.post('/validate', review())).json<Answer>().response;
  t.equal(denied.allowed, false, 'the next day, without a restart or a reload');
  t.equal(denied.status?.code, 403);
  t.match(
    denied.status?.message,
    /- \[image-tag\] exception #1 \(owner platform@example\.com\) expired on 2026-12-31: container "assistant"/,
  );
  t.notOk(denied.warnings);
  const deniedLine = server.logs.filter((l) => l.msg === 'admission decision')[1];
  t.match(deniedLine, { decision: 'denied' });
  t.notOk(deniedLine && 'exceptions' in deniedLine, 'an expired exception let nothing through');
  const metrics = await server.metrics();
  t.match(metrics, /^kube_hygiene_policy_exceptions\{state="active"\} 0$/m);
  t.match(metrics, /^kube_hygiene_policy_exceptions\{state="expired"\} 1$/m, 'the gauge follows the clock');

  const elsewhere = review();
  elsewhere.request.namespace = 'shop';
  now = new Date('2026-06-01T00:00:00Z');
  const other = (await server.post('/validate', elsewhere)).json<Answer>().response;
  t.equal(other.allowed, false, 'a namespace the exception does not name is judged in full');
  t.notMatch(other.status?.message, /exception/);
});
