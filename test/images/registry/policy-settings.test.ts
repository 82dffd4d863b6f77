// The policy file's `registries` and `registryLookup` sections: validated like every other
// key, and turned into a client that uses them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ErrorCode, HygieneError } from '../../../src/errors.js';
import { formatPlatform, resolvePlatforms } from '../../../src/images/platforms.js';
import { parseImageReference } from '../../../src/images/reference.js';
import { RegistryClient } from '../../../src/images/registry/client.js';
import { registryClientOptions } from '../../../src/policy/registry-client-options.js';
import { LookupFailure } from '../../../src/images/registry/lookup-error.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { startFaultServer } from '../../harness/registry/fault-server.js';

t.test('defaults', async (t) => {
  const { policy } = parsePolicy('', 'empty.yaml');
  t.same(policy.registries, {});
  const options = registryClientOptions(policy);
  t.equal(options.timeoutMs, 1500, 'a lookup gets 1.5 s');
  t.equal(options.tagTtlMs, 600_000, 'a tag is trusted for 10 minutes');
  t.equal(options.credentials?.size, 0, 'anonymous');
});

t.test('mistakes in registry settings are reported with their paths', async (t) => {
  const text = [
    'registries:',
    '  ghcr.io:',
    '    endpoint: ftp://mirror.internal',
    '    insceure: true',
    'registryLookup:',
    '  timeoutMs: 60000',
  ].join('\n');
  let error: unknown;
  try {
    parsePolicy(text, 'policy.yaml');
  } catch (err) {
    error = err;
  }
  t.ok(error instanceof HygieneError);
  const e = error as HygieneError;
  t.equal(e.code, ErrorCode.POLICY_INVALID);
  t.equal(e.details.length, 3, e.details.join('\n'));
  t.match(e.details.join('\n'), /registries\.ghcr\.io\.endpoint/);
  t.match(e.details.join('\n'), /insceure/);
  t.match(e.details.join('\n'), /registryLookup\.timeoutMs/);
});

t.test('a client built from the policy uses its hosts, timeout and credentials', async (t) => {
  const server = await startFaultServer();
  t.teardown(server.close);
  const dir = mkdtempSync(join(tmpdir(), 'kh-policy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dockerConfig = join(dir, 'config.json');
  writeFileSync(
    dockerConfig,
    JSON.stringify({ auths: { 'registry.example.test': { auth: Buffer.from('u:p').toString('base64') } } }),
  );
  const text = [
    'registries:',
    `  registry.example.test:`,
    `    endpoint: http://${server.host}`,
    `  "${server.host}":`,
    '    insecure: true',
    '    allowPrivateAddress: true',
    'registryLookup:',
    '  timeoutMs: 200',
    `  dockerConfig: ${dockerConfig}`,
  ].join('\n');
  const { policy } = parsePolicy(text, 'policy.yaml');
  const options = registryClientOptions(policy);
  t.equal(
    options.credentials?.get('registry.example.test')?.username,
    'u',
    'credentials read from config.json',
  );
  const client = new RegistryClient(options);

  const parse = (s: string) => {
    const p = parseImageReference(s);
    if (!p.ok) throw new Error(p.error);
    return p.ref;
  };
  const old = await resolvePlatforms(client, parse('registry.example.test/schema1:old'));
  t.same(old.ok && old.platforms.map(formatPlatform), ['linux/arm64'], 'the endpoint serves the public name');
  const started = performance.now();
  const slow = await resolvePlatforms(client, parse('registry.example.test/slow-headers:v1'));
  t.equal(!slow.ok && slow.failure, LookupFailure.timeout);
  t.ok(performance.now() - started < 800, 'timeoutMs from the policy applies');
});
