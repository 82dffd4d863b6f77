// TLS helpers for tests: certificates generated at run time (never committed), laid out the way
// kubelet mounts a Secret, and an HTTPS client that trusts only the test CA.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCa, generateServingCertificate, type IssuedCertificate } from '../../src/certs/generate.js';

export interface TestPki {
  readonly ca: IssuedCertificate;
  /** A fresh serving certificate for localhost / 127.0.0.1, signed by `ca`. */
  issue(options?: { validityDays?: number; notBefore?: Date }): IssuedCertificate;
}

let shared: IssuedCertificate | undefined;

/** One CA per test process (RSA generation is the slow part), fresh leaf certificates on demand. */
export function testPki(): TestPki {
  const ca = (shared ??= generateCa({ commonName: 'kube-hygiene test CA' }));
  return {
    ca,
    issue: (options = {}) =>
      generateServingCertificate({ ca, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], ...options }),
  };
}

export function tempDir(prefix = 'kube-hygiene-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A directory laid out like a kubelet Secret volume: tls.crt → ..data/tls.crt, ..data → ..<stamp>/.
 * `swap` writes a new stamped directory and renames ..data over the old link, as kubelet's
 * AtomicWriter does, so the watched names never change in place.
 */
export class KubeletVolume {
  readonly dir: string;
  #generation = 0;
  #current = '';

  constructor(dir: string, files: Record<string, string>) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.swap(files);
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(dir, name));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  swap(files: Record<string, string>): void {
    const stamp = `..2026_11_23_10_00_00.${++this.#generation}`;
    mkdirSync(join(this.dir, stamp));
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(this.dir, stamp, name), text, { mode: 0o600 });
    symlinkSync(stamp, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.#current) rmSync(join(this.dir, this.#current), { recursive: true, force: true });
    this.#current = stamp;
  }
}

export interface HttpsResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpsRequestOptions {
  readonly port: number;
  readonly ca: string;
  readonly path: string;
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent | false;
}

/** One HTTPS request to 127.0.0.1 that verifies the server against `ca` as the name localhost. */
export function request(options: HttpsRequestOptions): Promise<HttpsResponse> {
  const { port, ca, path, body, agent = false } = options;
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const headers = { ...(body !== undefined && { 'content-type': 'application/json' }), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', servername: 'localhost', port, path, method, ca, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The SHA-256 fingerprint of the certificate the server presents on a new connection. */
export function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}
