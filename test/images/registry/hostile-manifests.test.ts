// Whatever a registry serves as a manifest, the resolver answers with a result and never
// throws: generated JSON of every shape, under every manifest media type.
import fc from 'fast-check';
import t from 'tap';
import { resolvePlatforms } from '../../../src/images/platforms.js';
import { parseImageReference, type ImageReference } from '../../../src/images/reference.js';
import { RegistryClient } from '../../../src/images/registry/client.js';
import { LookupFailure } from '../../../src/images/registry/lookup-error.js';
import { MediaType } from '../../../src/images/registry/media-types.js';
import { startFaultServer } from '../../harness/registry/fault-server.js';

const RUNS = Number(process.env.HOSTILE_MANIFEST_RUNS ?? 300);

t.test('generated manifests never make the resolver throw', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  const parsed = parseImageReference(`${server.host}/custom:v1`);
  const ref = (parsed as { ok: true; ref: ImageReference }).ref;
  const platform = fc.record(
    {
      os: fc.oneof(fc.constantFrom('linux', 'windows', 'unknown'), fc.anything()),
      architecture: fc.anything(),
      variant: fc.anything(),
    },
    { requiredKeys: [] },
  );
  const entry = fc.oneof(
    fc.anything(),
    fc.record(
      { platform, annotations: fc.dictionary(fc.string(), fc.anything()), mediaType: fc.string() },
      { requiredKeys: [] },
    ),
  );
  const manifest = fc.oneof(
    fc.anything(),
    fc.record(
      { schemaVersion: fc.constantFrom(1, 2), manifests: fc.oneof(fc.array(entry), fc.anything()) },
      { requiredKeys: [] },
    ),
    fc.record({ schemaVersion: fc.constant(1), architecture: fc.anything() }, { requiredKeys: [] }),
    fc.record(
      {
        config: fc.record(
          { digest: fc.oneof(fc.string(), fc.anything()), mediaType: fc.anything() },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
  );
  let resolved = 0;
  await fc.assert(
    fc.asyncProperty(manifest, fc.constantFrom(...Object.values(MediaType)), async (body, contentType) => {
      server.custom = { contentType, body: Buffer.from(JSON.stringify(body) ?? 'undefined') };
      // A fresh client each time: nothing cached from the previous case.
      const result = await resolvePlatforms(
        new RegistryClient({ registries: { [server.host]: { insecure: true, allowPrivateAddress: true } } }),
        ref,
      );
      if (result.ok) {
        resolved += 1;
        return (
          result.platforms.length > 0 &&
          result.platforms.every((p) => typeof p.os === 'string' && typeof p.architecture === 'string')
        );
      }
      return [LookupFailure.badResponse, LookupFailure.notFound, LookupFailure.tooLarge].includes(
        result.failure as 'bad-response',
      );
    }),
    { numRuns: RUNS, seed: 20261123 },
  );
  t.pass(`${RUNS} generated manifests answered with a result (${resolved} resolved to platforms)`);
});
