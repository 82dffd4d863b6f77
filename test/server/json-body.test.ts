// Small bodies skip Fastify's guarded parser when they cannot name a poisoned key: the value a
// route sees, and the error a bad body gets, must be what Fastify's own parser gives.
import t from 'tap';
import Fastify from 'fastify';
import { jsonBodies, mayHoldPoisonedKeys } from '../../src/server/json-body.js';

async function appWith(parser: 'ours' | 'fastify') {
  const app = Fastify({ logger: false });
  if (parser === 'ours') jsonBodies(app, 1024 * 1024);
  else {
    const guarded = app.getDefaultJsonParser('remove', 'remove');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, guarded);
  }
  // What the route got: own keys all the way down, and whether anything reached a prototype.
  app.post('/', async (req) => ({
    value: req.body,
    ownProto: JSON.stringify(req.body, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? { ...v, _own: Object.keys(v) } : v,
    ),
    polluted: ({} as Record<string, unknown>).polluted ?? null,
  }));
  await app.ready();
  return app;
}

const bodies: Record<string, string> = {
  'a plain review': JSON.stringify({ request: { uid: 'u', object: { metadata: { labels: { a: 'b' } } } } }),
  'a __proto__ member': '{"metadata":{"labels":{"__proto__":{"polluted":"yes"},"a":"b"}}}',
  'an escaped __proto__ member': '{"metadata":{"labels":{"\\u005f_proto__":{"polluted":"yes"},"a":"b"}}}',
  'constructor.prototype': '{"spec":{"constructor":{"prototype":{"polluted":"yes"},"x":1}}}',
  'an escaped constructor': '{"spec":{"\\u0063onstructor":{"prototype":{"polluted":"yes"}}}}',
  'an escape elsewhere': '{"note":"caf\\u00e9 \\u0026 bar"}',
  'a byte-order mark': '\ufeff{"a":1}',
  'an empty body': '',
  'text that is not JSON': '{"a":',
  'a bare string': '"just text"',
};

t.test('every body gets what Fastify’s guarded parser gives it', async (t) => {
  const ours = await appWith('ours');
  const reference = await appWith('fastify');
  t.teardown(() => Promise.all([ours.close(), reference.close()]));
  for (const [what, payload] of Object.entries(bodies)) {
    const request = {
      method: 'POST' as const,
      url: '/',
      payload,
      headers: { 'content-type': 'application/json' },
    };
    const [a, b] = await Promise.all([ours.inject(request), reference.inject(request)]);
    t.equal(a.statusCode, b.statusCode, `${what}: status ${b.statusCode}`);
    t.same(a.json(), b.json(), `${what}: the same value or error`);
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
});

t.test('only text that could name a poisoned key takes the guarded path', async (t) => {
  // Fastify's unguarded parser still says "empty" and skips a byte-order mark, as the guarded one.
  for (const what of ['a plain review', 'a byte-order mark', 'an empty body', 'text that is not JSON'])
    t.notOk(mayHoldPoisonedKeys(bodies[what]!), what);
  for (const what of [
    'a __proto__ member',
    'an escaped __proto__ member',
    'constructor.prototype',
    'an escaped constructor',
    'an escape elsewhere',
  ])
    t.ok(mayHoldPoisonedKeys(bodies[what]!), what);
});
