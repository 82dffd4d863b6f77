// The client is frugal with a real registry, counted in the registry's own access log:
// 1,000 concurrent lookups of one image make the requests of one lookup; a cached image
// costs nothing; an expired tag costs one HEAD and never a manifest GET.
import t from 'tap';
import { resolvePlatforms } from '../../../src/images/platforms.js';
import { parseImageReference, type ImageReference } from '../../../src/images/reference.js';
import { RegistryClient } from '../../../src/images/registry/client.js';
import { AuthMode, startSeededRegistry } from '../../harness/registry/registries.js';

function ref(image: string): ImageReference {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ref;
}

t.test('1,000 concurrent lookups of one image', async (t) => {
  const seeded = await startSeededRegistry(AuthMode.token);
  t.teardown(seeded.stop);
  const { registry } = seeded;
  const client = new RegistryClient({ registries: seeded.settings, timeoutMs: 5000 });

  for (const image of [seeded.images[0]!, seeded.images[2]!]) {
    await registry.logSettled();
    const before = registry.countRequests();
    const tokensBefore = seeded.tokenServer!.requests.length;
    const target = ref(`${registry.host}/${image.repo}:${image.tag}`);
    const results = await Promise.all(Array.from({ length: 1000 }, () => resolvePlatforms(client, target)));
    t.ok(
      results.every((r) => r.ok),
      `${image.repo}: all 1,000 answered`,
    );
    await registry.logSettled();
    const manifestPath = `/v2/${image.repo}/manifests/`;
    t.equal(
      registry.countRequests('HEAD', `${manifestPath}${image.tag}`, 200),
      1,
      `${image.repo}: one HEAD of the tag`,
    );
    t.equal(
      registry.countRequests('GET', `${manifestPath}${image.manifest.digest}`),
      1,
      'one GET of the manifest by digest',
    );
    t.equal(registry.countRequests('GET', `${manifestPath}${image.tag}`), 0, 'never a GET by tag');
    const perLookup = image.manifest.mediaType.includes('index') ? 2 : 3; // + the config blob
    // The first image also pays the 401 that teaches the client the registry's challenge.
    const challenge = image === seeded.images[0] ? 1 : 0;
    t.equal(
      registry.countRequests() - before,
      perLookup + challenge,
      `${image.repo}: requests of one lookup`,
    );
    t.equal(seeded.tokenServer!.requests.length - tokensBefore, 1, 'one token for the repository');
  }
});

t.test('cached lookups cost nothing; an expired tag costs one HEAD', async (t) => {
  const seeded = await startSeededRegistry(AuthMode.plain);
  t.teardown(seeded.stop);
  const { registry } = seeded;
  let clock = 1_000_000;
  const client = new RegistryClient({ registries: seeded.settings, tagTtlMs: 60_000, now: () => clock });
  const image = seeded.images[3]!;
  const target = ref(`${registry.host}/${image.repo}:${image.tag}`);

  t.ok((await resolvePlatforms(client, target)).ok);
  await registry.logSettled();
  const afterFirst = registry.countRequests();
  for (let i = 0; i < 50; i++) await resolvePlatforms(client, target);
  await registry.logSettled();
  t.equal(registry.countRequests(), afterFirst, '50 more lookups within the tag TTL: no request at all');

  clock += 61_000;
  t.ok((await resolvePlatforms(client, target)).ok);
  await registry.logSettled();
  t.equal(registry.countRequests() - afterFirst, 1, 'after the TTL: one request');
  t.equal(registry.countRequests('HEAD', `/manifests/${image.tag}`), 2, 'and it is a HEAD of the tag');
});

t.test('a missing tag is remembered for the negative TTL only', async (t) => {
  const seeded = await startSeededRegistry(AuthMode.plain);
  t.teardown(seeded.stop);
  let clock = 1_000_000;
  const client = new RegistryClient({ registries: seeded.settings, negativeTtlMs: 10_000, now: () => clock });
  const target = ref(`${seeded.registry.host}/multi:not-pushed-yet`);
  for (let i = 0; i < 20; i++) t.notOk((await resolvePlatforms(client, target)).ok);
  await seeded.registry.logSettled();
  t.equal(
    seeded.registry.countRequests('HEAD', '/not-pushed-yet'),
    1,
    '20 lookups of a missing tag: one HEAD',
  );
  clock += 11_000;
  await resolvePlatforms(client, target);
  await seeded.registry.logSettled();
  t.equal(
    seeded.registry.countRequests('HEAD', '/not-pushed-yet'),
    2,
    'asked again once the negative TTL ran out',
  );
});

t.test('a token is reused until its expires_in runs out', async (t) => {
  const seeded = await startSeededRegistry(AuthMode.token);
  t.teardown(seeded.stop);
  let clock = 1_000_000;
  const client = new RegistryClient({ registries: seeded.settings, tagTtlMs: 60_000, now: () => clock });
  const image = seeded.images[2]!;
  const target = ref(`${seeded.registry.host}/${image.repo}:${image.tag}`);
  const tokens = () => seeded.tokenServer!.requests.length;

  t.ok((await resolvePlatforms(client, target)).ok);
  const first = tokens();
  clock += 61_000;
  t.ok((await resolvePlatforms(client, target)).ok, 'the tag is asked again after its TTL');
  t.equal(tokens(), first, 'with the cached token (it lives 300 s)');
  clock += 300_000;
  t.ok((await resolvePlatforms(client, target)).ok);
  t.equal(tokens(), first + 1, 'a new token once expires_in has passed');
});
