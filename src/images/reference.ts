// Image references as the kubelet and containerd read a Pod's `image` field: the
// distribution/reference grammar plus Docker Hub normalisation.
// https://github.com/distribution/reference/blob/main/regexp.go
// https://github.com/distribution/reference/blob/main/normalize.go

export interface ImageReference {
  /** The string as the user wrote it. */
  readonly original: string;
  /** Registry host as written (`ghcr.io`, `10.0.0.5:30500`, `[::1]:5000`), or undefined. */
  readonly domain: string | undefined;
  /** True when the user named the registry; false when Docker Hub is implied. */
  readonly explicitRegistry: boolean;
  /** Registry the runtime will pull from (`docker.io` when none was written). */
  readonly registry: string;
  /** Repository path inside the registry, normalised (`library/nginx`). */
  readonly path: string;
  /** `registry/path`: the fully qualified repository name. */
  readonly name: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export type ParseResult =
  { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly error: string };

const PATH_LENGTH_MAX = 255;
const DOCKER_HUB = 'docker.io';

// Grammar pieces, anchored where they are used.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6})`;
const DOMAIN = new RegExp(`^${host}(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
// The algorithms go-digest registers, with the lower-case hex length each requires; any other
// algorithm is "unsupported digest algorithm" to the kubelet, however well-formed.
// https://github.com/opencontainers/go-digest/blob/master/algorithm.go
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
// A bare 64-hex string is an image ID, not a name: ParseNormalizedNamed refuses it.
const IDENTIFIER = /^[a-f0-9]{64}$/;

function fail(error: string): ParseResult {
  return { ok: false, error };
}

/** Splits `name[:tag][@digest]` without confusing a registry port with a tag. */
function splitReference(s: string): { name: string; tag?: string; digest?: string } {
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A tag colon comes after the last slash; a colon before it belongs to the port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  }
  return { name: rest, digest };
}

function checkDigest(digest: string): string | undefined {
  if (!DIGEST.test(digest)) return `${displayImage(digest)} is not a valid digest (expected sha256:<64 hex>)`;
  const [algorithm, hex] = digest.split(':') as [string, string];
  const length = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (length === undefined) {
    return `digest algorithm "${algorithm}" is not supported (use sha256, sha384 or sha512)`;
  }
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    const upper = /[A-F]/.test(hex) ? ', with upper case' : '';
    return `${algorithm} digest must be ${length} lower-case hex characters, got ${hex.length}${upper}`;
  }
  return undefined;
}

export function parseImageReference(original: string): ParseResult {
  // Manifests are untrusted data: the field may be missing or not a string at all.
  const value: unknown = original;
  if (value === undefined || value === null) return fail('image is empty: the container names no image');
  if (typeof value !== 'string') return fail(`image must be a string, got ${typeof value}`);
  if (original === '') return fail('image is empty');
  if (original !== original.trim()) return fail('image has leading or trailing white space');
  if (IDENTIFIER.test(original)) {
    return fail('a 64-character hex string is an image ID, not a repository name: name the image instead');
  }
  const { name, tag, digest } = splitReference(original);
  if (name === '') return fail('image has no repository name');

  // Docker's rule: the first component is a registry host when it contains "." or ":",
  // is "localhost", or has upper case (repository paths are lower case only).
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isDomain =
    slash !== -1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const domain = isDomain ? first : undefined;
  const remote = isDomain ? name.slice(slash + 1) : name;

  if (domain !== undefined && !DOMAIN.test(domain))
    return fail(`${displayImage(domain)} is not a valid registry host`);
  if (remote === '') return fail('image has no repository path after the registry host');
  if (remote !== remote.toLowerCase())
    return fail(`repository name ${displayImage(remote)} must be lower case`);
  for (const component of remote.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      return fail(
        `${displayImage(component)} is not a valid repository path component in ${displayImage(remote)}`,
      );
    }
  }
  if (tag !== undefined && !TAG.test(tag)) {
    return fail(
      tag.length > 128
        ? `tag is ${tag.length} characters long; the limit is 128`
        : `"${tag}" is not a valid tag (letters, digits, "_", "." and "-"; not starting with "." or "-")`,
    );
  }
  if (digest !== undefined) {
    const problem = checkDigest(digest);
    if (problem) return fail(problem);
  }

  let registry = domain ?? DOCKER_HUB;
  let path = remote;
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  // The limit counts the normalised path without the registry host ("library/" included).
  // https://github.com/distribution/reference/pull/9
  if (path.length > PATH_LENGTH_MAX) {
    return fail(
      `repository path is ${path.length} characters long without the registry host; the limit is ${PATH_LENGTH_MAX}`,
    );
  }
  return {
    ok: true,
    ref: {
      original,
      domain,
      explicitRegistry: domain !== undefined,
      registry,
      path,
      name: `${registry}/${path}`,
      tag,
      digest,
    },
  };
}

/** The normalised reference a runtime pulls: `docker.io/library/nginx:1.25`. */
export function normalizedString(ref: ImageReference): string {
  return ref.name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

const DISPLAY_MAX = 200;

/**
 * The image for a message: quoted, and cut when longer than any real reference, because the
 * field is the Pod author's and is echoed into denials, warnings and audit annotations.
 */
export function displayImage(image: unknown): string {
  if (image === undefined || image === null) return '(none)';
  const text = typeof image === 'string' ? image : JSON.stringify(image);
  if (text.length <= DISPLAY_MAX) return typeof image === 'string' ? `"${text}"` : text;
  const head = text.slice(0, DISPLAY_MAX);
  return `${typeof image === 'string' ? `"${head}…"` : `${head}…`} (${text.length} characters)`;
}
