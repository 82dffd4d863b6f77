// The pieces remedies build images from. A remedy only ever names an image made of what the
// user wrote (their repository, tag and digest), a registry the policy allows, or a digest a
// registry answered with; whatever is not known is written as a placeholder (`<tag>`), never
// made up, and each candidate is judged by the policy in force before it is suggested.
import { parseImageReference, type ImageReference } from './reference.js';
import type { RegistryPrefix } from './registry-prefix.js';

/** What follows the repository as written: `:v1.4.2`, `@sha256:…`, `:v1.4.2@sha256:…` or nothing. */
export function writtenSuffix(ref: ImageReference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The repository as the user wrote it, without tag or digest. */
export function writtenRepository(ref: ImageReference): string {
  return ref.original.slice(0, ref.original.length - writtenSuffix(ref).length);
}

/**
 * Where an image would live once pushed under an allowed prefix: `ghcr.io/acme` + `nginx` is
 * `ghcr.io/acme/nginx`; a path that already starts with the prefix's last component is not
 * doubled (`ghcr.io/openpolicyagent` + `openpolicyagent/opa` is `ghcr.io/openpolicyagent/opa`).
 */
export function repositoryUnder(
  prefix: Pick<RegistryPrefix, 'registry' | 'pathPrefix'>,
  ref: ImageReference,
): string {
  const path = ref.registry === 'docker.io' ? ref.path.replace(/^library\//, '') : ref.path;
  if (prefix.pathPrefix === '') return `${prefix.registry}/${path}`;
  const last = prefix.pathPrefix.slice(prefix.pathPrefix.lastIndexOf('/') + 1);
  const rest = path.startsWith(`${last}/`) ? path.slice(last.length + 1) : path;
  return `${prefix.registry}/${prefix.pathPrefix}/${rest}`;
}

/** `text` as a reference, when it is a valid one. */
export function referenceOf(text: string): ImageReference | undefined {
  const parsed = parseImageReference(text);
  return parsed.ok ? parsed.ref : undefined;
}
