// The one reader of process.env and of `serve` flags. Every setting is a flag and an
// environment variable (the Deployment sets env; a person types flags; a flag wins), checked
// against one schema that holds the defaults, then frozen and passed down.
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { ErrorCode, HygieneError } from './errors.js';
import { formatSchemaErrors } from './schema-errors.js';
import type { ConnectionInputs } from './cluster/connection-source.js';
import { WebhookKind, type WebhookConfigurationRef } from './cluster/webhook-ref.js';

const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const seconds = { type: 'number', minimum: 0, maximum: 3600 } as const;
const duration = {
  type: 'string',
  pattern: '^[0-9]+(s|m|h|d)$',
  description: 'a number and a unit: 90s, 15m, 2160h or 90d',
} as const;
const dnsLabel = {
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
  description: 'a DNS label (lowercase letters, digits and -)',
} as const;

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
    certificates: { enum: ['files', 'managed'], default: 'files' },
    namespace: { ...dnsLabel, default: 'kube-hygiene' },
    service: { ...dnsLabel, default: 'kube-hygiene' },
    certHosts: { type: 'string' },
    webhookConfigurations: {
      type: 'string',
      default: 'validatingwebhookconfiguration/kube-hygiene,mutatingwebhookconfiguration/kube-hygiene',
    },
    // Renewed two thirds into their lives: the serving certificate 30 days before it ends.
    certValidity: { ...duration, default: '2160h' },
    caValidity: { ...duration, default: '8760h' },
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
  certificates: {
    flag: 'certificates',
    env: 'KUBE_HYGIENE_CERTIFICATES',
    help: "files: serve --cert/--key (default); managed: keep a CA and certificate in a Secret and the webhooks' caBundle",
  },
  namespace: {
    flag: 'namespace',
    env: 'KUBE_HYGIENE_NAMESPACE',
    help: 'managed: the namespace this server runs in, holding its Secret and Lease (default kube-hygiene)',
  },
  service: {
    flag: 'service',
    env: 'KUBE_HYGIENE_SERVICE',
    help: 'managed: the Service the API server calls; the certificate names <svc>.<ns>.svc (default kube-hygiene)',
  },
  certHosts: {
    flag: 'cert-hosts',
    env: 'KUBE_HYGIENE_CERT_HOSTS',
    help: 'managed: more DNS names and IP addresses for the certificate, comma-separated',
  },
  webhookConfigurations: {
    flag: 'webhook-configurations',
    env: 'KUBE_HYGIENE_WEBHOOK_CONFIGURATIONS',
    help: 'managed: where the CA bundle goes, comma-separated (default validatingwebhookconfiguration/kube-hygiene,mutatingwebhookconfiguration/kube-hygiene)',
  },
  certValidity: {
    flag: 'cert-validity',
    env: 'KUBE_HYGIENE_CERT_VALIDITY',
    help: 'managed: serving certificate lifetime, as 90s, 15m, 2160h or 90d (default 2160h)',
  },
  caValidity: {
    flag: 'ca-validity',
    env: 'KUBE_HYGIENE_CA_VALIDITY',
    help: "managed: CA lifetime, at least twice the certificate's (default 8760h)",
  },
};

const validate = new Ajv({
  allErrors: true,
  useDefaults: true,
  coerceTypes: true,
  strict: false,
  // Errors carry their schema, so a pattern's description can say what is expected.
  verbose: true,
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
  if (config.certificates === 'managed') {
    if (config.cert || config.key)
      problems.push('--cert/--key and --certificates managed exclude each other: choose one source');
    if (!problems.length) problems.push(...managedCertificateProblems(config));
  } else if (config.dev !== true && (!config.cert || !config.key)) {
    problems.push(
      '--cert and --key (KUBE_HYGIENE_CERT, KUBE_HYGIENE_KEY) are required, or --certificates managed, or --dev for a local certificate',
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

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `15m`, `2160h`, `90d` in milliseconds (the schema has checked the form). */
export function durationMs(text: string): number {
  return Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS];
}

const list = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export interface ManagedCertificateSettings {
  readonly namespace: string;
  readonly service: string;
  readonly hosts: readonly string[];
  readonly webhookConfigurations: readonly WebhookConfigurationRef[];
  readonly certValidityMs: number;
  readonly caValidityMs: number;
}

const WEBHOOK_KINDS = new Set<string>(Object.values(WebhookKind));

/** The managed mode's settings, read from a checked config. */
export function managedCertificateSettings(config: Config): ManagedCertificateSettings {
  return {
    namespace: config.namespace,
    service: config.service,
    hosts: list(config.certHosts),
    webhookConfigurations: list(config.webhookConfigurations).map((ref) => {
      const [kind, name] = ref.split('/') as [WebhookKind, string];
      return { kind, name };
    }),
    certValidityMs: durationMs(config.certValidity),
    caValidityMs: durationMs(config.caValidity),
  };
}

function managedCertificateProblems(config: Config): string[] {
  const problems = list(config.webhookConfigurations)
    .filter((ref) => {
      const [kind, name, ...rest] = ref.split('/');
      return !WEBHOOK_KINDS.has(kind ?? '') || !name || rest.length > 0;
    })
    .map(
      (ref) =>
        `webhookConfigurations: "${ref}" is not validatingwebhookconfiguration/NAME or mutatingwebhookconfiguration/NAME`,
    );
  const { certValidityMs, caValidityMs } = managedCertificateSettings(config);
  if (certValidityMs < 10_000) problems.push('certValidity: must be 10s or more');
  if (caValidityMs < 2 * certValidityMs) problems.push('caValidity: must be at least twice certValidity');
  return problems;
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
