// The release is package.json's version wherever it shows: `kube-hygiene --version`, /readyz and
// the kube_hygiene_build_info metric, with the Node.js version that runs it.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../src/metrics/metrics.js';
import { VERSION } from '../src/version.js';
import { runCli } from './harness/cli-process.js';
import { startTestServer } from './harness/server.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

t.test('VERSION is package.json’s', async (t) => {
  t.equal(VERSION, version);
  t.match(VERSION, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a semantic version');
});

t.test('kube-hygiene --version (and version) print it and exit 0', async (t) => {
  for (const arg of ['--version', 'version']) {
    const run = await runCli([arg]);
    t.equal(run.code, 0, arg);
    t.equal(run.stdout, `kube-hygiene ${version} (Node.js ${process.versions.node})\n`);
    t.equal(run.stderr, '');
  }
  t.match((await runCli(['--help'])).stdout, /kube-hygiene --version/, 'the usage mentions it');
});

t.test('kube_hygiene_build_info{version,node} is 1', async (t) => {
  const text = await createMetrics({ defaultMetrics: false }).registry.metrics();
  t.match(text, '# TYPE kube_hygiene_build_info gauge');
  t.match(text, `kube_hygiene_build_info{version="${version}",node="${process.versions.node}"} 1`);
});

t.test('/readyz names the version, and /metrics carries build_info', async (t) => {
  const server = await startTestServer();
  t.teardown(() => server.stop());
  const ready = await server.get('/readyz');
  t.equal(ready.status, 200);
  t.equal(ready.json<{ version: string }>().version, version);
  t.match(await server.metrics(), `kube_hygiene_build_info{version="${version}"`);
});
