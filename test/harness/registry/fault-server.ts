// A misbehaving registry stand-in (node:http on 127.0.0.1). The repository name picks the
// fault: `/v2/<fault>/manifests/<ref>`. HEAD of a tag answers normally, with a digest, so the
// fault meets the client where it would in life: on the GET by digest.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { MediaType } from '../../../src/images/registry/media-types.js';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

export interface FaultServer {
  readonly host: string;
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Where `redirect-*` and `realm-*` faults send the client; set by the test. */
  targets: { redirect: string; realm: string };
  /** What the `custom` fault serves on a GET by digest. */
  custom: { contentType: string; body: Buffer };
  /** Makes every token issued so far invalid, as a token service that rotates its keys would. */
  revokeTokens(): void;
  close(): Promise<void>;
}

export const SCHEMA1_BODY = Buffer.from(
  JSON.stringify({
    schemaVersion: 1,
    name: 'schema1',
    tag: 'old',
    architecture: 'arm64',
    fsLayers: [],
    history: [],
  }),
);
export const NO_DIGEST_INDEX = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      {
        mediaType: MediaType.ociManifest,
        digest: `sha256:${'a'.repeat(64)}`,
        size: 1,
        platform: { os: 'linux', architecture: 's390x' },
      },
    ],
  }),
);
export const OVERSIZE_BYTES = 5 * 1024 * 1024;

const digestOf = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

type Res = http.ServerResponse;

function trickle(res: Res, total: number, everyMs: number): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed || sent >= total) return clearInterval(timer);
    res.write('{');
    sent += 1;
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

function streamOversize(res: Res, withLength: boolean): void {
  res.writeHead(200, {
    'content-type': MediaType.ociManifest,
    ...(withLength ? { 'content-length': String(OVERSIZE_BYTES) } : {}),
  });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const pump = () => {
    while (sent < OVERSIZE_BYTES && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

export async function startFaultServer(): Promise<FaultServer> {
  const requests: RecordedRequest[] = [];
  // 20 MiB of zeros in about 20 KiB: made once, before any client is timed.
  const gzipBomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
  const state: FaultServer = {
    host: '',
    url: '',
    requests,
    targets: { redirect: '', realm: '' },
    custom: { contentType: MediaType.ociIndex, body: Buffer.from('{}') },
    revokeTokens: () => void (validToken = ''),
    close: async () => {},
  };
  let issued = 0;
  let validToken = '';
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const match = /^\/v2\/([^/]+)\/manifests\/(.+)$/.exec(req.url ?? '');
    const fault = match?.[1] ?? '';
    const byDigest = match?.[2]?.startsWith('sha256:') ?? false;
    if (req.url?.startsWith('/hang-token')) return; // never answers
    // Config blobs of the `custom` image are over any sane size: the 1 MiB config cap must hold.
    if (req.url?.startsWith('/v2/custom/blobs/')) return streamOversize(res, false);
    if (req.url?.startsWith('/token')) {
      validToken = `token-${++issued}`;
      return res.writeHead(200).end(JSON.stringify({ token: validToken, expires_in: 300 }));
    }
    if (fault === 'bearer' && req.headers.authorization !== `Bearer ${validToken}`) {
      const challenge = `Bearer realm="${state.url}/token",service="stand-in",scope="repository:bearer:pull"`;
      return res.writeHead(401, { 'www-authenticate': challenge }).end();
    }
    if (fault === 'bearer')
      return res
        .writeHead(200, {
          'content-type': MediaType.dockerSchema1Signed,
          'docker-content-digest': digestOf(SCHEMA1_BODY),
        })
        .end(req.method === 'HEAD' ? undefined : SCHEMA1_BODY);
    if (fault === 'schema1') {
      const headers = {
        'content-type': MediaType.dockerSchema1Signed,
        'docker-content-digest': digestOf(SCHEMA1_BODY),
      };
      return res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : SCHEMA1_BODY);
    }
    if (fault === 'custom' && req.method === 'HEAD') {
      const headers = {
        'content-type': state.custom.contentType,
        'docker-content-digest': digestOf(state.custom.body),
      };
      return res.writeHead(200, headers).end();
    }
    if (fault === 'no-head' && req.method === 'HEAD') return res.writeHead(405).end();
    if (fault === 'no-digest' || fault === 'no-head') {
      // A registry that names no digest on HEAD: the client must read the tag once and hash it.
      res.writeHead(200, { 'content-type': MediaType.ociIndex });
      return res.end(req.method === 'HEAD' ? undefined : NO_DIGEST_INDEX);
    }
    if (fault === 'basic-redirect') {
      // Needs the registry's credentials, then sends the manifest GET to another origin.
      if (!req.headers.authorization) {
        return res.writeHead(401, { 'www-authenticate': 'Basic realm="stand-in"' }).end();
      }
      if (byDigest) return res.writeHead(307, { location: state.targets.redirect }).end();
    }
    if (
      req.method === 'HEAD' &&
      !byDigest &&
      !fault.startsWith('status') &&
      !fault.startsWith('rate-limited') &&
      !fault.startsWith('realm') &&
      fault !== 'slow-headers' &&
      fault !== 'hang-token'
    ) {
      return res
        .writeHead(200, {
          'docker-content-digest': digestOf(Buffer.from(fault)),
          'content-type': MediaType.ociIndex,
        })
        .end();
    }
    switch (fault) {
      case 'slow-headers':
        return; // holds the request open, headers never come
      case 'slow-body':
        res.writeHead(200, { 'content-type': MediaType.ociIndex });
        return trickle(res, 10_000, 100);
      case 'status-500':
      case 'status-502':
      case 'status-503':
        return res.writeHead(Number(fault.slice(7))).end('upstream trouble');
      case 'rate-limited':
        return res.writeHead(429, { 'retry-after': '7' }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
      // A registry asking to be retried at once, and one asking for a day of rest.
      case 'rate-limited-now':
        return res.writeHead(429, { 'retry-after': '0' }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
      case 'rate-limited-day':
        return res.writeHead(429, { 'retry-after': '86400' }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
      case 'wrong-type':
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}');
      case 'html':
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login page</html>');
      case 'custom':
        return res.writeHead(200, { 'content-type': state.custom.contentType }).end(state.custom.body);
      case 'json-null':
        return res.writeHead(200, { 'content-type': MediaType.ociIndex }).end('null');
      case 'garbage':
        return res
          .writeHead(200, { 'content-type': MediaType.ociIndex })
          .end('{"manifests": [ {"platform": ');
      case 'gzip-bomb':
        return res
          .writeHead(200, { 'content-type': MediaType.ociIndex, 'content-encoding': 'gzip' })
          .end(gzipBomb);
      case 'oversize':
        return streamOversize(res, true);
      case 'oversize-chunked':
        return streamOversize(res, false);
      case 'redirect-loop':
        return res.writeHead(302, { location: req.url ?? '/' }).end();
      case 'redirect-blocked':
        return res.writeHead(307, { location: state.targets.redirect }).end();
      case 'realm-blocked':
        return res
          .writeHead(401, { 'www-authenticate': `Bearer realm="${state.targets.realm}",service="x"` })
          .end();
      case 'hang-token':
        return res
          .writeHead(401, { 'www-authenticate': `Bearer realm="${state.url}/hang-token",service="x"` })
          .end();
      default:
        return res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(state, {
    host,
    url: `http://${host}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return state;
}
