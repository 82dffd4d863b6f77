// Platforms resolved from a real registry (docker-registry on 127.0.0.1), in all three auth
// modes: anonymous plain HTTP, HTTPS with Basic auth under a CA made for this run, and the
// Bearer token flow, with credentials read from a docker config.json.
import t from 'tap';
import { formatPlatform, resolvePlatforms } from '../../../src/images/platforms.js';
import { parseImageReference, type ImageReference } from '../../../src/images/reference.js';
import { RegistryClient } from '../../../src/images/registry/client.js';
import { resolveImageDigest } from '../../../src/images/resolve-digest.js';
import { parseDockerConfig } from '../../../src/images/registry/credentials.js';
import { LookupFailure } from '../../../src/images/registry/lookup-error.js';
import {
  AuthMode,
  PRIVATE_PREFIX,
  startSeededRegistry,
  type SeededRegistry,
} from '../../harness/registry/registries.js';
import { MISSING } from '../../harness/registry/seed.js';

function ref(image: string): ImageReference {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ref;
}

function clientFor(seeded: SeededRegistry, withCredentials = true): RegistryClient {
  return new RegistryClient({
    registries: seeded.settings,
    credentials: withCredentials && seeded.dockerConfig ? parseDockerConfig(seeded.dockerConfig) : new Map(),
  });
}

for (const mode of Object.values(AuthMode)) {
  t.test(`${mode} registry`, async (t) => {
    const seeded = await startSeededRegistry(mode);
    t.teardown(seeded.stop);
    const client = clientFor(seeded);

    for (const image of seeded.images) {
      const result = await resolvePlatforms(
        client,
        ref(`${seeded.registry.host}/${image.repo}:${image.tag}`),
      );
      t.ok(result.ok, `${image.repo} resolves: ${result.ok ? '' : result.message}`);
      if (!result.ok) continue;
      t.same(result.platforms.map(formatPlatform).sort(), image.platforms, `${image.repo} (${image.kind})`);
      t.equal(result.digest, image.manifest.digest, `${image.repo}: the tag's digest is the pushed one`);

      const byDigest = await resolvePlatforms(
        client,
        ref(`${seeded.registry.host}/${image.repo}@${image.manifest.digest}`),
      );
      t.same(
        byDigest.ok && byDigest.platforms.map(formatPlatform).sort(),
        image.platforms,
        `${image.repo} by digest`,
      );
    }

    await seeded.registry.logSettled();
    const manifestGets = seeded.registry.countRequests('GET', '/manifests/');
    const missing = await resolvePlatforms(
      client,
      ref(`${seeded.registry.host}/${MISSING.repo}:${MISSING.tag}`),
    );
    t.equal(!missing.ok && missing.failure, LookupFailure.notFound, 'a tag never pushed is "not found"');
    t.match(!missing.ok && missing.message, /is not in the registry \(was it pushed\?\)/);

    const digestClient = clientFor(seeded);
    for (const image of seeded.images) {
      const tagged = await resolveImageDigest(
        digestClient,
        ref(`${seeded.registry.host}/${image.repo}:${image.tag}`),
      );
      t.equal(tagged.ok && tagged.digest, image.manifest.digest, `${image.repo}: the tag's digest, by HEAD`);
    }
    const pinned = seeded.images[1]!;
    const byDigest = await resolveImageDigest(
      digestClient,
      ref(`${seeded.registry.host}/${pinned.repo}@${pinned.manifest.digest}`),
    );
    t.ok(byDigest.ok, 'a pushed digest exists');
    const neverPushed = `sha256:${'0'.repeat(64)}`;
    const absent = await resolveImageDigest(
      digestClient,
      ref(`${seeded.registry.host}/${pinned.repo}@${neverPushed}`),
    );
    t.equal(!absent.ok && absent.failure, LookupFailure.notFound, 'a digest never pushed is "not found"');
    const absentTag = await resolveImageDigest(
      digestClient,
      ref(`${seeded.registry.host}/${MISSING.repo}:${MISSING.tag}`),
    );
    t.equal(!absentTag.ok && absentTag.failure, LookupFailure.notFound, 'so is a tag never pushed');
    await seeded.registry.logSettled();
    t.equal(
      seeded.registry.countRequests('GET', '/manifests/'),
      manifestGets,
      'existence is asked with HEAD only',
    );

    if (mode !== AuthMode.plain) {
      const anonymous = clientFor(seeded, false);
      const image = seeded.images[0]!;
      const repo = mode === AuthMode.token ? PRIVATE_PREFIX + image.repo : image.repo;
      const refused = await resolvePlatforms(anonymous, ref(`${seeded.registry.host}/${repo}:${image.tag}`));
      t.equal(
        !refused.ok && refused.failure,
        LookupFailure.unauthorized,
        'no credentials: unauthorized, not missing',
      );
      t.match(
        !refused.ok && refused.message,
        /imagePullSecrets .*registryLookup\.dockerConfig/,
        'the message says where credentials go',
      );
    }
    if (mode === AuthMode.token) {
      const image = seeded.images[0]!;
      const priv = await resolvePlatforms(
        client,
        ref(`${seeded.registry.host}/${PRIVATE_PREFIX}${image.repo}:${image.tag}`),
      );
      t.same(
        priv.ok && priv.platforms.map(formatPlatform).sort(),
        image.platforms,
        'a private repository with credentials',
      );
      const asked = seeded.tokenServer!.requests;
      t.ok(
        asked.some((r) => r.user === null && r.status === 200),
        'public repositories got anonymous-capable tokens',
      );
      t.ok(
        asked.every((r) => r.scopes.every((s) => s.endsWith(':pull'))),
        'only pull scopes are ever asked for',
      );
    }
    if (mode === AuthMode.basic) {
      const untrusted = new RegistryClient({
        registries: { [seeded.registry.host]: { allowPrivateAddress: true } },
        credentials: parseDockerConfig(seeded.dockerConfig!),
      });
      const result = await resolvePlatforms(untrusted, ref(`${seeded.registry.host}/multi:v1.0.0`));
      t.equal(
        !result.ok && result.failure,
        LookupFailure.unavailable,
        'without caFile the certificate is not trusted',
      );
      t.match(!result.ok && result.message, /certificate/i);
    }
  });
}

t.test('an endpoint points a public registry name at a mirror', async (t) => {
  const seeded = await startSeededRegistry(AuthMode.plain, undefined);
  t.teardown(seeded.stop);
  const client = new RegistryClient({
    registries: {
      'registry.example.test': { endpoint: `http://${seeded.registry.host}` },
      [seeded.registry.host]: { insecure: true, allowPrivateAddress: true },
    },
  });
  const image = seeded.images[1]!;
  const result = await resolvePlatforms(client, ref(`registry.example.test/${image.repo}:${image.tag}`));
  t.same(result.ok && result.platforms.map(formatPlatform).sort(), image.platforms);
  t.equal(
    result.image,
    `registry.example.test/${image.repo}:${image.tag}`,
    'results name the image as written',
  );
});
