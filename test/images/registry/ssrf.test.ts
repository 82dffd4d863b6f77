// The SSRF guard: image hosts, redirects and token realms that lead to loopback, link-local,
// private or odd spellings of them are refused before any socket exists. Canary listeners on
// loopback count connections: the count must stay zero.
import t from 'tap';
import { resolvePlatforms, type PlatformResult } from '../../../src/images/platforms.js';
import { parseImageReference, type ImageReference } from '../../../src/images/reference.js';
import { blockedAddressReason } from '../../../src/images/registry/address-policy.js';
import { RegistryClient } from '../../../src/images/registry/client.js';
import type { Resolver } from '../../../src/images/registry/guarded-lookup.js';
import { LookupFailure } from '../../../src/images/registry/lookup-error.js';
import { startCanary, type Canary } from '../../harness/registry/canary.js';
import { startFaultServer } from '../../harness/registry/fault-server.js';

function ref(image: string): ImageReference {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(`${image}: ${parsed.error}`);
  return parsed.ref;
}

/** A reference with a registry host the parser itself would refuse, to test the client alone. */
function refWithHost(host: string): ImageReference {
  const base = ref('registry.example.test/app:v1');
  return { ...base, domain: host, registry: host, name: `${host}/app`, original: `${host}/app:v1` };
}

const failure = (r: PlatformResult) => (r.ok ? 'resolved' : r.failure);

async function ipv6Canary(port: number): Promise<Canary | undefined> {
  try {
    return await startCanary('::1', port);
  } catch {
    return undefined; // no IPv6 loopback on this machine: those cases are skipped
  }
}

t.test('blocked ranges', async (t) => {
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::a00:1',
    '224.0.0.1',
  ]) {
    t.ok(blockedAddressReason(address), `${address}: ${blockedAddressReason(address)}`);
  }
  for (const address of ['8.8.8.8', '140.82.112.3', '2606:4700::1111']) {
    t.equal(blockedAddressReason(address), undefined, `${address} is allowed`);
  }
});

t.test('no connection is ever attempted to a blocked address', async (t) => {
  const canary = await startCanary();
  t.teardown(canary.close);
  const canary6 = await ipv6Canary(canary.port);
  if (canary6) t.teardown(canary6.close);
  const { port } = canary;
  let rebinds = 0;
  const resolver: Resolver = async (name) => {
    if (name === 'metadata.google.internal') return [{ address: '169.254.169.254', family: 4 }];
    if (name === 'localhost')
      return [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ];
    if (name === 'inside.example.test') return [{ address: '127.0.0.1', family: 4 }];
    if (name === 'mixed.example.test')
      return [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ];
    if (name === 'ten.example.test') return [{ address: '10.0.0.5', family: 4 }];
    if (name === 'v6.example.test') return [{ address: '::1', family: 6 }];
    if (name === 'rebind.example.test') {
      // Rebinding: a harmless unroutable answer first, loopback on the next ask.
      rebinds += 1;
      return [{ address: rebinds % 2 ? '192.0.2.1' : '127.0.0.1', family: 4 }];
    }
    throw Object.assign(new Error(`unknown test name ${name}`), { code: 'ENOTFOUND' });
  };
  const client = new RegistryClient({ resolver, timeoutMs: 300, negativeTtlMs: 0 });

  const hosts = [
    `127.0.0.1:${port}`,
    `127.1:${port}`,
    `2130706433:${port}`,
    `0x7f.0.0.1:${port}`,
    `0177.0.0.1:${port}`,
    `localhost:${port}`,
    `[::1]:${port}`,
    `[::ffff:7f00:1]:${port}`,
    `169.254.169.254`,
    `metadata.google.internal`,
    `inside.example.test:${port}`,
    `mixed.example.test:${port}`,
    `ten.example.test:${port}`,
    `v6.example.test:${port}`,
  ];
  for (const host of hosts) {
    const result = await resolvePlatforms(client, ref(`${host}/app:v1`));
    t.equal(failure(result), LookupFailure.blockedAddress, `${host} is refused`);
    if (!result.ok)
      t.match(result.message, /allowPrivateAddress/, `${host}: the message says how to allow it`);
  }
  const named = await resolvePlatforms(client, ref(`inside.example.test:${port}/app:v1`));
  t.match(
    !named.ok && named.message,
    `registries["inside.example.test:${port}"].allowPrivateAddress: true`,
    'the message names the exact policy key that would allow it',
  );
  const dotted = await resolvePlatforms(client, refWithHost(`[::ffff:127.0.0.1]:${port}`));
  t.equal(failure(dotted), LookupFailure.blockedAddress, '[::ffff:127.0.0.1] is refused');

  for (let i = 0; i < 4; i++) await resolvePlatforms(client, ref(`rebind.example.test:${port}/app:v${i}`));
  t.ok(rebinds >= 4, 'the changing name was looked up each time');
  t.equal(canary.connections(), 0, 'the IPv4 canary saw no connection');
  if (canary6) t.equal(canary6.connections(), 0, 'the IPv6 canary saw no connection');
});

t.test('redirects and token realms are re-checked', async (t) => {
  const canary = await startCanary();
  const server = await startFaultServer();
  t.teardown(canary.close);
  t.teardown(server.close);
  // A fresh client per case: nothing learnt from one case may decide the next.
  const client = () =>
    new RegistryClient({
      registries: { [server.host]: { insecure: true, allowPrivateAddress: true } },
      timeoutMs: 500,
    });
  const targets = [
    `https://127.0.0.1:${canary.port}/v2/x`,
    `https://2130706433:${canary.port}/v2/x`,
    `https://169.254.169.254/latest/meta-data/`,
    `https://[::ffff:127.0.0.1]:${canary.port}/`,
  ];
  for (const target of targets) {
    server.targets.redirect = target;
    server.targets.realm = target;
    const redirected = await resolvePlatforms(
      client(),
      ref(`${server.host}/redirect-blocked:${targets.indexOf(target)}`),
    );
    t.equal(failure(redirected), LookupFailure.blockedAddress, `redirect to ${target} refused`);
    const realm = await resolvePlatforms(
      client(),
      ref(`${server.host}/realm-blocked:${targets.indexOf(target)}`),
    );
    t.equal(failure(realm), LookupFailure.blockedAddress, `token realm ${target} refused`);
  }
  server.targets.redirect = `http://example.com/v2/x`;
  const downgraded = await resolvePlatforms(client(), ref(`${server.host}/redirect-blocked:plain`));
  t.equal(
    failure(downgraded),
    LookupFailure.insecureRefused,
    'a redirect to plain HTTP elsewhere is refused',
  );
  t.equal(canary.connections(), 0, 'the canary saw no connection');
});

t.test('allowPrivateAddress opens exactly the hosts it names', async (t) => {
  const canary = await startCanary();
  t.teardown(canary.close);
  const client = new RegistryClient({
    registries: { [`127.0.0.1:${canary.port}`]: { insecure: true, allowPrivateAddress: true } },
    timeoutMs: 300,
  });
  const allowed = await resolvePlatforms(client, ref(`127.0.0.1:${canary.port}/app:v1`));
  t.not(failure(allowed), LookupFailure.blockedAddress, 'the named host may be reached');
  t.equal(canary.connections(), 1, 'and it was');
  const other = await resolvePlatforms(client, ref(`localhost:${canary.port}/app:v1`));
  t.equal(
    failure(other),
    LookupFailure.blockedAddress,
    'a name for the same address is another host: refused',
  );
  t.equal(canary.connections(), 1);
});
