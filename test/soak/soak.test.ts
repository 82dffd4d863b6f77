// The soak in CI: 25 seconds instead of 10 minutes, same load mix, same disturbances, same goals.
import t from 'tap';
import { formatReport, runSoak } from './soak.js';

t.test('a short soak: no failed request through a rotation, a reload and an API restart', async (t) => {
  const report = await runSoak({ seconds: 25, rate: 150, connections: 4, windowSeconds: 5 });
  t.comment(formatReport(report));
  t.ok(report.requests > 1000, `${report.requests} requests sent`);
  t.equal(report.failed, 0, 'no request failed');
  const events = report.events.join('\n');
  t.match(events, /certificate rotated/, 'the rotation took effect under load');
  t.match(events, /policy reloaded/, 'the reload took effect under load');
  t.match(events, /API server restarted .*the cache caught up/, 'the cache caught up after the API restart');
  t.match(events, /; [1-9]\d* HPA checks said they could not check/, 'the restart was seen by HPA checks');
  t.ok(report.outcomes['node-arch pinned']! > 100, 'pods were pinned from registry lookups all along');
  t.ok(report.registryLookups.ok! > 1, `${report.registryLookups.ok} registry lookups answered ok`);
  t.ok(report.outcomes['hpa target found']! > 100, 'HPA targets were found');
  t.ok(report.outcomes['hpa target missing']! > 10, 'missing HPA targets were reported');
  t.ok(report.outcomes['delete names its HPA']! > 100, 'DELETEs named the HPA left behind');
  const [first, last] = [report.memory[0]!, report.memory.at(-1)!];
  t.ok(last.rssMiB < first.rssMiB + 150, `RSS ${first.rssMiB.toFixed(0)} → ${last.rssMiB.toFixed(0)} MiB`);
});
