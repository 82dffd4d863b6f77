// Real registries in the three auth modes a cluster meets, started and seeded for one test
// file: anonymous plain HTTP; HTTPS with htpasswd Basic auth under a CA made now; and the
// Bearer token flow with the token service above. Each mode says how a client must be set up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryHostSettings } from '../../../src/images/registry/host-settings.js';
import { startRegistry, type RegistryProcess } from './registry-process.js';
import { seedImages, seedRegistry, type SeededImage } from './seed.js';
import { makeSigningCertificate, makeTlsMaterial } from './tls-material.js';
import { startTokenServer, type TokenServer } from './token-server.js';

export const AuthMode = { plain: 'plain', basic: 'basic', token: 'token' } as const;
export type AuthMode = (typeof AuthMode)[keyof typeof AuthMode];

// distribution's htpasswd accepts bcrypt only and Node has no bcrypt: this is the bcrypt hash
// of the test-only password below, made once with crypt(3) ($2b$, cost 5).
export const BASIC_USER = 'tester';
export const BASIC_PASSWORD = 'harness-basic-secret';
const BASIC_HTPASSWD = `${BASIC_USER}:$2b$05$HHTE83DcHITKEBZFrT1kBO5d4yQ2dyukYnicgS4a.XD5G6dUbeHj2`;
export const TOKEN_USER = 'robot';
export const TOKEN_PASSWORD = 'token-user-secret';
export const PRIVATE_PREFIX = 'private/';

export interface SeededRegistry {
  readonly mode: AuthMode;
  readonly registry: RegistryProcess;
  readonly images: readonly SeededImage[];
  /** The `registries` policy map a client needs to reach this registry. */
  readonly settings: Record<string, RegistryHostSettings>;
  /** A docker config.json granting this registry's user, for clients that need credentials. */
  readonly dockerConfig: string | undefined;
  readonly tokenServer?: TokenServer;
  stop(): Promise<void>;
}

const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const dockerConfig = (host: string, user: string, password: string) =>
  JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } });

export async function startSeededRegistry(mode: AuthMode, images = seedImages()): Promise<SeededRegistry> {
  if (mode === AuthMode.plain) {
    const registry = await startRegistry({ auth: { kind: 'none' } });
    await seedRegistry({ url: registry.url, authorization: () => undefined }, images);
    const settings = { [registry.host]: { insecure: true, allowPrivateAddress: true } };
    return { mode, registry, images, settings, dockerConfig: undefined, stop: registry.stop };
  }
  if (mode === AuthMode.basic) {
    const tls = makeTlsMaterial();
    const registry = await startRegistry({
      auth: { kind: 'htpasswd', htpasswdLine: BASIC_HTPASSWD },
      tls: tls.server,
    });
    const caFile = join(registry.dir, 'ca.crt');
    writeFileSync(caFile, tls.ca.certPem);
    const push = {
      url: registry.url,
      ca: tls.ca.certPem,
      authorization: () => basicAuth(BASIC_USER, BASIC_PASSWORD),
    };
    await seedRegistry(push, images);
    const settings = { [registry.host]: { caFile, allowPrivateAddress: true } };
    const config = dockerConfig(`https://${registry.host}`, BASIC_USER, BASIC_PASSWORD);
    return { mode, registry, images, settings, dockerConfig: config, stop: registry.stop };
  }
  const signer = makeSigningCertificate();
  const tokenServer = await startTokenServer({
    signer,
    service: 'kube-hygiene-test-registry',
    issuer: 'kube-hygiene-test-issuer',
    users: { [TOKEN_USER]: TOKEN_PASSWORD },
    privatePrefixes: [PRIVATE_PREFIX],
    ttlSeconds: 300,
  });
  const registry = await startRegistry({
    auth: {
      kind: 'token',
      realm: tokenServer.realm,
      service: 'kube-hygiene-test-registry',
      issuer: 'kube-hygiene-test-issuer',
      signerCertPem: signer.certPem,
    },
  }).catch(async (err: unknown) => {
    await tokenServer.close();
    throw err;
  });
  const push = {
    url: registry.url,
    authorization: (repo: string) =>
      `Bearer ${tokenServer.issue(TOKEN_USER, [`repository:${repo}:pull,push`])}`,
  };
  await seedRegistry(push, images);
  await seedRegistry(push, images.slice(0, 1), PRIVATE_PREFIX);
  const settings = {
    [registry.host]: { insecure: true, allowPrivateAddress: true },
    // The token service is a host of its own: it needs its own entry to be reached on loopback.
    [tokenServer.host]: { insecure: true, allowPrivateAddress: true },
  };
  return {
    mode,
    registry,
    images,
    settings,
    dockerConfig: dockerConfig(registry.host, TOKEN_USER, TOKEN_PASSWORD),
    tokenServer,
    stop: async () => {
      await registry.stop();
      await tokenServer.close();
    },
  };
}
