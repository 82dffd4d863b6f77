// Managed certificates against the real API server: the enforce overlay installed from a fresh
// clone (no deploy/certs), two `serve --certificates managed` replicas behind a Service-like
// balancer, and the API server calling them through the overlay's webhook configurations (url
// clientConfig, no caBundle: the replicas write it). With lifetimes of 20 s (certificate) and
// 60 s (CA), the serving certificate is renewed every ~13 s and the CA replaced once, while
// requests flow through the API server, every replica is handshaken with directly against the
// bundle the webhook configurations hold at that moment, and the writer is replaced halfway.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { join } from 'node:path';
import {
  MANAGED_LEASE,
  MANAGED_SECRET,
  certificate,
  decodeSecret,
  issuedBy,
} from '../../src/certs/managed-state.js';
import { splitPemBundle } from '../../src/certs/webhook-certs.js';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY } from '../harness/control-plane/kube-hygiene.js';
import {
  applyObjects,
  installManaged,
  type ManagedReplica,
} from '../harness/control-plane/managed-replicas.js';
import { eventually } from '../harness/eventually.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read field by field */
t.setTimeout(420_000);

const plane = await startControlPlane();
t.teardown(() => plane.stop());
const install = await installManaged(plane, {
  overlay: 'enforce',
  policy: OFFLINE_POLICY,
  replicas: 2,
  certValidity: '20s',
  caValidity: '60s',
});
t.teardown(() => install.stop());

/** A request to the API server as its admin. */
function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${plane.url}${path}`,
      {
        method,
        ca: plane.pki.caPem,
        cert: readFileSync(plane.pki.admin.cert),
        key: readFileSync(plane.pki.admin.key),
        headers: { 'content-type': 'application/json' },
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('no answer from the API server in 20 s')));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const SECRET_PATH = `/api/v1/namespaces/kube-hygiene/secrets/${MANAGED_SECRET}`;
const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/kube-hygiene/leases/${MANAGED_LEASE}`;
const HOOKS = [
  '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kube-hygiene',
  '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/kube-hygiene',
];
const readState = async () => {
  const decoded = decodeSecret((await api('GET', SECRET_PATH)).json.data);
  return decoded.kind === 'ok' ? decoded.state : undefined;
};
/** The caBundle of every webhook of both configurations, decoded. */
const readBundles = async () =>
  (await Promise.all(HOOKS.map((p) => api('GET', p)))).flatMap(({ json }) =>
    (json.webhooks as { clientConfig: { caBundle?: string } }[]).map((w) =>
      Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString(),
    ),
  );
const leaseHolder = async () =>
  (await api('GET', LEASE_PATH)).json.spec?.holderIdentity as string | undefined;
const identityOf = (r: ManagedReplica) =>
  r.process.logs.find((l) => l.msg === 'certificates: managed in the cluster')?.identity as string;

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'probe', namespace: 'default' },
  spec: { containers: [{ name: 'app', image: 'probe:latest' }] },
};
/** A dry-run create the enforce webhook denies: an answer from a replica, or the API server's failure. */
async function judged(): Promise<string> {
  const { status, json } = await api('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod);
  const message = String(json.message ?? '');
  return status === 403 && message.includes('[image-tag]')
    ? 'denied by kube-hygiene'
    : `${status} ${message}`;
}

/** A full handshake with a replica, trusting only `bundle`, checking the name the API server checks. */
function handshake(port: number, bundle: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, ca: bundle, servername: 'kube-hygiene.kube-hygiene.svc', timeout: 5000 },
      () => {
        const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
        socket.end();
        resolve(fingerprint);
      },
    );
    socket.on('error', reject);
    socket.on('timeout', () => socket.destroy(new Error('handshake timed out')));
  });
}

t.test(
  'two replicas fill the empty Secret once and publish its bundle; the API server calls them',
  async (t) => {
    await eventually(async () => (await readBundles()).every(Boolean), 30_000, 'a caBundle in every webhook');
    const state = (await readState())!;
    t.ok(state, 'the shipped Secret holds a CA and a certificate');
    for (const bundle of await readBundles())
      t.equal(bundle, state.trusted.map((c) => c.pem).join(''), 'the Secret’s bundle');
    t.ok(issuedBy(state.serving, state.signer));
    const writers = install.replicas.filter((r) =>
      r.process.logs.some((l) => l.msg.startsWith('managed certificates: create')),
    );
    t.equal(writers.length, 1, 'one replica filled the Secret');
    t.equal(await leaseHolder(), identityOf(writers[0]!), 'the one holding the Lease');
    await eventually(
      async () => (await judged()) === 'denied by kube-hygiene',
      30_000,
      'the API server calling the replicas',
    );
    await eventually(() => install.balancer.ready().length === 2, 10_000, 'both replicas ready');
  },
);

t.test(
  'rotation, a new CA and a new writer while requests flow: no failed handshake, no failed call',
  async (t) => {
    const tally = {
      calls: 0,
      callFailures: [] as string[],
      handshakes: 0,
      handshakeFailures: [] as string[],
    };
    const seen = {
      serving: new Set<string>(),
      signers: new Set<string>(),
      holders: new Set<string>(),
      trustedCounts: [] as number[],
    };
    const violations: string[] = [];
    let running = true;
    const loops = [
      (async () => {
        while (running) {
          const answer = await judged().catch((err: Error) => err.message);
          if (answer === 'denied by kube-hygiene') tally.calls++;
          else tally.callFailures.push(answer);
        }
      })(),
      (async () => {
        while (running) {
          const bundle = (await readBundles())[0]!;
          const targets = install.replicas.filter((r) => install.balancer.ready().includes(r.port));
          for (const r of targets) {
            try {
              await handshake(r.port, bundle);
              tally.handshakes++;
            } catch (err) {
              tally.handshakeFailures.push(
                `${r.port}: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}`,
              );
            }
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
      (async () => {
        while (running) {
          const state = await readState();
          const bundles = await readBundles();
          const holder = await leaseHolder();
          if (holder) seen.holders.add(holder);
          if (state) {
            seen.serving.add(state.serving.x509.fingerprint256);
            seen.signers.add(state.signer.x509.fingerprint256);
            if (seen.trustedCounts.at(-1) !== state.trusted.length)
              seen.trustedCounts.push(state.trusted.length);
            // Read after the Secret: whatever certificate it holds, the API server trusts its CA already.
            for (const bundle of bundles)
              if (!splitPemBundle(bundle).some((pem) => issuedBy(state.serving, certificate(pem))))
                violations.push(
                  `${new Date().toISOString()}: the Secret's certificate is from a CA the webhooks do not trust`,
                );
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      })(),
    ];
    try {
      await eventually(() => seen.serving.size >= 2, 30_000, 'the first renewal');
      const holder = await leaseHolder();
      const leaving = install.replicas.find((r) => identityOf(r) === holder)!;
      t.ok(leaving, 'the writer is one of the replicas');
      await install.removeReplica(leaving);
      t.equal(await leaving.process.exited, 0, 'the writer stopped cleanly');
      await eventually(
        async () => ![undefined, '', holder].includes(await leaseHolder()),
        10_000,
        'another writer',
      );
      await install.addReplica();
      await eventually(() => install.balancer.ready().length === 2, 20_000, 'the new replica ready');
      await eventually(
        () => seen.signers.size >= 2 && seen.trustedCounts.join().includes('2,1'),
        150_000,
        'a new CA, trusted beside the old one, then alone',
      );
      await new Promise((r) => setTimeout(r, 3000)); // requests on the last certificate
    } catch (err) {
      // A stage that never came: the tallies below still say what happened meanwhile.
      t.fail((err as Error).message);
    } finally {
      running = false;
      await Promise.all(loops);
    }
    t.same(
      tally.callFailures,
      [],
      `${tally.calls} calls through the API server, all answered by kube-hygiene`,
    );
    t.ok(tally.calls >= 100, `${tally.calls} calls`);
    t.same(tally.handshakeFailures, [], `${tally.handshakes} handshakes against the published bundle`);
    t.ok(tally.handshakes >= 300, `${tally.handshakes} handshakes`);
    t.same(violations, [], 'the Secret never held a certificate the webhooks did not trust');
    t.ok(seen.serving.size >= 5, `${seen.serving.size} serving certificates`);
    t.same(seen.trustedCounts.slice(0, 3), [1, 2, 1], 'one CA, then old and new, then the new one alone');
    t.ok(seen.holders.size >= 2, `${seen.holders.size} writers`);
    for (const r of install.replicas) {
      const metrics = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
      t.match(
        metrics,
        /^kube_hygiene_tls_handshake_failures_total 0$/m,
        `replica ${r.port}: no failed handshake`,
      );
    }
    const apiserverLog = readFileSync(join(plane.dir, 'apiserver.log'), 'utf8');
    t.same(
      apiserverLog.split('\n').filter((l) => /failed calling webhook/i.test(l)),
      [],
      'the API server never failed to call',
    );
    for (const r of install.replicas)
      t.same(
        r.process.logs.filter((l) => l.level === 'error'),
        [],
        'no error logged',
      );
  },
);

t.test('RBAC: the Secret, the Lease and the webhook configurations by name, nothing else', async (t) => {
  const as = ['--as', 'system:serviceaccount:kube-hygiene:kube-hygiene'];
  const can = async (...args: string[]) =>
    (await plane.kubectl(['auth', 'can-i', ...args, ...as])).stdout.trim();
  t.equal(await can('update', `secret/${MANAGED_SECRET}`, '-n', 'kube-hygiene'), 'yes');
  t.equal(await can('update', `lease/${MANAGED_LEASE}`, '-n', 'kube-hygiene'), 'yes');
  t.equal(await can('update', 'validatingwebhookconfiguration/kube-hygiene'), 'yes');
  t.equal(await can('update', 'mutatingwebhookconfiguration/kube-hygiene'), 'yes');
  t.equal(await can('get', 'secret/other', '-n', 'kube-hygiene'), 'no', 'no other Secret');
  t.equal(await can('create', 'secrets', '-n', 'kube-hygiene'), 'no', 'no create');
  t.equal(await can('list', 'secrets', '-n', 'kube-hygiene'), 'no');
  t.equal(await can('update', 'validatingwebhookconfiguration/someone-else'), 'no', 'no other webhook');
  t.equal(await can('delete', `secret/${MANAGED_SECRET}`, '-n', 'kube-hygiene'), 'no');
});

t.test('applying the install again keeps what the replicas wrote', async (t) => {
  const before = { secret: (await api('GET', SECRET_PATH)).json.data, bundles: await readBundles() };
  await applyObjects(plane, install.applied);
  t.same((await api('GET', SECRET_PATH)).json.data, before.secret, 'the Secret’s certificates');
  t.same(await readBundles(), before.bundles, 'the caBundles');
  t.equal(await judged(), 'denied by kube-hygiene');
});
