// SSRF through the front door: Pods and Deployments whose images name loopback, link-local and
// metadata addresses in every spelling, names that resolve to them, and a name whose answer
// changes between lookups, admitted by the real server over TLS and by `check --resolve`.
// Canary listeners wait on the port those images would reach: they must see no connection,
// and every answer must come within its deadline and say which address was refused and which
// policy key would allow it.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resolver } from '../../src/images/registry/guarded-lookup.js';
import { startCanary, type Canary } from '../harness/registry/canary.js';
import { startTestServer } from '../harness/server.js';
import { tempDir } from '../harness/tls.js';
import { deployment, pod } from '../rules/registry-admit.js';
import { admitOverTls } from './load.js';
import { runCli } from '../harness/cli-process.js';

const DEADLINE_MS = 2000;
const canary = await startCanary();
t.teardown(canary.close);
const port = canary.port;
// The IPv6 loopback canary shares the port; a machine without ::1 skips the [::1] images.
const canary6: Canary | undefined = await startCanary('::1', port).catch(() => undefined);
if (canary6) t.teardown(canary6.close);

/** An image host, the address the guard must name, and the policy key that would allow it. */
interface Case {
  readonly host: string;
  readonly address: string;
  readonly key: string;
}
const CASES: Case[] = [
  // No canary can listen on 169.254.169.254 here: the failure being blocked-address, not a
  // timeout or a refused connection, is what shows no socket was opened.
  { host: '169.254.169.254', address: '169.254.169.254', key: '169.254.169.254' },
  { host: `127.1:${port}`, address: '127.0.0.1', key: `127.0.0.1:${port}` },
  { host: `2130706433:${port}`, address: '127.0.0.1', key: `127.0.0.1:${port}` },
  { host: `0x7f.0.0.1:${port}`, address: '127.0.0.1', key: `127.0.0.1:${port}` },
  ...(canary6 ? [{ host: `[::1]:${port}`, address: '::1', key: `[::1]:${port}` }] : []),
  { host: `[::ffff:7f00:1]:${port}`, address: '::ffff:7f00:1', key: `[::ffff:7f00:1]:${port}` },
  { host: 'metadata.google.internal', address: '169.254.169.254', key: 'metadata.google.internal' },
  { host: `inside.example.test:${port}`, address: '127.0.0.1', key: `inside.example.test:${port}` },
];

// Answers as a cloud's DNS would; `rebind.example.test` gives another address on each ask,
// none of them public (a public answer would leave the loopback; the client-level test in
// test/images/registry/ssrf.test.ts covers that one).
const REBINDS = ['127.0.0.1', '10.0.0.7', '::ffff:7f00:1', '169.254.169.254'];
let rebindAsks = 0;
const resolver: Resolver = async (name) => {
  if (name === 'metadata.google.internal') return [{ address: '169.254.169.254', family: 4 }];
  if (name === 'inside.example.test') return [{ address: '127.0.0.1', family: 4 }];
  if (name === 'rebind.example.test') {
    const address = REBINDS[rebindAsks++ % REBINDS.length]!;
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  }
  throw Object.assign(new Error(`${name} is not a test name`), { code: 'ENOTFOUND' });
};

const POLICY = `rules: { image-tag: { action: off }, pod-identity-env: { action: off } }\n`;
const connections = () => canary.connections() + (canary6?.connections() ?? 0);

t.test('the server refuses every spelling, in time, and says how to allow it', async (t) => {
  const server = await startTestServer({ policy: POLICY, registryLookups: { resolver } });
  t.teardown(() => server.stop());
  const path = (endpoint: string) => `/${endpoint}?timeout=${DEADLINE_MS / 1000}s`;
  let slowest = 0;
  for (const { host, address, key } of CASES) {
    const image = `${host}/app:v1.0.0`;
    const mutated = await admitOverTls(server, path('mutate'), pod([{ name: 'api', image }]));
    const validated = await admitOverTls(server, path('validate'), deployment([{ name: 'api', image }]));
    for (const [endpoint, answer] of [
      ['mutate', mutated],
      ['validate', validated],
    ] as const) {
      slowest = Math.max(slowest, answer.ms);
      t.equal(answer.status, 200, `${host} ${endpoint}: answered`);
      t.ok(answer.ms < DEADLINE_MS, `${host} ${endpoint}: within the deadline (${answer.ms.toFixed(0)} ms)`);
      t.equal(answer.response.allowed, true, `${host} ${endpoint}: admitted`);
      t.equal(answer.response.patch, undefined, `${host} ${endpoint}: not pinned`);
      const warning = answer.response.warnings?.find((w) => w.includes('(blocked-address)')) ?? '';
      t.ok(warning.includes(`refusing ${address}:`), `${host} ${endpoint}: names ${address}: ${warning}`);
      t.ok(
        warning.includes(`registries["${key}"].allowPrivateAddress: true`),
        `${host} ${endpoint}: names the policy key ${key}`,
      );
    }
  }

  // A changing answer is checked on every ask: four reviews, four lookups, four refusals.
  for (let i = 0; i < REBINDS.length; i++) {
    const image = `rebind.example.test:${port}/app:v1.0.${i}`;
    const answer = await admitOverTls(server, path('mutate'), pod([{ name: 'api', image }]));
    slowest = Math.max(slowest, answer.ms);
    t.ok(answer.ms < DEADLINE_MS, `rebind ${i}: within the deadline`);
    t.match(answer.response.warnings?.join('\n'), /\(blocked-address\): refusing /, `rebind ${i}: refused`);
  }
  t.equal(rebindAsks, REBINDS.length, 'the changing name was resolved for each lookup');

  // The IPv4-mapped address in dotted form is not a valid image reference: image-registry
  // denies it on /validate and no rule looks it up.
  const dotted = await admitOverTls(
    server,
    path('validate'),
    pod([{ name: 'api', image: `[::ffff:127.0.0.1]:${port}/app:v1.0.0` }]),
  );
  t.equal(dotted.status, 200);
  t.equal(dotted.response.allowed, false, 'denied');
  t.match(dotted.response.status?.message, /is not a valid registry host/);

  t.equal(connections(), 0, 'no canary saw a connection');
  t.comment(`slowest answer ${slowest.toFixed(0)} ms of a ${DEADLINE_MS} ms deadline`);
});

const cli = runCli;

t.test('check --resolve refuses them too, without a connection', async (t) => {
  const dir = tempDir('kh-ssrf-');
  // The CLI resolves with the OS: `localhost` is the name that resolves to a private address.
  // Names only a test resolver knows (and metadata.google.internal, which would be asked of
  // this machine's DNS) are left to the server test above.
  const hosts = [
    ...CASES.filter((c) => !/[a-z]\./.test(c.host.replace(/^0x7f/, ''))).map((c) => c.host),
    `localhost:${port}`,
  ];
  const manifest = hosts
    .map(
      (host, i) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: app-${i}, namespace: team }
spec:
  template:
    spec:
      containers:
        - { name: api, image: "${host}/app:v1.0.0" }
`,
    )
    .join('---\n');
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  writeFileSync(join(dir, 'apps.yaml'), manifest);
  const run = await cli([
    'check',
    '--resolve',
    '--policy',
    join(dir, 'policy.yaml'),
    '-o',
    'json',
    join(dir, 'apps.yaml'),
  ]);
  t.equal(run.code, 0, `nothing denied: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as {
    results: { findings: { rule: string; message: string }[] }[];
  };
  t.equal(out.results.length, hosts.length);
  out.results.forEach((result, i) => {
    const message = result.findings.find((f) => f.rule === 'node-arch')?.message ?? '';
    t.match(message, /\(blocked-address\): refusing .*allowPrivateAddress: true/, `${hosts[i]}: refused`);
  });
  t.equal(connections(), 0, 'no canary saw a connection');
});
