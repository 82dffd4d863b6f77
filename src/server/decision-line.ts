// The one log line per admission decision, written through pino's public API: the logger's own
// configuration (envelope, mixin, formatters, serializers, redaction, hooks) shapes it. An earlier
// version rebuilt pino's envelope from symbols pino documents as not for general use, to save a
// few microseconds per request; the decision log is the audit trail, so it follows pino exactly.
import type { Logger } from 'pino';

export type DecisionLine = (record: object) => void;

export function decisionLine(log: Logger, message: string): DecisionLine {
  return (record) => log.info(record, message);
}
