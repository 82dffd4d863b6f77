// Request bodies as JSON. Small ones (nearly every review) go through Fastify's own parser in
// one call, guarded only when the text could name a poisoned key. Larger ones are parsed in
// slices (src/sliced-json.ts) so that a body of 7 MiB of
// small keys, which JSON.parse turns into one 0.6–1.1 s stall, never holds the other reviews
// for more than a slice; one that cannot be read before its review's deadline is refused.
// Both give the same value: members named __proto__ dropped, constructor.prototype removed.
import { errorCodes, type FastifyInstance } from 'fastify';
import { parseJsonInSlices, ParseDeadlinePassed } from '../sliced-json.js';
import { ErrorCode } from '../errors.js';
import { decisionDue } from './arrival.js';

// JSON.parse of the worst shapes measured (small keys, empty objects) costs about 0.1 s per MiB
// on a 2-core machine: up to 256 KiB that is at most about 25 ms in one go.
export const SLICED_PARSE_FROM_BYTES = 256 * 1024;
// Longest stretch of parsing before the event loop gets a turn.
const PARSE_SLICE_MS = 10;

/**
 * Whether `text` could name `__proto__` or `constructor` as a key, spelled out or escaped. Most
 * reviews cannot: Fastify's parser then needs no guard (the guard scans the whole text twice
 * with a regular expression, a tenth of the parse) and gives the same value.
 */
export function mayHoldPoisonedKeys(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor');
}

export class ReviewTooCostly extends Error {
  readonly code = ErrorCode.REVIEW_TOO_COSTLY;
  readonly statusCode = 413;
  constructor(why: string) {
    super(why);
    this.name = 'ReviewTooCostly';
  }
}

export function jsonBodies(app: FastifyInstance, bodyLimit: number): void {
  const guarded = app.getDefaultJsonParser('remove', 'remove');
  const unguarded = app.getDefaultJsonParser('ignore', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (req, body, done) => {
    const text = body as string;
    if (text.length < SLICED_PARSE_FROM_BYTES)
      return (mayHoldPoisonedKeys(text) ? guarded : unguarded)(req, text, done);
    parseJsonInSlices(text, { sliceMs: PARSE_SLICE_MS, endsAt: decisionDue(req) }).then(
      (value) => done(null, value),
      (err: unknown) =>
        done(
          err instanceof ParseDeadlinePassed
            ? new ReviewTooCostly(err.message)
            : new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(),
          undefined,
        ),
    );
  });
}
