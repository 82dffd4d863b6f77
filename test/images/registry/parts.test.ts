// The small parts the client is made of: bounded caches, shared flights, auth challenges,
// docker config.json credentials and Retry-After.
import { inspect } from 'node:util';
import t from 'tap';
import { parseRetryAfter } from '../../../src/images/registry/backoff.js';
import { LruCache, SingleFlight, TtlCache } from '../../../src/images/registry/caches.js';
import { parseChallenge } from '../../../src/images/registry/challenge.js';
import { parseDockerConfig, registryKey } from '../../../src/images/registry/credentials.js';
import { RegistryHosts } from '../../../src/images/registry/host-settings.js';
import { LookupFailure, type RegistryLookupError } from '../../../src/images/registry/lookup-error.js';

t.test('the LRU is bounded by count and by bytes, dropping the least recently used', async (t) => {
  const lru = new LruCache<Buffer>(3, 100, (b) => b.length);
  lru.set('a', Buffer.alloc(10));
  lru.set('b', Buffer.alloc(10));
  lru.set('c', Buffer.alloc(10));
  lru.get('a');
  lru.set('d', Buffer.alloc(10));
  t.equal(lru.get('b'), undefined, 'b was least recently used');
  t.ok(lru.get('a') && lru.get('c') && lru.get('d'));
  lru.set('big', Buffer.alloc(90));
  t.ok(lru.weight <= 100, `weight ${lru.weight} within 100 bytes`);
  t.ok(lru.get('big'), 'the newest entry stays');
  lru.set('huge', Buffer.alloc(101));
  t.equal(lru.get('huge'), undefined, 'an entry over the whole budget is not kept');
  for (let i = 0; i < 10_000; i++) lru.set(`k${i}`, Buffer.alloc(1));
  t.equal(lru.size, 3);
});

t.test('TTL entries expire on their own clock', async (t) => {
  let now = 0;
  const ttl = new TtlCache<string>(10, () => now);
  ttl.set('tag', 'sha256:1', 1000);
  now = 999;
  t.equal(ttl.get('tag'), 'sha256:1');
  now = 1000;
  t.equal(ttl.get('tag'), undefined);
  ttl.set('never', 'x', 0);
  t.equal(ttl.get('never'), undefined, 'a zero TTL keeps nothing');
});

t.test('single-flight shares one call per key, and forgets it once settled', async (t) => {
  const flights = new SingleFlight<number>();
  let calls = 0;
  const work = () => new Promise<number>((resolve) => setTimeout(() => resolve(++calls), 10));
  const answers = await Promise.all([1, 2, 3].map(() => flights.run('k', work)));
  t.same(answers, [1, 1, 1]);
  t.equal(await flights.run('k', work), 2, 'a later call starts a new flight');
  await t.rejects(flights.run('bad', () => Promise.reject(new Error('no'))));
  t.equal(await flights.run('bad', () => Promise.resolve(7)), 7, 'a failure is not kept');
});

t.test('auth challenges', async (t) => {
  t.same(
    parseChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
    ),
    {
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/nginx:pull',
    },
  );
  t.equal(
    parseChallenge(['Basic realm="r"', 'Bearer realm="https://x/t"'])?.scheme,
    'bearer',
    'Bearer preferred',
  );
  t.same(parseChallenge('basic realm=plain')?.realm, 'plain', 'unquoted values, any case');
  t.equal(parseChallenge('Negotiate abc'), undefined, 'unknown schemes are not guessed at');
  t.equal(parseChallenge(undefined), undefined);
});

t.test('docker config.json credentials', async (t) => {
  const config = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub:pass').toString('base64') },
      'ghcr.io': { username: 'gh', password: 'token' },
      '10.0.0.5:30500': { auth: '' },
      'quay.io': { identitytoken: 'only-a-token' },
    },
  });
  const store = parseDockerConfig(config);
  t.same(
    store.get('docker.io'),
    { username: 'hubuser', password: 'hub:pass' },
    'Docker Hub URL key, colon in password',
  );
  t.same(store.get('ghcr.io'), { username: 'gh', password: 'token' });
  t.notOk(store.has('10.0.0.5:30500'), 'an empty entry gives no credential');
  t.notOk(store.has('quay.io'), 'identity tokens alone are not used');
  t.equal(registryKey('https://REGISTRY-1.docker.io/'), 'docker.io');
  t.notMatch(JSON.stringify([...store.values()]), /hub:pass|token"/, 'never serialised with the password');
  t.notMatch(inspect(store, { depth: 5 }), /hub:pass|'token'/, 'nor shown by console.log');
  t.equal(store.get('docker.io')?.password, 'hub:pass', 'while the client still reads it');
  t.throws(() => parseDockerConfig('{not json'));
});

t.test('Retry-After as seconds or as an HTTP date', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(parseRetryAfter('7', now), 7000);
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  t.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0, 'a date in the past means now');
  t.equal(parseRetryAfter('soon', now), undefined);
  t.equal(parseRetryAfter(undefined, now), undefined);
});

t.test('where a registry lives, and what each host may do', async (t) => {
  const hosts = new RegistryHosts({
    'docker.io': { endpoint: 'https://mirror.internal:5000' },
    '10.0.0.5:30500': { insecure: true, allowPrivateAddress: true },
  });
  t.equal(
    new RegistryHosts().baseUrl('docker.io').href,
    'https://registry-1.docker.io/',
    "Docker Hub's API host",
  );
  t.equal(hosts.baseUrl('docker.io').href, 'https://mirror.internal:5000/', 'an endpoint replaces it');
  t.equal(hosts.baseUrl('ghcr.io').href, 'https://ghcr.io/', 'HTTPS by default');
  t.equal(hosts.baseUrl('10.0.0.5:30500').href, 'http://10.0.0.5:30500/', 'plain HTTP when insecure');
  t.same(hosts.policyFor(new URL('http://10.0.0.5:30500/v2/')).allowPrivate, true);
  t.same(hosts.policyFor(new URL('https://mirror.internal:5000/v2/')).allowPrivate, false);
  const failureOf = (url: string) => {
    try {
      hosts.policyFor(new URL(url));
      return 'allowed';
    } catch (err) {
      return (err as RegistryLookupError).failure;
    }
  };
  t.equal(failureOf('http://ghcr.io/v2/'), LookupFailure.insecureRefused);
  t.equal(failureOf('http://10.0.0.5:30501/v2/'), LookupFailure.insecureRefused, 'settings are per port');
});
