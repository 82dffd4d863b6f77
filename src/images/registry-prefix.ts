// `allowedRegistries` entries: `host[:port][/path-prefix]`, matched on path boundaries so
// that `ghcr.io/acme` admits `ghcr.io/acme/api` but never `ghcr.io/acme-evil/api`.
import type { ImageReference } from './reference.js';

export interface RegistryPrefix {
  readonly text: string;
  readonly registry: string;
  readonly pathPrefix: string;
}

export function parseRegistryPrefix(text: string): RegistryPrefix {
  const trimmed = text.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const host = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const registry = host.toLowerCase() === 'index.docker.io' ? 'docker.io' : host.toLowerCase();
  // Repository paths are lower case only, so `ghcr.io/MyOrg` can only ever mean `ghcr.io/myorg`.
  return { text, registry, pathPrefix: slash === -1 ? '' : trimmed.slice(slash + 1).toLowerCase() };
}

export function matchesRegistryPrefix(ref: ImageReference, prefix: RegistryPrefix): boolean {
  if (ref.registry.toLowerCase() !== prefix.registry) return false;
  if (prefix.pathPrefix === '') return true;
  return ref.path === prefix.pathPrefix || ref.path.startsWith(prefix.pathPrefix + '/');
}
