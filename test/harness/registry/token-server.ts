// A small Docker token service (the Bearer realm), in this process: it issues RS256 JWTs that
// distribution's `auth: token` accepts. The key id is the libtrust fingerprint of the signing
// key, which is how distribution finds the key in its `rootcertbundle`.
// https://distribution.github.io/distribution/spec/auth/jwt/
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyAndCert } from './tls-material.js';

export interface TokenServerOptions {
  readonly signer: KeyAndCert;
  readonly service: string;
  readonly issuer: string;
  readonly users: Readonly<Record<string, string>>;
  /** Repositories under these prefixes need a user; others may be pulled anonymously. */
  readonly privatePrefixes: readonly string[];
  readonly ttlSeconds: number;
}

export interface TokenRequestRecord {
  readonly user: string | null;
  readonly scopes: readonly string[];
  readonly status: number;
}

export interface TokenServer {
  readonly realm: string;
  readonly host: string;
  readonly requests: TokenRequestRecord[];
  /** A token for the harness's own pushes (same signing path as HTTP callers get). */
  issue(user: string | null, scopes: readonly string[]): string;
  close(): Promise<void>;
}

function libtrustKeyId(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  const hash = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of hash) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join(':');
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(options.signer.keyPem);
  const kid = libtrustKeyId(options.signer.certPem);
  const requests: TokenRequestRecord[] = [];

  const issue = (user: string | null, scopes: readonly string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((scope) => {
      const [type, ...rest] = scope.split(':');
      const actions = rest.pop()!.split(',');
      const name = rest.join(':');
      const isPrivate = options.privatePrefixes.some((p) => name.startsWith(p));
      const granted = user ? actions : isPrivate ? [] : actions.filter((a) => a === 'pull');
      return { type, name, actions: granted };
    });
    const claims = {
      iss: options.issuer,
      sub: user ?? '',
      aud: options.service,
      exp: now + options.ttlSeconds,
      nbf: now - 5,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const signingInput = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid }))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), key))}`;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    let user: string | null = null;
    if (basic) {
      const [name, ...pass] = Buffer.from(basic[1]!, 'base64').toString().split(':');
      if (options.users[name!] !== pass.join(':')) {
        requests.push({ user: name ?? null, scopes, status: 401 });
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      user = name!;
    }
    requests.push({ user, scopes, status: 200 });
    const token = issue(user, scopes);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: options.ttlSeconds }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    realm: `http://${host}/token`,
    host,
    requests,
    issue,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
