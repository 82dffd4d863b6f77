// The process edge and the only file that listens: config → certificate → policy → server →
// listen, then SIGTERM → unready → drain → close → exit 0. `npm start` runs this file with --dev;
// `kube-hygiene serve` calls main() with its arguments.
import { realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { pino, type DestinationStream, type Logger } from 'pino';
import {
  configHelp,
  connectionInputs,
  managedCertificateSettings,
  readConfig,
  type Config,
} from './config.js';
import { chooseConnection, type ConnectionSource } from './cluster/connection-source.js';
import type { ClusterViewOptions } from './cluster/view.js';
import { HygieneError } from './errors.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { buildServer, type ServerDeps } from './server/build.js';
import { batchedStdout } from './server/batched-log.js';
import { openCertificateStore } from './server/certificate-store.js';
import { buildMetricsServer } from './server/metrics-server.js';
import { openPolicyStore, type PolicyStoreOptions } from './server/policy-store.js';
import { Readiness, type ReadinessCheck } from './server/readiness.js';
import { openRegistrySource, type RegistrySourceOptions } from './server/registry-source.js';
import { clusterCacheCheck, openClusterSource, type ConnectedCluster } from './server/cluster-source.js';
import type { WatchOptions } from './server/watch-files.js';
import { tryItText } from './server/try-it.js';
import { systemClock } from './admission/exceptions.js';
import { exceptionCounts } from './policy/exceptions.js';

const FIRST_ROUND_WAIT_MS = 3000;

export interface StartOptions {
  readonly logger?: Logger;
  readonly watch?: WatchOptions;
  readonly engine?: ServerDeps['engine'];
  readonly rules?: PolicyStoreOptions['rules'];
  /** The metrics registry, when other parts (registry client, cluster view) count into it too. */
  readonly metrics?: Metrics;
  /** Named readiness checks (a cache that must be warm before traffic), added to /readyz. */
  readonly readinessChecks?: Readonly<Record<string, ReadinessCheck>>;
  /** Where the cluster is (main() looks for the in-cluster service account too); default: --kubeconfig or none. */
  readonly connection?: ConnectionSource;
  /** Deadlines and retry pacing of the cluster view. */
  readonly cluster?: ClusterViewOptions;
  /**
   * Registry lookups for node-arch, image-exists and image-digest. main() turns them on; other
   * callers (tests of everything else) leave them off so they never reach out to a registry.
   */
  readonly registryLookups?: boolean | Pick<RegistrySourceOptions, 'resolver'>;
}

export interface RunningServer {
  readonly port: number;
  readonly metricsPort: number;
  readonly readiness: Readiness;
  readonly policyHash: () => string;
  /** Unready, drain, close; resolves true when every request finished inside the grace period. */
  stop(): Promise<boolean>;
}

/**
 * The server's logger: JSON lines on stdout, written in batches held at most 15 ms (a SIGKILL
 * loses nothing older than 50 ms: server/batched-log.ts).
 */
export function createLogger(level: string, destination: DestinationStream = batchedStdout()): Logger {
  return pino({ level, formatters: { level: (label) => ({ level: label }) } }, destination);
}

export async function start(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = options.metrics ?? createMetrics();
  const connection = options.connection ?? chooseConnection(connectionInputs(config, {}));
  // Managed certificates live in the cluster: their Kubernetes client is loaded only for them.
  const managed =
    config.certificates === 'managed'
      ? (await import('./server/managed-certificates-source.js')).openManagedCertificates(
          connection,
          managedCertificateSettings(config),
          logger,
          metrics,
        )
      : undefined;
  if (!managed && (!config.cert || !config.key)) throw new Error('start() needs config.cert and config.key');
  const certificates =
    managed ??
    openCertificateStore({
      certFile: config.cert!,
      keyFile: config.key!,
      logger,
      metrics,
      ...options.watch,
    });
  // The first round fills an empty Secret or reads the certificate, so most starts listen with
  // it. An API server that is slow to answer does not hold the listen (and the liveness probe)
  // back: the placeholder serves, and /readyz stays 503 until the certificate arrives.
  if (managed) await Promise.race([managed.firstRound, sleep(FIRST_ROUND_WAIT_MS)]);
  const policy = openPolicyStore({
    file: config.policy,
    logger,
    metrics,
    rules: options.rules,
    ...options.watch,
  });
  let cluster: ConnectedCluster | undefined;
  try {
    cluster = await openClusterSource(connection, {
      policy,
      logger,
      metrics,
      viewOptions: options.cluster,
    });
  } catch (err) {
    await managed?.stop();
    certificates.close();
    policy.close();
    throw err;
  }
  const readiness = new Readiness();
  if (managed) readiness.addCheck('certificate', managed.readiness);
  for (const [name, check] of Object.entries(options.readinessChecks ?? {})) readiness.addCheck(name, check);
  const view = cluster?.view;
  if (view) readiness.addCheck('cluster cache', clusterCacheCheck(view, logger));
  const engine =
    options.engine ??
    (view && {
      cluster: view,
      namespaceMode: view.namespaceMode,
      pullCredentials: cluster?.pullSecrets?.pullCredentials,
    });
  // Exceptions expire as the clock moves: the gauge counts them at each scrape, by the requests' clock.
  const clock = engine?.clock ?? systemClock;
  metrics.setExceptionSource(() => exceptionCounts(policy.current().exceptions, clock()));
  const registry = options.registryLookups
    ? openRegistrySource({
        logger,
        metrics,
        ...(typeof options.registryLookups === 'object' && options.registryLookups),
      })
    : undefined;
  // Built now, so unusable registry settings are logged at start rather than on first use.
  registry?.lookupsFor(policy.current());
  const app = buildServer({
    certificates,
    policy,
    readiness,
    metrics,
    logger,
    engine,
    registry,
    maxConnections: config.maxConnections,
  });
  const metricsApp = buildMetricsServer(metrics);
  try {
    await app.listen({ port: config.port, host: config.host });
    await metricsApp.listen({ port: config.metricsPort, host: config.host });
  } catch (err) {
    await managed?.stop();
    certificates.close();
    policy.close();
    await Promise.allSettled([app.close(), metricsApp.close(), view?.stop()]);
    throw err;
  }
  const portOf = (a: typeof metricsApp) => (a.server.address() as { port: number }).port;
  const port = portOf(app as never);
  const metricsPort = portOf(metricsApp);
  logger.info(
    { url: `https://${config.host}:${port}`, metrics: `http://${config.host}:${metricsPort}/metrics` },
    `listening on ${config.host}:${port} (metrics ${metricsPort})`,
  );
  // The line an operator (and a rollout) waits for: out now, not with the next batch.
  logger.flush();
  let stopping: Promise<boolean> | undefined;

  const stop = async (): Promise<boolean> => {
    readiness.startDraining();
    logger.info(
      { drainDelay: config.drainDelay, shutdownGrace: config.shutdownGrace },
      'shutting down: /readyz now 503',
    );
    await sleep(config.drainDelay * 1000);
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => {
      graceTimer = setTimeout(() => resolve(false), config.shutdownGrace * 1000);
    });
    // server.close() reaps the connections idle at that moment; one still answering becomes
    // idle later and would hold the close open until keepAliveTimeout: reap those as they come.
    const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
    const clean = await Promise.race([app.close().then(() => true as const), graceOver]);
    clearInterval(reaper);
    clearTimeout(graceTimer);
    if (!clean) {
      logger.warn(
        { shutdownGrace: config.shutdownGrace },
        'grace period over: closing the connections still open',
      );
      app.server.closeAllConnections();
    }
    certificates.close();
    policy.close();
    await Promise.all([metricsApp.close(), view?.stop(), managed?.stop()]);
    logger.info({ clean }, 'stopped');
    return clean;
  };
  return {
    port,
    metricsPort,
    readiness,
    policyHash: () => policy.current().hash,
    stop: () => (stopping ??= stop()),
  };
}

export const SERVE_HELP = `usage: kube-hygiene serve [options]

Serves POST /validate and /mutate over HTTPS, GET /healthz and /readyz, and GET /metrics on
a separate plain-HTTP port. Stops cleanly on SIGTERM or SIGINT.

${configHelp()}`;

/** Runs the server until SIGTERM/SIGINT; resolves with the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(SERVE_HELP + '\n');
    return 0;
  }
  let config = readConfig(args);
  const dev =
    config.dev && config.certificates === 'files' && (!config.cert || !config.key)
      ? // node-forge (about 3 MB of resident size) only for the certificate it makes.
        (await import('./certs/dev.js')).ensureDevCertificates(config.devCertsDir)
      : undefined;
  if (dev) config = Object.freeze({ ...config, cert: dev.certFile, key: dev.keyFile });
  const logger = createLogger(config.logLevel);
  if (dev) logger.info({ dir: dev.dir, generated: dev.generated }, 'development certificate in use');
  const server = await start(config, {
    logger,
    connection: chooseConnection(connectionInputs(config)),
    registryLookups: true,
  });
  if (config.dev) process.stderr.write(tryItText(config, server, dev?.caFile));

  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const signal = await signalled;
  logger.info({ signal }, 'signal received');
  await server.stop();
  // Whatever handle might still be open must not keep a stopped server's process alive.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

function isEntryPoint(): boolean {
  try {
    return (
      process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
    );
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`kube-hygiene serve: ${(err as Error).message}\n`);
    process.exitCode = err instanceof HygieneError ? 2 : 1;
  }
}
