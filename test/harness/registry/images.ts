// Synthetic images, built in memory with no container engine: a config blob, one small
// layer, and OCI or Docker manifests and indexes over them. Digests are computed, never
// written down, so tests compare against what was built.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MediaType } from '../../../src/images/registry/media-types.js';

export interface Blob {
  readonly digest: string;
  readonly bytes: Buffer;
}

export interface BuiltManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly blobs: readonly Blob[];
  readonly children: readonly BuiltManifest[];
}

export interface PlatformSpec {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
}

export type Flavour = 'oci' | 'docker';

const CONFIG_TYPE = {
  oci: 'application/vnd.oci.image.config.v1+json',
  docker: 'application/vnd.docker.container.image.v1+json',
};
const LAYER_TYPE = {
  oci: 'application/vnd.oci.image.layer.v1.tar+gzip',
  docker: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const blob = (bytes: Buffer): Blob => ({ digest: digestOf(bytes), bytes });
const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));
const descriptor = (mediaType: string, b: { digest: string; bytes: Buffer }) => ({
  mediaType,
  digest: b.digest,
  size: b.bytes.length,
});

function manifestOf(flavour: Flavour, config: Blob, layerType: string, layer: Blob, configType: string) {
  const mediaType = flavour === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest;
  const bytes = json({
    schemaVersion: 2,
    mediaType,
    config: descriptor(configType, config),
    layers: [descriptor(layerType, layer)],
  });
  return { digest: digestOf(bytes), mediaType, bytes, blobs: [config, layer], children: [] };
}

/** A single-platform image: its platform is only in the config blob. */
export function singleImage(platform: PlatformSpec, flavour: Flavour, label = ''): BuiltManifest {
  const layer = blob(gzipSync(Buffer.from(`layer for ${JSON.stringify(platform)} ${label}`)));
  const diffId = digestOf(Buffer.from(`diff ${layer.digest}`));
  const config = blob(
    json({
      ...platform,
      created: '2025-01-01T00:00:00Z',
      config: { Labels: { label } },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  return manifestOf(flavour, config, LAYER_TYPE[flavour], layer, CONFIG_TYPE[flavour]);
}

/** A BuildKit-style attestation manifest for `subject` (an in-toto layer, no runnable platform). */
export function attestationFor(subject: BuiltManifest): {
  manifest: BuiltManifest;
  annotations: Record<string, string>;
} {
  const statement = blob(
    json({ _type: 'https://in-toto.io/Statement/v0.1', subject: [{ digest: subject.digest }] }),
  );
  const config = blob(
    json({
      architecture: 'unknown',
      os: 'unknown',
      config: {},
      rootfs: { type: 'layers', diff_ids: [statement.digest] },
    }),
  );
  return {
    manifest: manifestOf('oci', config, 'application/vnd.in-toto+json', statement, CONFIG_TYPE.oci),
    annotations: {
      'vnd.docker.reference.type': 'attestation-manifest',
      'vnd.docker.reference.digest': subject.digest,
    },
  };
}

export interface IndexEntry {
  readonly manifest: BuiltManifest;
  readonly platform: PlatformSpec;
  readonly annotations?: Record<string, string>;
}

export function indexOf(flavour: Flavour, entries: readonly IndexEntry[]): BuiltManifest {
  const mediaType = flavour === 'oci' ? MediaType.ociIndex : MediaType.dockerList;
  const bytes = json({
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({
      ...descriptor(e.manifest.mediaType, e.manifest),
      platform: e.platform,
      ...(e.annotations ? { annotations: e.annotations } : {}),
    })),
  });
  return { digest: digestOf(bytes), mediaType, bytes, blobs: [], children: entries.map((e) => e.manifest) };
}
