// Manifest media types the client understands. The Accept header lists all of them: a
// registry asked for fewer may answer with a converted manifest (distribution 2.8 rewrites a
// manifest list to its amd64 child, or to schema1) or with 404 for an OCI image.
export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
  `${MediaType.dockerSchema1Signed};q=0.5`,
  `${MediaType.dockerSchema1};q=0.5`,
].join(', ');

const KNOWN = new Set<string>(Object.values(MediaType));

/** The media type of a manifest body: the Content-Type, else the body's own `mediaType`. */
export function manifestMediaType(contentType: string | undefined, body: unknown): MediaType | undefined {
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  if (header && KNOWN.has(header)) return header as MediaType;
  const declared = (body as { mediaType?: unknown } | null)?.mediaType;
  if (typeof declared === 'string' && KNOWN.has(declared)) return declared as MediaType;
  // schema1 bodies carry no mediaType; schemaVersion 1 is enough to know them.
  if ((body as { schemaVersion?: unknown } | null)?.schemaVersion === 1) return MediaType.dockerSchema1;
  return undefined;
}

export function isIndex(type: MediaType): boolean {
  return type === MediaType.ociIndex || type === MediaType.dockerList;
}
