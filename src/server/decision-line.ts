// The one log line per admission decision: exactly the JSON that `log.info(record, message)`
// writes, built with one JSON.stringify of the route's fixed-shape record. pino serialises a
// record key by key and escapes each string in JavaScript; under load that loop was the largest
// single cost of a decision (about a tenth of the server's CPU per request, 3 KB of garbage).
// The envelope (level, time, pid, hostname, message key) still comes from the logger through
// pino's exported symbols, so the logger's configuration decides it; a logger that rewrites
// records on the way out (mixin, log formatter, nested key, write hook) gets log.info itself.
import { pino, type Logger } from 'pino';

const sym = pino.symbols;

type Internals = Record<symbol, unknown>;

export type DecisionLine = (record: object) => void;

export function decisionLine(log: Logger, message: string): DecisionLine {
  const self = log as unknown as Internals;
  const formatters = self[sym.formattersSym] as { log?: unknown } | undefined;
  const hooks = self[sym.hooksSym] as { streamWrite?: unknown } | undefined;
  const stream = self[sym.streamSym] as { write(line: string): void } & Internals;
  const rewrites =
    self[sym.mixinSym] ||
    formatters?.log ||
    self[sym.nestedKeySym] ||
    hooks?.streamWrite ||
    stream?.[sym.needsMetadataGsym];
  if (rewrites || typeof stream?.write !== 'function') return (record) => log.info(record, message);

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
