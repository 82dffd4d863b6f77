// POST /validate and POST /mutate: the body goes to handleReview (the same function
// `kube-hygiene review` calls, so there is no second decision path), under the API server's
// deadline. Each decision is one info log line and a few counters; the object itself is
// logged only at debug.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { handleReview, type ReviewOutcome } from '../admission/handle.js';
import { checkReview, type AdmissionReview, type AdmissionReviewResponse } from '../admission/review.js';
import type { EngineDeps, Evaluation } from '../admission/evaluate.js';
import { DeadlinePassed, WorkBudget } from '../admission/work-budget.js';
import { WORKLOAD_KINDS } from '../kube/workload.js';
import { subjectOf, type Subject } from '../admission/subject.js';
import { Decision, type Metrics } from '../metrics/metrics.js';
import type { Endpoint } from '../rules/rule.js';
import { LookupBudget } from '../images/lookup-budget.js';
import type { PolicySource } from './policy-store.js';
import type { Readiness } from './readiness.js';
import { decisionLine } from './decision-line.js';
import type { RegistrySource } from './registry-source.js';
import { decisionBudget, lateReason, lookupBudget, uncheckedAnswer, withinDeadline } from './deadline.js';

export interface AdmissionRouteDeps {
  readonly policy: PolicySource;
  readonly metrics: Metrics;
  readonly readiness: Pick<Readiness, 'draining'>;
  readonly logger: Logger;
  /** Engine collaborators beyond the policy (the cluster view, once it exists). */
  readonly engine?: Omit<EngineDeps, 'policy'>;
  /** Registry lookups, rebuilt with the policy's registry settings; registry rules are off without. */
  readonly registry?: RegistrySource;
}

// Metric labels come from a closed list: a caller cannot mint new time series.
const KNOWN_KINDS = new Set([...WORKLOAD_KINDS, 'HorizontalPodAutoscaler']);
const kindLabel = (kind: string) => (KNOWN_KINDS.has(kind) ? kind : 'other');

type Answered =
  | { outcome: ReviewOutcome; unchecked?: undefined }
  | { outcome: AdmissionReviewResponse; unchecked: 'timeout' | 'engine-error' };

/** Each rule that found something, once, in policy order. */
function firedRules(evaluation: Evaluation | undefined): string[] {
  const ids: string[] = [];
  for (const { rule } of evaluation?.findings ?? []) if (!ids.includes(rule)) ids.push(rule);
  return ids;
}

/** The policy exceptions that excused a denial, for the audit trail; undefined when none did. */
function excusedBy(evaluation: Evaluation | undefined): number[] | undefined {
  let numbers: number[] | undefined;
  for (const { exception } of evaluation?.findings ?? [])
    if (exception !== undefined && !numbers?.includes(exception)) (numbers ??= []).push(exception);
  return numbers;
}

function decisionOf(body: AdmissionReviewResponse, evaluation?: Evaluation): Decision {
  if (!body.response.allowed) return Decision.denied;
  return body.response.warnings?.length || evaluation?.findings.length ? Decision.warned : Decision.allowed;
}

// Longest stretch one review's judging holds the event loop before others get a turn
// (admission/work-budget.ts; figures in docs/reliability.md).
export const WORK_SLICE_MS = 10;

export function admissionRoutes(app: FastifyInstance, deps: AdmissionRouteDeps): void {
  const { metrics, logger: log } = deps;

  /** The engine's answer, or an unchecked one when it failed or could not finish in time. */
  const decide = (
    req: FastifyRequest,
    endpoint: Endpoint,
    timeoutMs: number,
  ): Answered | Promise<Answered> => {
    const review = req.body as AdmissionReview;
    const late = (): Answered => ({
      outcome: uncheckedAnswer(review, lateReason(timeoutMs)),
      unchecked: 'timeout',
    });
    const failed = (err: Error): Answered => {
      if (err instanceof DeadlinePassed) return late();
      // handleReview checks the envelope first: a throw after that is our bug, not the caller's.
      if (checkReview(req.body).length) throw err;
      log.error({ err, uid: review.request.uid }, 'the engine failed; answering allowed with a warning');
      return {
        outcome: uncheckedAnswer(review, `failed while checking (${err.message})`),
        unchecked: 'engine-error',
      };
    };
    const policy = deps.policy.current();
    const registry = deps.registry?.lookupsFor(policy);
    // The API server's clock started when it sent the request: reading the body spent some of it.
    const spent = performance.now() - req.arrivedAt;
    // The whole request's registry time sits inside the API server's deadline.
    const deadline = registry && new LookupBudget(lookupBudget(timeoutMs) - spent);
    const decisionMs = decisionBudget(timeoutMs) - spent;
    const work = new WorkBudget({ sliceMs: WORK_SLICE_MS, endsAt: performance.now() + decisionMs });
    let outcome: ReviewOutcome | Promise<ReviewOutcome>;
    try {
      outcome = handleReview(req.body, endpoint, {
        ...deps.engine,
        policy,
        work,
        ...(registry && { registry, deadline }),
      });
    } catch (err) {
      deadline?.release();
      return failed(err as Error);
    }
    // Only a decision that waits for a lookup can be late, and only a lookup that goes to the
    // network starts the budget's timer: a decision made in this tick needs neither.
    if (!(outcome instanceof Promise)) return { outcome };
    const answered = withinDeadline<Answered>(
      outcome.then((settled): Answered => ({ outcome: settled }), failed),
      decisionMs,
      late,
    );
    return deadline ? answered.finally(() => deadline.release()) : answered;
  };

  const logDecision = decisionLine(log, 'admission decision');

  // A decision made in this tick is answered in it: no promise, no extra turn of the loop.
  const answer = (endpoint: Endpoint) => (req: FastifyRequest, reply: FastifyReply) => {
    const started = process.hrtime.bigint();
    const { timeoutMs } = req;
    const decided = decide(req, endpoint, timeoutMs);
    if (decided instanceof Promise)
      return decided.then((a) => send(req, reply, endpoint, a, started, timeoutMs));
    return send(req, reply, endpoint, decided, started, timeoutMs);
  };

  const send = (
    req: FastifyRequest,
    reply: FastifyReply,
    endpoint: Endpoint,
    answered: Answered,
    started: bigint,
    timeoutMs: number,
  ): FastifyReply => {
    const review = req.body as AdmissionReview;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    metrics.admissionDuration.observe({ webhook: endpoint }, ms / 1000);

    let body: AdmissionReviewResponse;
    let evaluation: Evaluation | undefined;
    let subject: Subject;
    if (answered.unchecked) {
      body = answered.outcome;
      subject = subjectOf(review.request);
    } else if (!answered.outcome.answered) {
      // The review is refused: every 4xx is this route's to send.
      const { error } = answered.outcome.body;
      metrics.admissionRequests.inc({ webhook: endpoint, kind: '', operation: '', decision: Decision.error });
      log.warn(
        { webhook: endpoint, code: error.code, problems: error.details, ms },
        'malformed admission review',
      );
      return reply.code(400).send(answered.outcome.body);
    } else {
      ({ body, evaluation, subject } = answered.outcome);
    }
    const { kind, namespace, name } = subject;
    const { request } = review;
    const decision = answered.unchecked ? Decision.unchecked : decisionOf(body, evaluation);
    metrics.admissionRequests.inc({
      webhook: endpoint,
      kind: kindLabel(kind),
      operation: request.operation,
      decision,
    });
    for (const f of evaluation?.findings ?? []) metrics.findings.inc({ rule: f.rule, action: f.action });
    const object = request.object ?? request.oldObject;
    logDecision({
      webhook: endpoint,
      uid: request.uid,
      kind,
      namespace,
      name,
      operation: request.operation,
      user: request.userInfo?.username,
      dryRun: request.dryRun ?? false,
      decision,
      mode: evaluation?.mode,
      rules: firedRules(evaluation),
      exceptions: excusedBy(evaluation),
      // Undefined values are left out of the line; one shape for every line keeps building it cheap.
      skipped: evaluation?.skipped,
      unchecked: answered.unchecked,
      timeoutMs: answered.unchecked && timeoutMs,
      ms: Math.round(ms * 100) / 100,
    });
    // pino skips serialising below its level: the object costs nothing at info.
    log.debug({ uid: request.uid, object }, 'admitted object');
    // Once draining, each answer closes its connection: the client's next request opens a new
    // one, which the Service routes to a pod that is still ready.
    if (deps.readiness.draining) reply.header('connection', 'close');
    return reply.code(200).send(body);
  };

  app.post('/validate', answer('validate'));
  app.post('/mutate', answer('mutate'));
}
