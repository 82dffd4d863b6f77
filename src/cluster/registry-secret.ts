// A Secret as registry credentials, the two shapes the kubelet reads for imagePullSecrets:
// `kubernetes.io/dockerconfigjson` (a docker config.json under `.dockerconfigjson`) and the
// older `kubernetes.io/dockercfg` (the bare `auths` map under `.dockercfg`).
// https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets
import type { V1Secret } from '@kubernetes/client-node';
import { parseDockerConfig, type CredentialStore } from '../images/registry/credentials.js';

export const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CFG = 'kubernetes.io/dockercfg';

export type ParsedSecret =
  { readonly ok: true; readonly store: CredentialStore } | { readonly ok: false; readonly problem: string };

/** Never throws; a problem names the secret and what is wrong with it, never its contents. */
export function parseRegistrySecret(secret: V1Secret): ParsedSecret {
  const name = `secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  const key =
    secret.type === DOCKER_CONFIG_JSON ? '.dockerconfigjson' : secret.type === DOCKER_CFG ? '.dockercfg' : '';
  if (!key) {
    return { ok: false, problem: `${name} is of type ${secret.type ?? 'Opaque'}, not ${DOCKER_CONFIG_JSON}` };
  }
  const encoded = secret.data?.[key];
  if (!encoded) return { ok: false, problem: `${name} has no ${key} key` };
  try {
    const text = Buffer.from(encoded, 'base64').toString('utf8');
    // .dockercfg is the map that .dockerconfigjson keeps under "auths".
    const config = key === '.dockercfg' ? JSON.stringify({ auths: JSON.parse(text) as unknown }) : text;
    return { ok: true, store: parseDockerConfig(config) };
  } catch {
    return { ok: false, problem: `${name}: ${key} is not a docker config (JSON, one entry per registry)` };
  }
}
