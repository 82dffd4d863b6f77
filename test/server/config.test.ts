// `serve` settings: flag, then environment variable, then default; every mistake reported with
// both of its names.
import t from 'tap';
import { durationMs, managedCertificateSettings, readConfig, SETTINGS } from '../../src/config.js';
import { ErrorCode, HygieneError } from '../../src/errors.js';

const CERT = ['--cert', '/etc/tls/tls.crt', '--key', '/etc/tls/tls.key'];

t.test('defaults are what the Deployment expects', async (t) => {
  const config = readConfig(CERT, {});
  t.match(config, {
    port: 8443,
    host: '0.0.0.0',
    metricsPort: 9090,
    logLevel: 'info',
    dev: false,
    drainDelay: 3,
  });
  t.equal(config.policy, undefined, 'no --policy: the embedded default');
  t.ok(Object.isFrozen(config));
});

t.test('environment variables are read; a flag wins over its variable', async (t) => {
  const env = {
    KUBE_HYGIENE_PORT: '9443',
    KUBE_HYGIENE_METRICS_PORT: '9191',
    KUBE_HYGIENE_CERT: '/mnt/tls.crt',
    KUBE_HYGIENE_KEY: '/mnt/tls.key',
    KUBE_HYGIENE_POLICY: '/etc/kube-hygiene/policy.yaml',
    KUBE_HYGIENE_SHUTDOWN_GRACE: '12.5',
    LOG_LEVEL: 'debug',
  };
  t.match(readConfig([], env), {
    port: 9443,
    metricsPort: 9191,
    cert: '/mnt/tls.crt',
    key: '/mnt/tls.key',
    policy: '/etc/kube-hygiene/policy.yaml',
    shutdownGrace: 12.5,
    logLevel: 'debug',
  });
  t.match(readConfig(['--port', '10443', '--log-level', 'warn'], env), { port: 10443, logLevel: 'warn' });
  t.match(readConfig(CERT, { KUBE_HYGIENE_PORT: '' }), { port: 8443 }, 'an empty variable is unset');
});

t.test('--dev needs no certificate and listens on loopback without a drain delay', async (t) => {
  t.match(readConfig(['--dev'], {}), {
    dev: true,
    host: '127.0.0.1',
    drainDelay: 0,
    devCertsDir: '.dev-certs',
  });
  t.match(readConfig(['--dev', '--host', '0.0.0.0'], {}), { host: '0.0.0.0' });
});

t.test('every mistake is reported, named by flag and variable', async (t) => {
  const err = t.throws(() =>
    readConfig(['--port', 'https', '--metrics-port', '70000'], { LOG_LEVEL: 'loud' }),
  ) as HygieneError;
  t.equal(err.code, ErrorCode.USAGE);
  t.equal(err.details.length, 4);
  t.match(err.details, [
    /^--port \(KUBE_HYGIENE_PORT\): must be integer/,
    /^--metrics-port \(KUBE_HYGIENE_METRICS_PORT\): must be <= 65535/,
    /^--log-level \(LOG_LEVEL\): must be one of/,
    /--cert and --key/,
  ]);
  t.throws(() => readConfig(['--prot', '1'], {}), { code: ErrorCode.USAGE, message: /--prot/ });
});

t.test('every setting has a flag and an environment variable', async (t) => {
  for (const [key, s] of Object.entries(SETTINGS)) {
    t.match(s.flag, /^[a-z][a-z-]+$/, key);
    t.match(s.env, /^(KUBE_HYGIENE_[A-Z_]+|LOG_LEVEL|KUBECONFIG)$/, key);
  }
});

t.test('managed certificates: no --cert/--key, the defaults the deploy/ component expects', async (t) => {
  const config = readConfig([], { KUBE_HYGIENE_CERTIFICATES: 'managed', KUBE_HYGIENE_NAMESPACE: 'hygiene' });
  t.match(config, { certificates: 'managed', namespace: 'hygiene', service: 'kube-hygiene' });
  t.same(managedCertificateSettings(config), {
    namespace: 'hygiene',
    service: 'kube-hygiene',
    hosts: [],
    webhookConfigurations: [
      { kind: 'validatingwebhookconfiguration', name: 'kube-hygiene' },
      { kind: 'mutatingwebhookconfiguration', name: 'kube-hygiene' },
    ],
    certValidityMs: 90 * 86_400_000,
    caValidityMs: 365 * 86_400_000,
  });
  const short = readConfig(
    [
      ...['--certificates', 'managed', '--cert-validity', '20s', '--ca-validity', '1m'],
      ...[
        '--cert-hosts',
        '127.0.0.1, hygiene.example.com',
        '--webhook-configurations',
        'validatingwebhookconfiguration/a',
      ],
    ],
    {},
  );
  t.match(managedCertificateSettings(short), {
    hosts: ['127.0.0.1', 'hygiene.example.com'],
    webhookConfigurations: [{ kind: 'validatingwebhookconfiguration', name: 'a' }],
    certValidityMs: 20_000,
    caValidityMs: 60_000,
  });
  t.equal(durationMs('2160h'), 90 * 86_400_000);
  t.equal(durationMs('90d'), 90 * 86_400_000);
});

t.test('managed certificates: every mistake in its settings is named', async (t) => {
  const err = t.throws(() => readConfig([...CERT, '--certificates', 'managed'], {})) as HygieneError;
  t.match(err.details, [/--cert\/--key and --certificates managed exclude each other/]);
  const bad = t.throws(() =>
    readConfig(
      [
        ...['--certificates', 'managed', '--cert-validity', '5s', '--ca-validity', '8s'],
        ...['--webhook-configurations', 'validating/kube-hygiene,mutatingwebhookconfiguration/'],
      ],
      {},
    ),
  ) as HygieneError;
  t.match(bad.details, [
    /^--webhook-configurations \(KUBE_HYGIENE_WEBHOOK_CONFIGURATIONS\): "validating\/kube-hygiene" is not/,
    /^--webhook-configurations .*"mutatingwebhookconfiguration\/" is not/,
    /^--cert-validity \(KUBE_HYGIENE_CERT_VALIDITY\): must be 10s or more/,
    /^--ca-validity \(KUBE_HYGIENE_CA_VALIDITY\): must be at least twice/,
  ]);
  const form = t.throws(() =>
    readConfig(['--certificates', 'managed', '--cert-validity', '3 days'], {}),
  ) as HygieneError;
  t.match(form.details, [
    /^--cert-validity \(KUBE_HYGIENE_CERT_VALIDITY\): must be a number and a unit: 90s/,
  ]);
  const mode = t.throws(() => readConfig(['--certificates', 'auto'], {})) as HygieneError;
  t.match(mode.details, [/^--certificates \(KUBE_HYGIENE_CERTIFICATES\): must be one of files, managed/]);
});
