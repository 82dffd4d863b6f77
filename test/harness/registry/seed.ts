// The images every test registry holds, each with the platform set a correct resolver must
// find. The expected platforms are written from the platforms the images were built with.
import { attestationFor, indexOf, singleImage, type BuiltManifest, type PlatformSpec } from './images.js';
import { pushImage, type PushTarget } from './push.js';

export interface SeededImage {
  readonly repo: string;
  readonly tag: string;
  readonly kind: string;
  readonly manifest: BuiltManifest;
  /** `os/arch[/variant]`, sorted. */
  readonly platforms: readonly string[];
}

const amd64: PlatformSpec = { os: 'linux', architecture: 'amd64' };
const arm64: PlatformSpec = { os: 'linux', architecture: 'arm64' };
const arm64v8: PlatformSpec = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const armv7: PlatformSpec = { os: 'linux', architecture: 'arm', variant: 'v7' };
const windows: PlatformSpec = { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.2849' };

const show = (p: PlatformSpec) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

function image(
  repo: string,
  tag: string,
  kind: string,
  manifest: BuiltManifest,
  runnable: PlatformSpec[],
): SeededImage {
  return { repo, tag, kind, manifest, platforms: runnable.map(show).sort() };
}

export function seedImages(): SeededImage[] {
  const multiAmd = singleImage(amd64, 'oci', 'multi');
  const multiArm = singleImage(arm64, 'oci', 'multi');
  const attestation = attestationFor(multiAmd);
  const multi = indexOf('oci', [
    { manifest: multiAmd, platform: amd64 },
    { manifest: multiArm, platform: arm64 },
    {
      manifest: attestation.manifest,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: attestation.annotations,
    },
  ]);
  const listChildren = [amd64, arm64v8, armv7].map((p) => ({
    manifest: singleImage(p, 'docker', 'list'),
    platform: p,
  }));
  const windowsChild = singleImage(windows, 'oci', 'windows');
  return [
    image('multi', 'v1.0.0', 'OCI index with an attestation entry', multi, [amd64, arm64]),
    image('dockerlist', '1.0', 'Docker manifest list', indexOf('docker', listChildren), [
      amd64,
      arm64v8,
      armv7,
    ]),
    image('amd64only', 'v2.1.0', 'single OCI manifest', singleImage(amd64, 'oci', 'amd64only'), [amd64]),
    image('arm64only', '1.0.0', 'single Docker schema2 manifest', singleImage(arm64, 'docker', 'arm64only'), [
      arm64,
    ]),
    image('armv7', '1.0.0', 'single OCI manifest, variant in config', singleImage(armv7, 'oci', 'armv7'), [
      armv7,
    ]),
    image(
      'windows',
      'ltsc2022',
      'OCI index of a Windows image',
      indexOf('oci', [{ manifest: windowsChild, platform: windows }]),
      [windows],
    ),
  ];
}

/** A tag no registry holds: the resolver must say "not found", not "unreachable". */
export const MISSING = { repo: 'multi', tag: 'v9.9.9-never-pushed' } as const;

export async function seedRegistry(
  target: PushTarget,
  images: readonly SeededImage[],
  repoPrefix = '',
): Promise<void> {
  for (const img of images) await pushImage(target, repoPrefix + img.repo, img.tag, img.manifest);
}
