// A misbehaving registry: every fault is answered within the lookup deadline with a failure
// that names it, the registry is rested rather than hammered, and credentials never follow
// a redirect to another origin.
import { createHash } from 'node:crypto';
import t from 'tap';
import { formatPlatform, resolvePlatforms } from '../../../src/images/platforms.js';
import { parseImageReference, type ImageReference } from '../../../src/images/reference.js';
import { RegistryClient } from '../../../src/images/registry/client.js';
import type { RegistryClientOptions } from '../../../src/images/registry/client-options.js';
import { parseDockerConfig } from '../../../src/images/registry/credentials.js';
import { LookupFailure } from '../../../src/images/registry/lookup-error.js';
import { MediaType } from '../../../src/images/registry/media-types.js';
import { LookupBudget, type Deadline } from '../../../src/images/lookup-budget.js';
import { NO_DIGEST_INDEX, startFaultServer, type FaultServer } from '../../harness/registry/fault-server.js';

const TIMEOUT_MS = 400;
// Slack for a loaded 2-core machine; the point is "bounded", not "fast".
const SLACK_MS = 600;

function ref(image: string): ImageReference {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ref;
}

function clientFor(server: FaultServer, options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({
    registries: { [server.host]: { insecure: true, allowPrivateAddress: true } },
    timeoutMs: TIMEOUT_MS,
    ...options,
  });
}

async function timed(client: RegistryClient, image: string, deadline?: Deadline) {
  const started = performance.now();
  const result = await resolvePlatforms(client, ref(image), deadline);
  return { result, ms: performance.now() - started };
}

t.test('each fault fails within the deadline, with a failure that names it', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  const cases: [fault: string, failure: LookupFailure, message: RegExp][] = [
    ['slow-headers', LookupFailure.timeout, /no answer within the lookup deadline/],
    ['slow-body', LookupFailure.timeout, /deadline/],
    ['hang-token', LookupFailure.timeout, /deadline/],
    ['status-500', LookupFailure.unavailable, /answered 500/],
    ['status-502', LookupFailure.unavailable, /answered 502/],
    ['status-503', LookupFailure.unavailable, /answered 503/],
    ['rate-limited', LookupFailure.unavailable, /answered 429; resting it for 7 s/],
    ['wrong-type', LookupFailure.badResponse, /not an image manifest or index/],
    ['html', LookupFailure.badResponse, /not valid JSON/],
    ['garbage', LookupFailure.badResponse, /not valid JSON/],
    ['json-null', LookupFailure.badResponse, /not a JSON object/],
    ['gzip-bomb', LookupFailure.badResponse, /not valid JSON/],
    ['oversize', LookupFailure.tooLarge, /over the 4194304-byte cap/],
    ['oversize-chunked', LookupFailure.tooLarge, /over the 4194304-byte cap/],
    ['redirect-loop', LookupFailure.tooManyRedirects, /redirected more than 3 times/],
    ['missing', LookupFailure.notFound, /was it pushed\?/],
  ];
  for (const [fault, failure, message] of cases) {
    // A fresh client per fault: the back-off of one must not answer for the next.
    const { result, ms } = await timed(clientFor(server), `${server.host}/${fault}:v1`);
    t.equal(!result.ok && result.failure, failure, `${fault}: ${failure}`);
    t.match(!result.ok && result.message, message, `${fault}: the message says what happened`);
    t.ok(ms < TIMEOUT_MS + SLACK_MS, `${fault}: answered in ${ms.toFixed(0)} ms`);
  }
  const loops = server.requests.filter((r) => r.url.includes('/redirect-loop/') && r.method === 'GET').length;
  t.equal(loops, 4, 'a redirect loop is followed 3 times, then dropped');
});

t.test('a config blob over 1 MiB is refused while it streams', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  const config = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: `sha256:${'b'.repeat(64)}`,
    size: 1,
  };
  server.custom = {
    contentType: MediaType.ociManifest,
    body: Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [] }),
    ),
  };
  const { result, ms } = await timed(clientFor(server), `${server.host}/custom:v1`);
  t.equal(!result.ok && result.failure, LookupFailure.tooLarge);
  t.match(!result.ok && result.message, /over the 1048576-byte cap/);
  t.ok(ms < TIMEOUT_MS + SLACK_MS, `answered in ${ms.toFixed(0)} ms`);
});

t.test("the caller's deadline wins over the lookup timeout", async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  const client = clientFor(server, { timeoutMs: 10_000 });
  const { result, ms } = await timed(client, `${server.host}/slow-headers:v1`, new LookupBudget(150));
  t.equal(!result.ok && result.failure, LookupFailure.timeout);
  t.ok(ms < 150 + SLACK_MS, `answered in ${ms.toFixed(0)} ms`);
});

t.test('a schema1 manifest gives its architecture', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  const { result } = await timed(clientFor(server), `${server.host}/schema1:old`);
  t.same(result.ok && result.platforms.map(formatPlatform), ['linux/arm64']);
});

t.test(
  'a registry that names no digest on HEAD (or has no HEAD) is read once by tag and hashed',
  async (t) => {
    const server = await startFaultServer();
    t.teardown(server.close);
    const client = clientFor(server);
    const first = await resolvePlatforms(client, ref(`${server.host}/no-digest:v1`));
    t.same(first.ok && first.platforms.map(formatPlatform), ['linux/s390x']);
    t.equal(first.ok && first.digest, `sha256:${createHash('sha256').update(NO_DIGEST_INDEX).digest('hex')}`);
    await resolvePlatforms(client, ref(`${server.host}/no-digest:v1`));
    const gets = server.requests.filter((r) => r.method === 'GET').map((r) => r.url);
    t.same(gets, ['/v2/no-digest/manifests/v1'], 'one GET by tag; then the tag and content are cached');
    const noHead = await resolvePlatforms(client, ref(`${server.host}/no-head:v1`));
    t.same(
      noHead.ok && noHead.platforms.map(formatPlatform),
      ['linux/s390x'],
      'HEAD answered 405: read by tag',
    );
  },
);

t.test('429 and 5xx rest the registry: Retry-After honoured, pauses doubling without it', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  let clock = 5_000_000;
  const client = clientFor(server, { now: () => clock, negativeTtlMs: 0 });
  const asked = () => server.requests.length;

  await timed(client, `${server.host}/rate-limited:a`);
  const afterFirst = asked();
  const during = await timed(client, `${server.host}/rate-limited:b`);
  t.equal(
    !during.result.ok && during.result.failure,
    LookupFailure.backingOff,
    'inside Retry-After: not asked',
  );
  t.equal(asked(), afterFirst, 'no request reached the registry while it rests');
  clock += 6_000;
  await timed(client, `${server.host}/rate-limited:c`);
  t.equal(asked(), afterFirst, 'still resting at 6 s of the 7 s it asked for');
  clock += 1_500;
  await timed(client, `${server.host}/rate-limited:d`);
  t.equal(asked(), afterFirst + 1, 'asked again once Retry-After passed');

  const other = clientFor(server, { now: () => clock, negativeTtlMs: 0, backoffInitialMs: 1000 });
  await timed(other, `${server.host}/status-503:a`);
  const n = asked();
  clock += 900;
  await timed(other, `${server.host}/status-503:b`);
  t.equal(asked(), n, 'first pause: about 1 s');
  clock += 200;
  await timed(other, `${server.host}/status-503:c`);
  t.equal(asked(), n + 1, 'asked after 1 s');
  clock += 1_500;
  await timed(other, `${server.host}/status-503:d`);
  t.equal(asked(), n + 1, 'second pause is longer: 2 s');
  clock += 600;
  await timed(other, `${server.host}/status-503:e`);
  t.equal(asked(), n + 2, 'asked after 2 s');
});

t.test('Retry-After: 0 is no licence to ask on every review; a day of Retry-After is capped', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  let clock = 5_000_000;
  const asked = () => server.requests.length;
  // 30 reviews in 6 s, one every 200 ms, each naming another tag on a registry that answers
  // 429 with Retry-After: 0: the doubling pause is the floor, as if it had sent no header.
  const eager = clientFor(server, { now: () => clock, negativeTtlMs: 0 });
  const failures = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const { result } = await timed(eager, `${server.host}/rate-limited-now:v${i}`);
    if (!result.ok) failures.add(result.failure);
    clock += 200;
  }
  t.equal(asked(), 3, 'asked at 0 s, 1 s and 3 s, not 30 times');
  t.same([...failures].sort(), [LookupFailure.backingOff, LookupFailure.unavailable]);

  // Retry-After of a day: rested for backoffMaxSeconds (60 s by default), then asked again.
  const patient = clientFor(server, { now: () => clock, negativeTtlMs: 0 });
  const before = asked();
  const first = await timed(patient, `${server.host}/rate-limited-day:a`);
  t.match(!first.result.ok && first.result.message, /answered 429; resting it for 60 s/);
  clock += 59_000;
  await timed(patient, `${server.host}/rate-limited-day:b`);
  t.equal(asked(), before + 1, 'still resting at 59 s');
  clock += 1_500;
  await timed(patient, `${server.host}/rate-limited-day:c`);
  t.equal(asked(), before + 2, 'asked again after the 60 s ceiling, not after a day');
});

t.test('a refused cached token is replaced, not retried', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  const client = clientFor(server);
  t.ok((await resolvePlatforms(client, ref(`${server.host}/bearer:v1`))).ok, 'first token');
  server.revokeTokens();
  const after = await resolvePlatforms(client, ref(`${server.host}/bearer:v2`));
  t.ok(after.ok, `a new token after the old one was refused: ${after.ok ? '' : after.message}`);
  t.equal(server.requests.filter((r) => r.url.startsWith('/token')).length, 2, 'two tokens in all');
});

t.test('credentials stay with their registry', async (t) => {
  const server = await startFaultServer();
  const storage = await startFaultServer();
  t.teardown(server.close);
  t.teardown(storage.close);
  server.targets.redirect = `${storage.url}/blobs/somewhere`;
  const config = JSON.stringify({ auths: { [server.host]: { username: 'alice', password: 's3cret-pass' } } });
  const client = new RegistryClient({
    registries: {
      [server.host]: { insecure: true, allowPrivateAddress: true },
      [storage.host]: { insecure: true, allowPrivateAddress: true },
    },
    credentials: parseDockerConfig(config),
    timeoutMs: TIMEOUT_MS,
  });
  await resolvePlatforms(client, ref(`${server.host}/basic-redirect:v1`));
  t.ok(
    server.requests.some((r) => r.authorization?.startsWith('Basic ')),
    'the registry got its credentials',
  );
  t.ok(storage.requests.length > 0, 'the redirect was followed');
  t.ok(
    storage.requests.every((r) => r.authorization === undefined),
    'the other origin never saw them',
  );
  t.notMatch(
    JSON.stringify([...parseDockerConfig(config).values()]),
    /s3cret-pass/,
    'serialising never shows a password',
  );
});
