// Certificates that manage themselves: every replica reads the managed Secret each round and
// serves the pair in it; the replica holding the Lease also fills the Secret, renews what is due
// (src/certs/renewal.ts) and writes the CA bundle into the webhook configurations. API errors
// never stop the server: they are logged, the next round comes after a growing pause, and the
// certificate in use keeps serving. Until the first managed certificate arrives a throwaway
// self-signed one serves, and /readyz says what it waits for.
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { generateCa, generateServingCertificate, KeyType } from '../certs/generate.js';
import { applyStep, type IssueSettings } from '../certs/managed-steps.js';
import { bundlePem, decodeSecret, encodeSecret, type DecodedSecret } from '../certs/managed-state.js';
import { nextStep, type Timings } from '../certs/renewal.js';
import type { SecretApi } from '../cluster/certificate-objects.js';
import { ConflictError, type LeaderLease } from '../cluster/leader-lease.js';
import type { CaBundlePublisher } from '../cluster/webhook-ca-bundle.js';
import type { Metrics } from '../metrics/metrics.js';
import { checkCertificate, type CertificateStore, type ServingCertificate } from './certificate-store.js';
import type { ReadinessCheck } from './readiness.js';

export interface ManagedCertificatesDeps {
  readonly secret: SecretApi;
  /** `namespace/name` of the Secret, for messages. */
  readonly secretName: string;
  readonly lease: LeaderLease;
  readonly publish: CaBundlePublisher;
  readonly issue: IssueSettings;
  readonly timings: Timings;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
}

export interface ManagedCertificates extends CertificateStore {
  /** Unready until a managed certificate serves. */
  readonly readiness: ReadinessCheck;
  /** Resolves once the first round is over, whatever its outcome. */
  readonly firstRound: Promise<void>;
  /** Ends the rounds and gives the Lease up, so another replica writes at once. */
  stop(): Promise<void>;
}

/** Until the Secret has a certificate: self-signed, trusted by nobody, so /readyz can answer. */
function placeholder(): ServingCertificate {
  const ca = generateCa({
    commonName: 'kube-hygiene placeholder',
    validityDays: 1,
    keyType: KeyType.ecdsaP256,
  });
  const pair = generateServingCertificate({
    ca,
    dnsNames: ['kube-hygiene.invalid'],
    validityDays: 1,
    keyType: KeyType.ecdsaP256,
  });
  return checkCertificate(pair.certPem, pair.keyPem, { cert: 'placeholder', key: 'placeholder' });
}

// A problem seen again is logged again only after this long: one line a minute, not one a round.
const REPEAT_LOG_MS = 60_000;

export function startManagedCertificates(deps: ManagedCertificatesDeps): ManagedCertificates {
  const { secret, lease, publish, issue, timings, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const listeners: ((next: ServingCertificate) => void)[] = [];
  let current = placeholder();
  let managed = false;
  let waitingFor = 'the first round';
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wasLeading = false;
  let published: { bundle: string; since: number } | undefined;
  const logged = new Map<string, number>();

  const report = (problems: string[]) => {
    const at = now();
    for (const problem of problems) {
      if (at - (logged.get(problem) ?? -Infinity) < REPEAT_LOG_MS) continue;
      logged.set(problem, at);
      logger.warn({ secret: deps.secretName, problem }, `managed certificates: ${problem}`);
    }
    for (const [problem, when] of logged) if (at - when >= REPEAT_LOG_MS) logged.delete(problem);
  };

  const serve = (decoded: DecodedSecret) => {
    if (decoded.kind !== 'ok') return;
    const { pem, keyPem } = decoded.state.serving;
    if (managed && pem === current.cert) return;
    const where = `secret ${deps.secretName}`;
    try {
      current = checkCertificate(pem, keyPem, { cert: `${where} tls.crt`, key: `${where} tls.key` });
    } catch (err) {
      metrics.certificateReloads.inc({ result: 'refused' });
      report([`${(err as Error).message}; the certificate in use keeps serving`]);
      return;
    }
    managed = true;
    metrics.setCertificateNotAfter(current.notAfter);
    metrics.certificateReloads.inc({ result: 'ok' });
    for (const listener of listeners) listener(current);
    logger.info(
      {
        notAfter: current.notAfter.toISOString(),
        fingerprint: current.fingerprint,
        san: current.subjectAltName,
      },
      'managed serving certificate loaded',
    );
  };

  /** The writer's part: one renewal step if one is due, then the bundle into the webhook configurations. */
  const write = async (read: V1Secret | undefined, problems: string[]): Promise<DecodedSecret> => {
    let decoded = decodeSecret(read?.data);
    const at = now();
    const bundle = decoded.kind === 'ok' ? bundlePem(decoded.state) : '';
    const publishedForMs = published?.bundle === bundle ? at - published.since : undefined;
    const step = nextStep(decoded, issue, timings, { now: at, publishedForMs });
    if (step.kind !== 'none') {
      try {
        const state = applyStep(decoded.kind === 'ok' ? decoded.state : undefined, step.kind, issue, at);
        await secret.write(read, encodeSecret(state));
        decoded = { kind: 'ok', state };
        const notAfter = (c: { x509: { validTo: string } }) => new Date(c.x509.validTo).toISOString();
        logger.info(
          { step: step.kind, servingNotAfter: notAfter(state.serving), trustedCAs: state.trusted.length },
          `managed certificates: ${step.kind}: ${step.reason}`,
        );
      } catch (err) {
        if (!(err instanceof ConflictError)) problems.push((err as Error).message);
        return decodeSecret(read?.data);
      }
    }
    if (decoded.kind !== 'ok') return decoded;
    const result = await publish(bundlePem(decoded.state));
    if (result.updated.length)
      logger.info({ configurations: result.updated }, 'CA bundle written into the webhook configurations');
    if (!result.published) published = undefined;
    else if (published?.bundle !== bundlePem(decoded.state))
      published = { bundle: bundlePem(decoded.state), since: now() };
    problems.push(...result.problems);
    return decoded;
  };

  const round = async () => {
    const problems: string[] = [];
    let apiFailed = false;
    let leading = false;
    try {
      leading = await lease.round();
    } catch (err) {
      apiFailed = true;
      problems.push((err as Error).message);
    }
    if (leading !== wasLeading) {
      logger.info(
        { identity: lease.identity, lease: leading },
        leading
          ? 'this replica now writes the managed certificates'
          : 'another replica writes the managed certificates',
      );
      wasLeading = leading;
      if (!leading) published = undefined;
    }
    let read: V1Secret | undefined;
    try {
      read = await secret.read();
      const decoded = leading && lease.leading() ? await write(read, problems) : decodeSecret(read?.data);
      serve(decoded);
      if (!managed)
        waitingFor =
          decoded.kind === 'broken'
            ? `secret ${deps.secretName} cannot be used (${decoded.problem}); the writer replaces it`
            : `secret ${deps.secretName} holds no certificate yet`;
    } catch (err) {
      apiFailed = true;
      problems.push((err as Error).message);
      if (!managed) waitingFor = `secret ${deps.secretName} cannot be read: ${(err as Error).message}`;
    }
    if (failures > 0 && !apiFailed)
      logger.info({ after: failures }, 'managed certificates: the API server answers again');
    failures = apiFailed ? failures + 1 : 0;
    report(problems);
  };

  const delay = () =>
    Math.min(timings.tickMs * 2 ** failures, Math.max(timings.maxBackoffMs, timings.tickMs));
  let running: Promise<void> = Promise.resolve();
  const loop = async () => {
    if (stopped) return;
    running = round().catch((err: Error) => report([`unexpected: ${err.message}`]));
    await running;
    if (!stopped) timer = setTimeout(loop, delay()).unref();
  };
  const firstRound = loop().then(() => undefined);

  return {
    current: () => current,
    // No file to refuse: a Secret the server cannot use is replaced, and /readyz says why meanwhile.
    refused: () => undefined,
    onChange: (listener) => void listeners.push(listener),
    close: () => {
      stopped = true;
      clearTimeout(timer);
    },
    readiness: () => (managed ? undefined : `waiting for the managed certificate: ${waitingFor}`),
    firstRound,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
      await lease.release().catch((err: Error) => report([`releasing the lease: ${err.message}`]));
    },
  };
}
