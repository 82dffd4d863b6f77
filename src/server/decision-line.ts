// The one log line per admission decision: exactly the JSON that `log.info(record, message)`
// writes, built with one JSON.stringify of the route's fixed-shape record. pino serialises a
// record key by key and escapes each string in JavaScript; under load that loop was the largest
// single cost of a decision (about a tenth of the server's CPU per request, 3 KB of garbage).
// The envelope (level, time, pid, hostname, message key) still comes from the logger through
// pino's exported symbols, so the logger's configuration decides it; a logger that rewrites
// records on the way out (mixin, formatter, serializers, redaction, hooks, message prefix) and a
// stream that wants pino's metadata get log.info itself.
import { pino, type Logger } from 'pino';

const sym = pino.symbols;

type Internals = Record<symbol, unknown>;

export type DecisionLine = (record: object) => void;

/**
 * Whether the logger changes a record or its line beyond pino's plain envelope. pino's default
 * `err` serializer is left out: it applies only to an `err` key, which a decision has not.
 */
function rewritesRecords(log: Logger, self: Internals): boolean {
  const formatters = self[sym.formattersSym] as { log?: unknown };
  const hooks = self[sym.hooksSym] as { logMethod?: unknown; streamWrite?: unknown };
  const serializers = Object.keys(self[sym.serializersSym] as object).filter((key) => key !== 'err');
  const redacted = Object.keys(self[sym.stringifiersSym] as object).length > 0;
  return Boolean(
    self[sym.mixinSym] ||
    formatters.log ||
    self[sym.nestedKeySym] ||
    log.msgPrefix ||
    hooks.logMethod ||
    hooks.streamWrite ||
    serializers.length ||
    redacted,
  );
}

export function decisionLine(log: Logger, message: string): DecisionLine {
  const self = log as unknown as Internals;
  const stream = self[sym.streamSym] as { write(line: string): void } & Internals;
  if (rewritesRecords(log, self) || stream[sym.needsMetadataGsym])
    return (record) => log.info(record, message);

  const level = log.levels.values.info!;
  const time = self[sym.timeSym] as () => string;
  // endSym is the closing brace and the line end.
  const tail = `,${JSON.stringify(self[sym.messageKeySym])}:${JSON.stringify(message)}${self[sym.endSym] as string}`;
  return (record) => {
    if (!log.isLevelEnabled('info')) return;
    // Read per line: child bindings and the level prefix can change after this was built.
    const head =
      (self[sym.lsCacheSym] as Record<number, string>)[level]! + time() + (self[sym.chindingsSym] as string);
    const fields = JSON.stringify(record);
    stream.write(head + (fields.length > 2 ? ',' + fields.slice(1, -1) : '') + tail);
  };
}
