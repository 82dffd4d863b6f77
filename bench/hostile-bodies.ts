// How long hostile request bodies hold the event loop: each goes through the whole Fastify path
// in-process (inject: parse, proto-key scrub, envelope check, engine, response), timed per request.
// A Pod review (`base`) is the carrier; the hostile part is spliced into its pod spec.
import { pino } from 'pino';
import { buildServer } from '../src/server/build.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { Readiness } from '../src/server/readiness.js';
import { loadPolicyFile } from '../src/policy/load.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function hostileTimings(cert: string, key: string, base: string): Promise<string[]> {
  const policy = loadPolicyFile();
  const app = buildServer({
    certificates: {
      current: () => ({ cert, key, notAfter: new Date(), fingerprint: '', subjectAltName: '' }),
      onChange: () => {},
    },
    policy: { current: () => policy, source: 'default' },
    readiness: new Readiness(),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
  });
  await app.ready();
  const insert = (what: string) => base.replace('"restartPolicy"', `${what},"restartPolicy"`);
  const cases: [string, string][] = [
    ['normal Pod review', base],
    ['500k nested arrays (1 MB)', insert(`"deep":${'['.repeat(500_000)}${']'.repeat(500_000)}`)],
    ['100k nested objects', insert(`"deep":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`)],
    ['__proto__ keys ×10k', insert(`"p":[${Array(10_000).fill('{"__proto__":{"x":1}}').join(',')}]`)],
    ['6 MiB image string', base.replace('family-assistant:phase2', `${'a'.repeat(6 * 1024 * 1024)}:phase2`)],
    [
      '7 MiB of small keys',
      insert(`"many":{${Array.from({ length: 350_000 }, (_, i) => `"k${i}":1`).join(',')}}`),
    ],
  ];
  const lines: string[] = [];
  for (const [name, payload] of cases) {
    for (const url of ['/validate', '/mutate']) {
      const times: number[] = [];
      let status = 0;
      for (let i = 0; i < 5; i++) {
        const started = process.hrtime.bigint();
        const res = await app.inject({
          method: 'POST',
          url,
          payload,
          headers: { 'content-type': 'application/json' },
        });
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        status = res.statusCode;
      }
      lines.push(
        `  ${name.padEnd(28)} ${url.padEnd(9)} ${(payload.length / 1048576).toFixed(2).padStart(5)} MiB  HTTP ${status}  median ${median(times).toFixed(1).padStart(6)} ms  max ${Math.max(
          ...times,
        )
          .toFixed(1)
          .padStart(6)} ms`,
      );
    }
  }
  await app.close();
  return lines;
}
