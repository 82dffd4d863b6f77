// Whether an image is in its registry, and the digest its tag names now: what `image-exists`
// (a 404 means "was it pushed?") and `image-digest` (pin the tag to what it is today) need.
// One HEAD per tag per TTL, shared by concurrent askers. Never throws.
import { normalizedString, type ImageReference } from './reference.js';
import type { RegistryClient } from './registry/client.js';
import { asLookupError, type LookupFailure } from './registry/lookup-error.js';
import { credentialIdentity, type CredentialStore } from './registry/credentials.js';
import type { Deadline } from './lookup-budget.js';

export type DigestResult =
  | {
      readonly ok: true;
      readonly image: string;
      readonly digest: string;
      /** Answered from the tag cache (or the reference's own digest), without asking the registry. */
      readonly cached?: true;
    }
  | { readonly ok: false; readonly image: string; readonly failure: LookupFailure; readonly message: string };

export async function resolveImageDigest(
  client: RegistryClient,
  ref: ImageReference,
  /** The caller's deadline (its signal is read only if the answer is not cached). */
  deadline?: Deadline,
  /** The requester's own pull credentials, tried before the server's. */
  credentials?: CredentialStore,
): Promise<DigestResult> {
  const image = normalizedString(ref);
  // A digest reference still asks once whether the digest exists; a known tag needs no one.
  const known = ref.digest ? undefined : client.knownDigest(ref);
  if (known) return { ok: true, image, digest: known, cached: true };
  try {
    const digest = await client.share(
      `digest ${image} ${credentialIdentity(ref.registry, credentials)}`,
      (budget) =>
        ref.digest
          ? client.confirmDigest(ref, ref.digest, budget, credentials)
          : client.resolveDigest(ref, budget, credentials),
      deadline,
    );
    return { ok: true, image, digest };
  } catch (err) {
    const e = asLookupError(err, image);
    return { ok: false, image, failure: e.failure, message: e.message };
  }
}
