// One HTTP exchange with a registry, bounded: the address is checked before connecting, the
// body is capped while it streams (a Content-Length that is a lie does not help), and the
// caller's AbortSignal ends slow headers and slow bodies alike. No redirects here: the
// client follows them itself so that each hop is re-checked.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { checkLiteralHost, guardedLookup, type Resolver } from './guarded-lookup.js';
import { asLookupError, LookupFailure, RegistryLookupError } from './lookup-error.js';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface ExchangeOptions {
  readonly method: 'GET' | 'HEAD';
  readonly headers: Record<string, string>;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  readonly allowPrivate: boolean;
  readonly resolver: Resolver;
  /** PEM CA bundle for this host (`registries[host].caFile`). */
  readonly ca?: Buffer | undefined;
}

// Keep-alive pools: a registry answers HEAD, manifest and blob for one lookup on one socket.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export function exchange(url: URL, options: ExchangeOptions): Promise<HttpAnswer> {
  const what = `${options.method} ${url.origin}${url.pathname}`;
  try {
    checkLiteralHost(url, options.allowPrivate);
  } catch (err) {
    return Promise.reject(asLookupError(err, what));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const fail = (err: unknown) => reject(asLookupError(err, what));
    const req = client.request(url, {
      method: options.method,
      // Identity only: a compressed body would let a small download expand past the caps.
      headers: { ...options.headers, 'accept-encoding': 'identity', 'user-agent': 'kube-hygiene' },
      agent: agents[url.protocol as keyof typeof agents],
      lookup: guardedLookup(options.resolver, options.allowPrivate, url.host),
      signal: options.signal,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    req.on('error', fail);
    req.on('response', (res) => {
      res.on('error', fail);
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (options.method !== 'HEAD' && declared > options.maxBytes) {
        res.destroy();
        return reject(tooLarge(what, declared, options.maxBytes));
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBytes) {
          res.destroy();
          reject(tooLarge(what, received, options.maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.end();
  });
}

function tooLarge(what: string, bytes: number, max: number): RegistryLookupError {
  return new RegistryLookupError(
    LookupFailure.tooLarge,
    `body of ${bytes}+ bytes is over the ${max}-byte cap; an image manifest or config is never that large (${what})`,
  );
}
