// The soak in CI: 20 seconds instead of 10 minutes, same disturbances, same goals.
import t from 'tap';
import { formatReport, runSoak } from './soak.js';

t.test('a short soak: no failed request through a rotation and a reload, memory bounded', async (t) => {
  const report = await runSoak({ seconds: 20, rate: 150, connections: 4, windowSeconds: 5 });
  t.comment(formatReport(report));
  t.ok(report.requests > 1000, `${report.requests} requests sent`);
  t.equal(report.failed, 0, 'no request failed');
  t.match(report.events.join('\n'), /certificate rotated/, 'the rotation took effect under load');
  t.match(report.events.join('\n'), /policy reloaded/, 'the reload took effect under load');
  const [first, last] = [report.memory[0]!, report.memory.at(-1)!];
  t.ok(last.rssMiB < first.rssMiB + 150, `RSS ${first.rssMiB.toFixed(0)} → ${last.rssMiB.toFixed(0)} MiB`);
});
