// The one reader of process.env and of `serve` flags. Every setting is a flag and an
// environment variable (the Deployment sets env; a person types flags; a flag wins), checked
// against one schema that holds the defaults, then frozen and passed down.
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { ErrorCode, HygieneError } from './errors.js';
import { formatSchemaErrors } from './schema-errors.js';
import type { ConnectionInputs } from './cluster/connection.js';

const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const seconds = { type: 'number', minimum: 0, maximum: 3600 } as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'port',
    'host',
    'metricsPort',
    'logLevel',
    'shutdownGrace',
    'drainDelay',
    'maxConnections',
    'dev',
    'devCertsDir',
  ],
  properties: {
    port: { ...port, default: 8443 },
    host: { type: 'string', minLength: 1, default: '0.0.0.0' },
    metricsPort: { ...port, default: 9090 },
    cert: { type: 'string', minLength: 1 },
    key: { type: 'string', minLength: 1 },
    policy: { type: 'string', minLength: 1 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    // Kubernetes waits terminationGracePeriodSeconds (30 by default) before SIGKILL: finish first.
    shutdownGrace: { ...seconds, default: 20 },
    // Serving on after SIGTERM while /readyz says 503, so endpoints drop this pod before it closes.
    drainDelay: { ...seconds, default: 3 },
    // Each TLS connection holds buffers (~50 KiB); 512 of them stay well inside the pod's memory.
    maxConnections: { type: 'integer', minimum: 1, maximum: 65535, default: 512 },
    dev: { type: 'boolean', default: false },
    devCertsDir: { type: 'string', minLength: 1, default: '.dev-certs' },
    kubeconfig: { type: 'string', minLength: 1 },
  },
} as const;

export type Config = Readonly<FromSchema<typeof configSchema>>;
type Key = keyof typeof configSchema.properties;

/** Flag name, environment variable and help text of each setting. */
export const SETTINGS: Record<Key, { flag: string; env: string; help: string }> = {
  port: {
    flag: 'port',
    env: 'KUBE_HYGIENE_PORT',
    help: 'HTTPS port of the admission endpoints (default 8443)',
  },
  host: {
    flag: 'host',
    env: 'KUBE_HYGIENE_HOST',
    help: 'address to listen on (default 0.0.0.0; --dev: 127.0.0.1)',
  },
  metricsPort: {
    flag: 'metrics-port',
    env: 'KUBE_HYGIENE_METRICS_PORT',
    help: 'plain-HTTP port of GET /metrics (default 9090)',
  },
  cert: {
    flag: 'cert',
    env: 'KUBE_HYGIENE_CERT',
    help: 'serving certificate PEM (tls.crt), reloaded on change',
  },
  key: { flag: 'key', env: 'KUBE_HYGIENE_KEY', help: 'private key PEM (tls.key), reloaded on change' },
  policy: {
    flag: 'policy',
    env: 'KUBE_HYGIENE_POLICY',
    help: 'policy file, reloaded on change (default: the embedded policies/default.yaml)',
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    help: 'fatal|error|warn|info|debug|trace|silent (default info)',
  },
  shutdownGrace: {
    flag: 'shutdown-grace',
    env: 'KUBE_HYGIENE_SHUTDOWN_GRACE',
    help: 'seconds in-flight requests get after SIGTERM before exit (default 20)',
  },
  drainDelay: {
    flag: 'drain-delay',
    env: 'KUBE_HYGIENE_DRAIN_DELAY',
    help: 'seconds to keep serving after SIGTERM with /readyz at 503 (default 3; --dev: 0)',
  },
  maxConnections: {
    flag: 'max-connections',
    env: 'KUBE_HYGIENE_MAX_CONNECTIONS',
    help: 'connections open at once on the HTTPS port; one more is closed as it is accepted (default 512)',
  },
  dev: {
    flag: 'dev',
    env: 'KUBE_HYGIENE_DEV',
    help: 'development: generate a local CA + localhost certificate when --cert/--key are not given',
  },
  devCertsDir: {
    flag: 'dev-certs-dir',
    env: 'KUBE_HYGIENE_DEV_CERTS_DIR',
    help: 'where --dev keeps its certificates (default .dev-certs)',
  },
  kubeconfig: {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    help: 'cluster to judge against (default: the in-cluster service account; none: cluster rules off)',
  },
};

const validate = new Ajv({
  allErrors: true,
  useDefaults: true,
  coerceTypes: true,
  strict: false,
}).compile<Config>(configSchema);

/** Flags then environment then defaults; throws HygieneError(USAGE) listing every problem. */
export function readConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const entries = Object.entries(SETTINGS) as [Key, (typeof SETTINGS)[Key]][];
  const options = Object.fromEntries(
    entries.map(([key, s]) => [s.flag, { type: key === 'dev' ? 'boolean' : 'string' } as const]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true }));
  } catch (err) {
    throw new HygieneError(ErrorCode.USAGE, (err as Error).message);
  }
  const raw: Record<string, unknown> = {};
  for (const [key, s] of entries) {
    let value = values[s.flag] ?? (env[s.env] === '' ? undefined : env[s.env]);
    // KUBECONFIG may list several files (kubectl merges them); the first one names the cluster.
    if (key === 'kubeconfig' && typeof value === 'string') value = value.split(':').find(Boolean);
    if (value !== undefined) raw[key] = value;
  }
  if (raw.dev === true || raw.dev === 'true') {
    raw.host ??= '127.0.0.1';
    raw.drainDelay ??= 0;
  }
  const problems = validate(raw) ? [] : formatSchemaErrors(validate.errors);
  const config = raw as Config;
  if (config.dev !== true && (!config.cert || !config.key)) {
    problems.push(
      '--cert and --key (KUBE_HYGIENE_CERT, KUBE_HYGIENE_KEY) are required, or --dev for a local certificate',
    );
  }
  if (problems.length) {
    const named = problems.map((p) => {
      const key = p.split(':')[0] as Key;
      const s = SETTINGS[key];
      return s ? `--${s.flag} (${s.env})${p.slice(key.length)}` : p;
    });
    throw new HygieneError(ErrorCode.USAGE, 'invalid server settings', named);
  }
  return Object.freeze(config);
}

/**
 * What chooseConnection needs: the kubeconfig already read into `config`, and whether this
 * process runs in a pod (the variable the kubelet sets; the token file is checked there).
 */
export function connectionInputs(config: Config, env: NodeJS.ProcessEnv = process.env): ConnectionInputs {
  return {
    ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
    env: { KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST },
  };
}

export function configHelp(): string {
  const rows = Object.values(SETTINGS).map((s) => `  --${s.flag.padEnd(16)} ${s.env.padEnd(28)} ${s.help}`);
  return ['options (flag, environment variable):', ...rows, '  -h, --help'].join('\n');
}
