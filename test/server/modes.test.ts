// audit vs enforce as chosen by the policy file the server was started with, and a dry run
// getting exactly the answer the real request gets.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { startTestServer } from '../harness/server.js';

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../examples/reviews/${name}`, import.meta.url), 'utf8')) as {
    request: { uid: string; dryRun: boolean };
  };

interface Answer {
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

t.test('enforce (the default policy) denies, audit lets through with warnings', async (t) => {
  const enforce = await startTestServer();
  const audit = await startTestServer({
    policy: 'apiVersion: kube-hygiene.io/v1\nkind: Policy\nmode: audit\n',
  });
  t.teardown(async () => {
    await enforce.stop();
    await audit.stop();
  });
  for (const name of ['pod-create.json', 'deployment-create.json']) {
    const denied = (await enforce.post('/validate', example(name))).json<Answer>().response;
    t.equal(denied.allowed, false, `${name}: enforce denies`);
    t.equal(denied.status?.code, 403);

    const audited = (await audit.post('/validate', example(name))).json<Answer>().response;
    t.equal(audited.allowed, true, `${name}: audit allows`);
    t.notOk(audited.status, 'no denial status');
    t.ok(
      audited.warnings?.some((w) => w.includes('not denied (audit mode)')),
      'every finding becomes a warning',
    );
    t.ok(audited.auditAnnotations?.['image-tag'], 'and an audit annotation');
  }
  const [line] = audit.logs.filter((l) => l.msg === 'admission decision');
  t.match(line, { mode: 'audit', decision: 'warned' });
  t.match((await audit.get('/readyz')).json(), { policy: { mode: 'audit', source: audit.policyFile } });
});

t.test('a dry run gets the same answer as the real request', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  for (const name of ['pod-create.json', 'deployment-create.json', 'deployment-create-allowed.json']) {
    for (const endpoint of ['validate', 'mutate']) {
      const real = example(name);
      const dry = example(name);
      dry.request.dryRun = true;
      const a = (await server.post(`/${endpoint}`, real)).json<Answer>();
      const b = (await server.post(`/${endpoint}`, dry)).json<Answer>();
      t.same(b, a, `${name} on /${endpoint}`);
    }
  }
  t.ok(
    server.logs.some((l) => l.msg === 'admission decision' && l.dryRun === true),
    'the log line says it was a dry run',
  );
});
