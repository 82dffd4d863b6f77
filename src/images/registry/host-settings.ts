// Per-host registry settings (the policy's `registries` map) turned into answers for one URL:
// where a registry's API lives, whether plain HTTP and private addresses are allowed for a
// host, and which CA to trust. A host gets these only from its own entry (by key or by its
// endpoint's host): a redirect or token realm on another host is judged by that host's entry.
import { readFileSync } from 'node:fs';
import { LookupFailure, RegistryLookupError } from './lookup-error.js';

export interface RegistryHostSettings {
  /** Mirror or override, like containerd's hosts.toml: `https://mirror.internal:5000`. */
  readonly endpoint?: string | undefined;
  /** Plain HTTP allowed. */
  readonly insecure?: boolean | undefined;
  /** PEM bundle to trust for this host's TLS. */
  readonly caFile?: string | undefined;
  /** Loopback, private and link-local addresses allowed for this host. */
  readonly allowPrivateAddress?: boolean | undefined;
}

export interface HostPolicy {
  readonly insecure: boolean;
  readonly allowPrivate: boolean;
  readonly ca: Buffer | undefined;
}

// Docker Hub's API does not live at its name.
const DOCKER_HUB_API = 'https://registry-1.docker.io';

export class RegistryHosts {
  readonly #byRegistry = new Map<string, RegistryHostSettings>();
  readonly #byUrlHost = new Map<string, HostPolicy>();

  constructor(settings: Readonly<Record<string, RegistryHostSettings>> = {}) {
    for (const [key, entry] of Object.entries(settings)) {
      const registry = key.toLowerCase();
      this.#byRegistry.set(registry, entry);
      const policy: HostPolicy = {
        insecure: entry.insecure === true,
        allowPrivate: entry.allowPrivateAddress === true,
        ca: entry.caFile ? readCa(registry, entry.caFile) : undefined,
      };
      this.#byUrlHost.set(new URL(`http://${registry}`).host, policy);
      if (entry.endpoint) this.#byUrlHost.set(new URL(entry.endpoint).host, policy);
    }
  }

  /** The API base URL for a registry name as written in an image (`ghcr.io`, `10.0.0.5:30500`). */
  baseUrl(registry: string): URL {
    const entry = this.#byRegistry.get(registry.toLowerCase());
    if (entry?.endpoint) return new URL(entry.endpoint.replace(/\/+$/, ''));
    if (registry === 'docker.io') return new URL(DOCKER_HUB_API);
    return new URL(`${entry?.insecure ? 'http' : 'https'}://${registry}`);
  }

  /** Settings that apply to a URL about to be requested; throws when plain HTTP is not allowed. */
  policyFor(url: URL): HostPolicy {
    const policy = this.#byUrlHost.get(url.host) ?? { insecure: false, allowPrivate: false, ca: undefined };
    if (url.protocol === 'https:') return policy;
    if (url.protocol === 'http:' && policy.insecure) return policy;
    throw new RegistryLookupError(
      LookupFailure.insecureRefused,
      `refusing ${url.protocol}//${url.host}: only HTTPS is used unless registries["${url.host}"].insecure is true`,
    );
  }
}

function readCa(registry: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`registries["${registry}"].caFile ${path} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
