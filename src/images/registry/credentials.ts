// Registry credentials from a mounted docker `config.json` (`auths`), read the way the
// kubelet reads them: keys may be bare hosts or URLs (`https://index.docker.io/v1/`), `auth`
// is base64 "user:password". Credentials belong to one registry host and are only handed
// out for it; they are never logged (`toJSON` hides them).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

export interface Credential {
  readonly username: string;
  readonly password: string;
}

export type CredentialStore = ReadonlyMap<string, Credential>;

/**
 * Where a refused lookup's credentials can come from, for messages: the pod's own pull secrets
 * come first because that is where the kubelet will look when it pulls. Kept short and
 * early in its messages: node-arch quotes them in warnings that are cut at 256 bytes.
 */
export const CREDENTIALS_HINT =
  'add imagePullSecrets for it to the pod or its ServiceAccount (read when ' +
  'registryLookup.pullSecrets is true) or credentials to registryLookup.dockerConfig';

/** `https://index.docker.io/v1/` → `docker.io`; `ghcr.io/` → `ghcr.io`. */
export function registryKey(text: string): string {
  const host = text
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

// JSON (pino, JSON.stringify) and util.inspect (console.log, error dumps) both see a mask.
function hidden(credential: Credential): Credential {
  const masked = () => ({ username: credential.username, password: '<redacted>' });
  return Object.defineProperties(
    { ...credential },
    { toJSON: { value: masked }, [inspect.custom]: { value: masked } },
  );
}

/** Parses config.json text; entries that carry no usable user and password are skipped. */
export function parseDockerConfig(text: string): CredentialStore {
  const store = new Map<string, Credential>();
  const auths = (JSON.parse(text) as { auths?: Record<string, Record<string, unknown>> }).auths ?? {};
  for (const [key, entry] of Object.entries(auths)) {
    let username = typeof entry.username === 'string' ? entry.username : '';
    let password = typeof entry.password === 'string' ? entry.password : '';
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
    }
    if (username && password) store.set(registryKey(key), hidden({ username, password }));
  }
  return store;
}

export function loadDockerConfig(path: string): CredentialStore {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read registry credentials ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseDockerConfig(text);
  } catch (err) {
    throw new Error(`registry credentials ${path} are not a docker config.json: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Who a lookup on `registry` acts as: '' for the server's own (mounted) credentials, else a
 * short hash of the requester's credential for that host. Caches of failures, shared flights
 * and tokens are keyed by it, so one requester's refusal is never served to another who holds
 * credentials; the hash cannot be turned back into the secret and is safe to keep in keys.
 */
export function credentialIdentity(registry: string, store: CredentialStore | undefined): string {
  const credential = store?.get(registryKey(registry));
  return credential ? identityOf(credential) : '';
}

export function identityOf(credential: Credential): string {
  return createHash('sha256')
    .update(`${credential.username}\0${credential.password}`)
    .digest('hex')
    .slice(0, 16);
}
