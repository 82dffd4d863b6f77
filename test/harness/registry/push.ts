// Pushing built images over the registry's own HTTP API (distribution spec "push"):
// blobs by monolithic upload, then children by digest, then the top manifest by tag.
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
import http from 'node:http';
import https from 'node:https';
import type { BuiltManifest } from './images.js';

export interface PushTarget {
  readonly url: string;
  /** CA to trust for an HTTPS registry. */
  readonly ca?: string;
  /** An Authorization header value for pushing to `repo`. */
  readonly authorization: (repo: string) => string | undefined;
}

async function call(
  target: PushTarget,
  method: string,
  url: string,
  repo: string,
  body?: Buffer,
  type?: string,
) {
  const headers: Record<string, string> = {};
  const auth = target.authorization(repo);
  if (auth) headers.authorization = auth;
  if (type) headers['content-type'] = type;
  const request = url.startsWith('https:') ? https.request : http.request;
  return new Promise<{ status: number; location?: string; text: string }>((resolve, reject) => {
    const req = request(
      url,
      { method, headers, ...(target.ca ? { ca: target.ca } : {}) },
      (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pushBlob(target: PushTarget, repo: string, digest: string, bytes: Buffer): Promise<void> {
  const base = `${target.url}/v2/${repo}/blobs`;
  if ((await call(target, 'HEAD', `${base}/${digest}`, repo)).status === 200) return;
  const started = await call(target, 'POST', `${base}/uploads/`, repo);
  if (started.status !== 202 || !started.location)
    throw new Error(`upload start ${repo}: ${started.status} ${started.text}`);
  const location = new URL(started.location, target.url);
  location.searchParams.set('digest', digest);
  const put = await call(target, 'PUT', location.href, repo, bytes, 'application/octet-stream');
  if (put.status !== 201) throw new Error(`blob ${repo}@${digest}: ${put.status} ${put.text}`);
}

async function pushManifest(target: PushTarget, repo: string, manifest: BuiltManifest, reference: string) {
  // One at a time: distribution's filesystem driver can fail concurrent uploads of one blob.
  for (const child of manifest.children) await pushManifest(target, repo, child, child.digest);
  for (const b of manifest.blobs) await pushBlob(target, repo, b.digest, b.bytes);
  const put = await call(
    target,
    'PUT',
    `${target.url}/v2/${repo}/manifests/${reference}`,
    repo,
    manifest.bytes,
    manifest.mediaType,
  );
  if (put.status !== 201) throw new Error(`manifest ${repo}:${reference}: ${put.status} ${put.text}`);
}

export async function pushImage(target: PushTarget, repo: string, tag: string, manifest: BuiltManifest) {
  await pushManifest(target, repo, manifest, tag);
}
