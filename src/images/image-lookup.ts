// What rules may ask of image registries: an image's platforms and the digest its tag names,
// answered by the shared registry client under one request's deadline and with that pod's own
// pull credentials. Rules get this narrow interface, never the client, so tests can hand them
// an object literal and the engine stays free of I/O.
import type { V1PodSpec } from '@kubernetes/client-node';
import { normalizedString, type ImageReference } from './reference.js';
import { resolvePlatforms, type PlatformResult } from './platforms.js';
import { resolveImageDigest, type DigestResult } from './resolve-digest.js';
import type { RegistryClient } from './registry/client.js';
import type { CredentialStore } from './registry/credentials.js';
import { LookupFailure } from './registry/lookup-error.js';
import type { Deadline } from './lookup-budget.js';

export interface ImageLookup {
  /** Platforms of `ref`, asked with the credentials of the pod whose spec is `pod`. */
  platforms(ref: ImageReference, pod: V1PodSpec): Promise<PlatformResult>;
  /** The digest `ref` names now (or confirms it exists, for a digest reference). */
  digest(ref: ImageReference, pod: V1PodSpec): Promise<DigestResult>;
}

/** A pod's pull credentials (its imagePullSecrets and its service account's), by registry host. */
export type PullCredentials = (
  namespace: string,
  podSpec: V1PodSpec,
  deadline: Deadline,
) => Promise<CredentialStore>;

export interface LookupRequest {
  readonly namespace: string;
  /** The request's registry budget; its signal is read only by lookups that go to the network. */
  readonly deadline: Deadline;
  readonly pullCredentials?: PullCredentials | undefined;
}

/**
 * The label of `kube_hygiene_registry_lookups_total`: `cached` (answered without asking the
 * registry), `ok` (the registry answered), or why the lookup failed.
 */
export type LookupResult = 'cached' | 'ok' | LookupFailure;

// Distinct images one review may ask registries about. A pod names a handful; one that names
// thousands (a 5,000-container Deployment) would send thousands of requests to registries and
// queue every other review's lookups (and DNS queries) behind them. Past the cap, images are not
// looked up, and the rules say so as they say any other lookup failure.
export const MAX_IMAGES_PER_REQUEST = 100;

/** Whether an image is among the first MAX_IMAGES_PER_REQUEST distinct ones of a request. */
function imagesAdmitted(): (ref: ImageReference) => boolean {
  const seen = new Set<string>();
  return (ref) => {
    const key = normalizedString(ref);
    if (seen.has(key)) return true;
    if (seen.size >= MAX_IMAGES_PER_REQUEST) return false;
    seen.add(key);
    return true;
  };
}

const notAsked = (ref: ImageReference) =>
  ({
    ok: false,
    image: normalizedString(ref),
    failure: LookupFailure.tooManyImages,
    message: `not looked up: this review names more than ${MAX_IMAGES_PER_REQUEST} images, the most one review may ask registries about`,
  }) as const;

/** The registry client of one loaded policy, bound to each request in turn. */
export class RegistryLookups {
  constructor(
    readonly client: RegistryClient,
    private readonly onResult: (result: LookupResult) => void = () => {},
  ) {}

  forRequest({ namespace, deadline, pullCredentials }: LookupRequest): ImageLookup {
    const admitted = imagesAdmitted();
    // One credentials read per pod spec per request, however many images it holds.
    const perPod = new WeakMap<V1PodSpec, Promise<CredentialStore | undefined>>();
    const credentialsOf = (pod: V1PodSpec) => {
      if (!pullCredentials) return Promise.resolve(undefined);
      let found = perPod.get(pod);
      if (!found) {
        // Unreadable pull secrets leave the server's own credentials, which is what a lookup
        // without the seam would have used; the lookup itself then says what went wrong.
        found = pullCredentials(namespace, pod, deadline).catch(() => undefined);
        perPod.set(pod, found);
      }
      return found;
    };
    const count = <R extends PlatformResult | DigestResult>(result: R): R => {
      this.onResult(result.ok ? (result.cached ? 'cached' : 'ok') : result.failure);
      return result;
    };
    return {
      platforms: async (ref, pod) =>
        count(
          admitted(ref)
            ? await resolvePlatforms(this.client, ref, deadline, await credentialsOf(pod))
            : notAsked(ref),
        ),
      digest: async (ref, pod) =>
        count(
          admitted(ref)
            ? await resolveImageDigest(this.client, ref, deadline, await credentialsOf(pod))
            : notAsked(ref),
        ),
    };
  }
}
