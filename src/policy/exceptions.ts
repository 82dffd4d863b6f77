// The policy's `exceptions:` list: a named, owned, dated excuse for what a rule denies on some
// objects. Its schema (a part of the policy schema), the calendar check of its dates, and the
// compiled form requests read. Applying them to findings is admission/exceptions.ts.
import { compileImageGlobs, type ImageMatcher } from '../images/image-glob.js';

// Namespace and object names hold no `/`: image globs read them as plain text globs.
const globs = (description: string) =>
  ({
    type: 'array',
    minItems: 1,
    items: { type: 'string', minLength: 1 },
    description,
  }) as const;

/** The `exceptions` property of the policy schema; `ruleIds` are the ids an exception may name. */
export function exceptionsSchema<const Ids extends readonly string[]>(ruleIds: Ids) {
  return {
    type: 'array',
    default: [],
    // Each request tries the exceptions against its object: the list stays policy-sized.
    maxItems: 1000,
    description:
      'a finding of a listed rule on a matching object is a warning naming the exception, not a denial, until the end of its expires day (UTC)',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['match', 'rules', 'reason', 'owner', 'expires'],
      properties: {
        match: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          description: 'the objects covered: every field given must match (at least one is given)',
          properties: {
            namespaces: globs('namespace globs (* and ? as in exemptImages)'),
            kinds: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'string',
                pattern: '^[A-Z][A-Za-z0-9]*$',
                description: 'a kind as manifests spell it (Deployment, CronJob)',
              },
            },
            names: globs('object name globs (metadata.name)'),
          },
        },
        rules: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', enum: ruleIds },
          description: 'the rule ids whose findings are excused',
        },
        images: globs('image globs as in exemptImages: only findings about a matching image are excused'),
        reason: {
          type: 'string',
          minLength: 1,
          // It leads the warning, and warnings are kept to 256 bytes; a line break would split
          // the denial's list of findings.
          maxLength: 120,
          pattern: '^[^\\u0000-\\u001f\\u007f]*$',
          description: 'one line saying why (at most 120 characters): it is quoted in every warning',
        },
        owner: {
          type: 'string',
          minLength: 1,
          maxLength: 100,
          pattern: '^[^\\u0000-\\u001f\\u007f]*$',
          description: 'one line naming who renews or removes it (a team, an address)',
        },
        expires: {
          type: 'string',
          format: 'date',
          description: 'last day it applies, YYYY-MM-DD; it ends at the end of that day, UTC',
        },
      },
    },
  } as const;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Milliseconds since the epoch at the start of the day after `date` (YYYY-MM-DD), or NaN. */
export function endOfDay(date: string): number {
  const m = DATE.exec(date);
  if (!m) return NaN;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const start = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2026-02-30 over to 2026-03-02: a date that does not exist comes back changed.
  if (start.getUTCFullYear() !== year || start.getUTCMonth() !== month - 1 || start.getUTCDate() !== day)
    return NaN;
  return Date.UTC(year, month - 1, day + 1);
}

/** The schema's `date` format: YYYY-MM-DD, a day the calendar has. */
export const isCalendarDate = (text: string): boolean => !Number.isNaN(endOfDay(text));

export interface ExceptionSettings {
  readonly match: {
    readonly namespaces?: readonly string[];
    readonly kinds?: readonly string[];
    readonly names?: readonly string[];
  };
  readonly rules: readonly string[];
  readonly images?: readonly string[];
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
}

export interface CompiledException {
  /** 1-based position in the policy's list: how messages name it. */
  readonly number: number;
  readonly rules: ReadonlySet<string>;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
  /** It applies while now < endsAt (ms since the epoch): through the whole of its expires day, UTC. */
  readonly endsAt: number;
  matchesNamespace(namespace: string): boolean;
  matchesObject(namespace: string, kind: string, name: string): boolean;
  /** Undefined when the exception names no images (it covers findings about any image, or none). */
  readonly matchesImage: ImageMatcher | undefined;
}

const textGlobs = (list: readonly string[] | undefined) => {
  if (!list) return () => true;
  const matcher = compileImageGlobs(list);
  return (text: string) => matcher(text, undefined);
};

export function compileExceptions(list: readonly ExceptionSettings[]): readonly CompiledException[] {
  return list.map((e, i) => {
    const namespace = textGlobs(e.match.namespaces);
    const name = textGlobs(e.match.names);
    const kinds = e.match.kinds && new Set(e.match.kinds);
    return Object.freeze({
      number: i + 1,
      rules: new Set(e.rules),
      reason: e.reason,
      owner: e.owner,
      expires: e.expires,
      endsAt: endOfDay(e.expires),
      matchesNamespace: namespace,
      matchesObject: (ns: string, kind: string, objectName: string) =>
        (!kinds || kinds.has(kind)) && namespace(ns) && name(objectName),
      matchesImage: e.images && compileImageGlobs(e.images),
    });
  });
}

export const isExpired = (exception: CompiledException, now: Date): boolean =>
  now.getTime() >= exception.endsAt;

/** How many exceptions apply at `now`, and how many have expired (the server's gauge). */
export function exceptionCounts(exceptions: readonly CompiledException[], now: Date) {
  const expired = exceptions.filter((e) => isExpired(e, now)).length;
  return { active: exceptions.length - expired, expired };
}

/** What `check` and `audit` say about an exception that no longer earns its place. */
export interface ExceptionNotice {
  readonly exception: number;
  readonly owner: string;
  readonly expires: string;
  readonly state: 'expired' | 'unmatched';
  readonly message: string;
}

/**
 * The expired exceptions, and those that covered no denial in what was judged (`used` holds
 * the numbers of those that did). `inScope` leaves out exceptions that are none of this run's
 * business (audit -n: those for other namespaces).
 */
export function exceptionNotices(
  exceptions: readonly CompiledException[],
  used: ReadonlySet<number>,
  now: Date,
  inScope: (exception: CompiledException) => boolean = () => true,
): ExceptionNotice[] {
  const notices: ExceptionNotice[] = [];
  for (const e of exceptions) {
    if (!inScope(e)) continue;
    const who = `exception #${e.number} (owner ${e.owner})`;
    const base = { exception: e.number, owner: e.owner, expires: e.expires };
    if (isExpired(e, now)) {
      notices.push({
        ...base,
        state: 'expired',
        message: `${who}: expired ${e.expires}; renew it with a later expires date or remove it`,
      });
    } else if (!used.has(e.number)) {
      notices.push({
        ...base,
        state: 'unmatched',
        message: `${who}: matched nothing; remove it if it is no longer needed`,
      });
    }
  }
  return notices;
}
