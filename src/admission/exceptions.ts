// The policy's exceptions, applied to one request's findings. A deny finding that an
// unexpired exception covers becomes a warning naming the exception (number, owner, expiry,
// reason); one that only an expired exception covers stays denied and says the exception
// expired. Expiry is read from the clock on every request: a date passing needs no reload.
// Only the validating endpoint: the mutating rules never deny, so an exception would have
// nothing to turn into a warning there, and it is not a way to opt out of their edits.
import type { Endpoint, Finding } from '../rules/rule.js';
import type { KubeObject } from '../kube/workload.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { isExpired, type CompiledException } from '../policy/exceptions.js';
import { parseImageReference, type ImageReference } from '../images/reference.js';
import { isJsonObject, pointerSteps } from '../json.js';
import type { ImageMatcher } from '../images/image-glob.js';
import type { WorkBudget } from './work-budget.js';

/** The time exceptions are judged at; tests pass a fixed one. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export interface ExceptionDeps {
  readonly policy: CompiledPolicy;
  readonly clock?: Clock;
  /** Numbers of the exceptions that covered a denial are added here (check and audit report the others). */
  readonly exceptionsUsed?: Set<number>;
  /** The server's slices and deadline (without: one synchronous run, as in the CLI). */
  readonly work?: WorkBudget;
}

export interface ExceptionTarget {
  readonly endpoint: Endpoint;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly object: KubeObject;
}

const LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

function descend(root: unknown, steps: readonly string[]): unknown {
  let node = root;
  for (const step of steps) {
    if (Array.isArray(node)) node = /^\d+$/.test(step) ? node[Number(step)] : undefined;
    else if (isJsonObject(node)) node = node[step];
    else return undefined;
  }
  return node;
}

/**
 * The images a finding is about, keyed by where they are: one container's image when the
 * finding points into a container, every image of a pod spec when it points at the pod spec
 * (node-arch's placement), none otherwise (an HPA's target).
 */
function imagesAt(object: KubeObject, path: string): { key: string; images: string[] } {
  const steps = pointerSteps(path);
  for (let i = steps.length - 2; i >= 0; i--) {
    if (LISTS.has(steps[i]!) && /^\d+$/.test(steps[i + 1]!)) {
      const at = steps.slice(0, i + 2);
      const image = descend(object, [...at, 'image']);
      return { key: at.join('/'), images: typeof image === 'string' ? [image] : [] };
    }
  }
  const spec = descend(object, steps);
  if (!isJsonObject(spec)) return { key: path, images: [] };
  const images: string[] = [];
  for (const list of LISTS) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) if (isJsonObject(c) && typeof c.image === 'string') images.push(c.image);
  }
  return { key: path, images };
}

/** One request's image questions, each answered once however many findings ask it. */
class ImageAnswers {
  readonly #refs = new Map<string, ImageReference | undefined>();
  /** exception number, image → the exception's globs match it. */
  readonly #images = new Map<string, boolean>();
  /** exception number, container or pod spec → it covers the findings there. */
  readonly #places = new Map<string, boolean>();
  // A pod spec's findings share its path: its images are gathered once, not once per finding.
  readonly #sites = new Map<string, { key: string; images: string[] }>();
  constructor(private readonly object: KubeObject) {}

  covers(exception: CompiledException, path: string): boolean {
    const matcher = exception.matchesImage;
    if (!matcher) return true;
    let site = this.#sites.get(path);
    if (!site) this.#sites.set(path, (site = imagesAt(this.object, path)));
    const { key, images } = site;
    const placeKey = `${exception.number}\0${key}`;
    let answer = this.#places.get(placeKey);
    if (answer === undefined) {
      answer = images.length > 0 && images.every((image) => this.#matches(exception.number, matcher, image));
      this.#places.set(placeKey, answer);
    }
    return answer;
  }

  #matches(number: number, matcher: ImageMatcher, image: string): boolean {
    const imageKey = `${number}\0${image}`;
    let answer = this.#images.get(imageKey);
    if (answer === undefined) {
      if (!this.#refs.has(image)) {
        const parsed = parseImageReference(image);
        this.#refs.set(image, parsed.ok ? parsed.ref : undefined);
      }
      answer = matcher(image, this.#refs.get(image));
      this.#images.set(imageKey, answer);
    }
    return answer;
  }
}

export function excusedMessage(e: CompiledException, message: string): string {
  return `not denied (exception #${e.number}, owner ${e.owner}, until ${e.expires}: ${e.reason}): ${message}`;
}

export function expiredMessage(e: CompiledException, message: string): string {
  return `exception #${e.number} (owner ${e.owner}) expired on ${e.expires}: ${message}`;
}

/**
 * The findings with the policy's exceptions applied (the same array when none applies). Only
 * denials are looked at: an exception excuses nothing else. Image globs cost a few microseconds
 * per container and exception, so on the server the work pauses when its slice is spent, as
 * the rules do (admission/work-budget.ts), and stops at the review's deadline.
 */
export function applyExceptions(
  findings: Finding[],
  target: ExceptionTarget,
  deps: ExceptionDeps,
): Finding[] | Promise<Finding[]> {
  const { exceptions } = deps.policy;
  if (exceptions.length === 0 || target.endpoint !== 'validate') return findings;
  if (!findings.some((f) => f.action === 'deny')) return findings;
  const candidates = exceptions.filter((e) => e.matchesObject(target.namespace, target.kind, target.name));
  if (candidates.length === 0) return findings;
  const now = (deps.clock ?? systemClock)();
  const images = new ImageAnswers(target.object);
  const out = findings.slice();
  const from = (start: number): Finding[] | Promise<Finding[]> => {
    for (let i = start; i < out.length; i++) {
      const f = out[i]!;
      if (f.action !== 'deny') continue;
      if (deps.work?.sliceSpent()) return deps.work.pause().then(() => from(i));
      let active: CompiledException | undefined;
      let expired: CompiledException | undefined;
      for (const e of candidates) {
        if (!e.rules.has(f.rule) || !images.covers(e, f.path)) continue;
        // Every exception that covers it counts as used; the first unexpired one speaks.
        deps.exceptionsUsed?.add(e.number);
        if (isExpired(e, now)) expired ??= e;
        else active ??= e;
      }
      if (active)
        out[i] = {
          ...f,
          action: 'warn',
          message: excusedMessage(active, f.message),
          exception: active.number,
        };
      else if (expired) out[i] = { ...f, message: expiredMessage(expired, f.message) };
    }
    return out;
  };
  return from(0);
}
