// The decision line is the audit trail: byte for byte the line pino writes for the same record
// with the server's logger, whatever that logger's configuration does to records.
import t from 'tap';
import { pino } from 'pino';
import { createLogger } from '../../src/main.js';
import { decisionLine } from '../../src/server/decision-line.js';

function captured(level = 'info') {
  const lines: string[] = [];
  const log = createLogger(level, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

// Every kind of value the route logs, and strings JSON must escape.
const records: Record<string, unknown>[] = [
  {
    webhook: 'validate',
    uid: '7f3c2a10-5b1e-4c8d-9a2f-000000000001',
    kind: 'Pod',
    namespace: 'home',
    name: 'quote " backslash \\ newline \n tab \t bell \u0007 é ✓ 😀',
    operation: 'CREATE',
    user: 'system:serviceaccount:kube-system:replicaset-controller',
    dryRun: false,
    decision: 'denied',
    mode: 'enforce',
    rules: ['image-registry', 'image-tag'],
    exceptions: [3, 12],
    skipped: undefined,
    unchecked: undefined,
    timeoutMs: undefined,
    ms: 0.42,
  },
  { webhook: 'mutate', rules: [], dryRun: true, unchecked: 'timeout', timeoutMs: 2500, ms: Infinity },
  {},
];

t.test('the line is the one log.info writes, for the server logger and a child of it', async (t) => {
  const { log, lines } = captured();
  const child = log.child({ component: 'admission "routes"' });
  for (const logger of [log, child]) {
    const write = decisionLine(logger, 'admission decision');
    for (const record of records) {
      const before = lines.length;
      logger.info(record, 'admission decision');
      write(record);
      t.equal(lines.length, before + 2, 'one line each');
      const [byPino, byLine] = lines.slice(before).map((l) => l.replace(/"time":\d+/, '"time":0'));
      t.equal(byLine, byPino, `same bytes for ${JSON.stringify(Object.keys(record))}`);
      t.ok(byLine!.endsWith('}\n'), 'one JSON line');
      t.same(JSON.parse(byLine!).msg, 'admission decision');
    }
  }
});

t.test('below the logger level nothing is built or written, and a level change is seen', async (t) => {
  const { log, lines } = captured('warn');
  const write = decisionLine(log, 'admission decision');
  write(records[0]!);
  t.equal(lines.length, 0, 'nothing at warn');
  log.level = 'info';
  write(records[0]!);
  t.equal(lines.length, 1, 'written once info is on');
  t.equal(JSON.parse(lines[0]!).level, 'info');
});

t.test('a logger that rewrites records on the way out gets the line log.info writes', async (t) => {
  const level = { level: (label: string) => ({ level: label }) };
  const rewriting: [string, pino.LoggerOptions, (log: pino.Logger) => pino.Logger][] = [
    ['a mixin', { mixin: () => ({ traceId: 'abc' }), formatters: level }, (l) => l],
    ['a log formatter', { formatters: { ...level, log: (o) => ({ ...o, extra: 1 }) } }, (l) => l],
    ['a nested key', { nestedKey: 'payload', formatters: level }, (l) => l],
    ['redaction', { redact: ['user'], formatters: level }, (l) => l],
    ['a serializer of a logged key', { serializers: { user: () => 'someone' }, formatters: level }, (l) => l],
    [
      'a log method hook',
      {
        hooks: {
          logMethod(args, method) {
            method.apply(this, [{ hooked: true, ...(args[0] as object) }, args[1]] as Parameters<pino.LogFn>);
          },
        },
        formatters: level,
      },
      (l) => l,
    ],
    ['a message prefix', { formatters: level }, (l) => l.child({}, { msgPrefix: '[routes] ' })],
  ];
  for (const [what, options, derive] of rewriting) {
    const lines: string[] = [];
    const log = derive(pino(options, { write: (line: string) => void lines.push(line) }));
    log.info(records[0]!, 'admission decision');
    decisionLine(log, 'admission decision')(records[0]!);
    const [byPino, byLine] = lines.map((l) => l.replace(/"time":\d+/, '"time":0'));
    t.equal(byLine, byPino, what);
  }
});
