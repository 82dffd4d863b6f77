// certs-scripts/generate and rotate as an operator runs them: the files they write checked with
// Node's X.509 and openssl, then served by the real server from a kubelet-style Secret volume and
// reached the way the API server reaches it (the CA bundle only, servername <svc>.<ns>.svc).
// Rotations, the serving certificate's and the CA's, land with no restart and no failed handshake.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { parse, parseAllDocuments } from 'yaml';
import { splitPemBundle } from '../../src/certs/webhook-certs.js';
import { EPHEMERAL_LOOPBACK, REPO, killIfRunning, spawnServer } from '../harness/server-process.js';
import { eventually } from '../harness/eventually.js';
import { KubeletVolume, tempDir } from '../harness/tls.js';

const NAMES = ['hygiene', 'hygiene.platform', 'hygiene.platform.svc', 'hygiene.platform.svc.cluster.local'];
const SERVER_NAME = 'hygiene.platform.svc';

function script(name: 'generate' | 'rotate', args: string[]) {
  const run = spawnSync(join(REPO, 'certs-scripts', name), args, { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

/** A handshake as the API server makes one; resolves the SHA-256 fingerprint served. */
function handshake(port: number, ca: string, servername = SERVER_NAME): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, minVersion: 'TLSv1.2' }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

/** Waits (bounded) until the server presents `expected`: the reload is asynchronous. */
async function servedEventually(port: number, ca: string, expected: string): Promise<string> {
  let seen = '';
  for (let attempt = 0; attempt < 400 && seen !== expected; attempt++) {
    seen = await handshake(port, ca).catch((err: Error) => err.message);
    if (seen !== expected) await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

t.test('generate: files, modes, SANs, chain and expiry, checked by Node and openssl', async (t) => {
  for (const keyType of ['rsa-2048', 'ecdsa-p256']) {
    const dir = join(tempDir(), 'certs');
    const args = ['--out', dir, '--service', 'hygiene', '--namespace', 'platform', '--days', '30'];
    const run = script('generate', [...args, '--key-type', keyType]);
    t.equal(run.code, 0, `${keyType}: exit 0 ${run.stderr}`);
    t.match(run.stdout, /serving certificate for hygiene, hygiene\.platform, hygiene\.platform\.svc/);

    for (const [file, mode] of [
      ['tls.key', 0o600],
      ['ca.key', 0o600],
      ['secret.yaml', 0o600],
      ['tls.crt', 0o644],
    ] as const)
      t.equal(statSync(join(dir, file)).mode & 0o777, mode, `${keyType}: ${file} mode ${mode.toString(8)}`);

    const ca = new X509Certificate(read(dir, 'ca.crt'));
    const leaf = new X509Certificate(read(dir, 'tls.crt'));
    t.equal(
      leaf.subjectAltName,
      NAMES.map((n) => `DNS:${n}`).join(', '),
      `${keyType}: the four service names`,
    );
    t.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), `${keyType}: signed by the CA`);
    t.ok(ca.ca && !leaf.ca);
    t.ok(leaf.checkPrivateKey(createPrivateKey(read(dir, 'tls.key'))), 'the key matches');
    t.equal(createPrivateKey(read(dir, 'tls.key')).asymmetricKeyType, keyType === 'rsa-2048' ? 'rsa' : 'ec');
    const days = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
    t.ok(days > 29.9 && days < 30.1, `${keyType}: valid for 30 days (${days.toFixed(2)})`);
    t.ok(Date.parse(ca.validTo) - Date.now() > 3649 * 86_400_000, 'CA: ten years');

    t.match(openssl('verify', '-CAfile', join(dir, 'ca-bundle.crt'), join(dir, 'tls.crt')), /tls\.crt: OK/);
    const text = openssl('x509', '-in', join(dir, 'tls.crt'), '-noout', '-enddate', '-ext', 'subjectAltName');
    for (const n of NAMES) t.match(text, `DNS:${n}`, `openssl sees ${n}`);
    const enddate = /notAfter=(.+)/.exec(text)?.[1];
    t.equal(Date.parse(enddate ?? ''), Date.parse(leaf.validTo), 'openssl and Node agree on the expiry');

    const secret = parse(read(dir, 'secret.yaml'));
    t.match(secret, {
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'kube-hygiene-tls', namespace: 'platform' },
    });
    const decoded = (k: string) => Buffer.from(secret.data[k], 'base64').toString();
    t.equal(decoded('tls.crt'), read(dir, 'tls.crt'));
    t.equal(decoded('tls.key'), read(dir, 'tls.key'));
    const patches = parseAllDocuments(read(dir, 'ca-bundle-patch.yaml')).map((d) => d.toJS());
    t.same(
      patches.map((p) => p.kind),
      ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'],
    );
    for (const p of patches)
      t.equal(
        Buffer.from(p.webhooks[0].clientConfig.caBundle, 'base64').toString(),
        read(dir, 'ca-bundle.crt'),
      );
    const component = parse(read(dir, 'kustomization.yaml'));
    t.match(component, { kind: 'Component', resources: ['secret.yaml'] });
    t.match(
      parse(component.patches[1].patch),
      {
        kind: 'Deployment',
        spec: {
          template: { spec: { volumes: [{ name: 'tls', secret: { secretName: 'kube-hygiene-tls' } }] } },
        },
      },
      'and mounts it: deploy/base has no certificate of its own',
    );
  }
});

t.test(
  'bad options get a clear message and exit 2, and an existing CA is never replaced silently',
  async (t) => {
    const dir = join(tempDir(), 'certs');
    t.match(script('generate', ['--out', dir, '--key-type', 'dsa']), {
      code: 2,
      stderr: /--key-type must be rsa-2048 or ecdsa-p256/,
    });
    t.match(script('generate', ['--out', dir, '--days', '0']), {
      code: 2,
      stderr: /--days must be a whole number/,
    });
    t.match(script('generate', ['--out', dir, '--service', 'Bad_Name']), {
      code: 2,
      stderr: /--service must be a DNS label/,
    });
    t.match(script('generate', ['--out', dir, '--nope']), {
      code: 2,
      stderr: /^kube-hygiene certs: unknown option --nope\n\nusage: kube-hygiene certs generate/,
    });
    t.match(script('rotate', ['--out', dir]), { code: 2, stderr: /run certs-scripts\/generate first/ });
    t.equal(script('generate', ['--out', dir]).code, 0);
    const ca = read(dir, 'ca.crt');
    t.match(script('generate', ['--out', dir]), { code: 2, stderr: /ca\.key exists: use rotate/ });
    t.equal(read(dir, 'ca.crt'), ca, 'the CA is untouched');
    t.match(script('rotate', ['--out', dir, '--new-ca', '--retire-old-ca']), {
      code: 2,
      stderr: /two steps/,
    });
    writeFileSync(join(dir, 'tls.crt'), 'not a certificate\n');
    t.match(script('rotate', ['--out', dir]), {
      code: 2,
      stderr: /tls\.crt is not a readable PEM .*generate --force/,
    });
  },
);

t.test('the server serves them; rotations land without a restart or a failed handshake', async (t) => {
  const dir = join(tempDir(), 'certs');
  t.equal(script('generate', ['--out', dir, '--service', 'hygiene', '--namespace', 'platform']).code, 0);
  const files = () => ({ 'tls.crt': read(dir, 'tls.crt'), 'tls.key': read(dir, 'tls.key') });
  const volume = new KubeletVolume(join(tempDir(), 'tls'), files());
  const server = spawnServer([
    join(REPO, 'dist/cli/main.js'),
    'serve',
    ...EPHEMERAL_LOOPBACK,
    '--cert',
    volume.path('tls.crt'),
    '--key',
    volume.path('tls.key'),
  ]);
  t.teardown(() => killIfRunning(server));
  const port = await server.port;
  const pid = server.child.pid;
  const firstBundle = read(dir, 'ca-bundle.crt');

  t.equal(
    await handshake(port, firstBundle),
    fingerprint(read(dir, 'tls.crt')),
    'handshake with the CA bundle only',
  );
  await t.rejects(handshake(port, firstBundle, 'hygiene.elsewhere.svc'), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });

  // A new serving certificate from the same CA.
  t.equal(script('rotate', ['--out', dir]).code, 0);
  t.equal(read(dir, 'ca-bundle.crt'), firstBundle, 'rotate keeps the CA');
  volume.swap(files());
  const rotated = fingerprint(read(dir, 'tls.crt'));
  t.equal(await servedEventually(port, firstBundle, rotated), rotated, 'the rotated certificate is served');

  // CA rotation, step 1: the new CA is trusted next to the old one; the serving cert stays.
  t.equal(script('rotate', ['--out', dir, '--new-ca']).code, 0);
  const overlapping = read(dir, 'ca-bundle.crt');
  t.equal(splitPemBundle(overlapping).length, 2, 'old and new CA in the bundle');
  t.equal(fingerprint(read(dir, 'tls.crt')), rotated, 'the serving certificate is unchanged');
  t.equal(await handshake(port, overlapping), rotated, 'the overlapping bundle trusts what is served');
  t.match(script('rotate', ['--out', dir, '--retire-old-ca']), {
    code: 2,
    stderr: /not issued by the current CA yet/,
  });

  // Step 2: a serving certificate from the new CA; only the overlapping bundle trusts it.
  t.equal(script('rotate', ['--out', dir]).code, 0);
  volume.swap(files());
  const fromNewCa = fingerprint(read(dir, 'tls.crt'));
  t.equal(await servedEventually(port, overlapping, fromNewCa), fromNewCa, 'served, trusted by the overlap');
  await t.rejects(
    handshake(port, firstBundle),
    { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    'the old bundle alone would fail',
  );

  // Step 3: the old CA retired.
  t.equal(script('rotate', ['--out', dir, '--retire-old-ca']).code, 0);
  const retired = read(dir, 'ca-bundle.crt');
  t.same(splitPemBundle(retired), [read(dir, 'ca.crt')], 'only the new CA is trusted');
  t.equal(await handshake(port, retired), fromNewCa);

  t.equal(server.child.pid, pid);
  t.equal(server.child.exitCode, null, 'the same process served throughout');
  // Log lines reach stdout in batches (the server's log destination is asynchronous), so the
  // second reload's line may still be on its way when the handshake already shows the new cert.
  const reloads = () => server.logs.filter((l) => l.msg.startsWith('serving certificate reloaded'));
  await eventually(() => reloads().length >= 2, 5000).catch(() => {});
  t.ok(reloads().length >= 2, `each swapped Secret was reloaded (${reloads().length} reloads logged)`);
  t.same(
    server.logs.filter((l) => l.level === 'error' || l.level === 'fatal').map((l) => l.msg),
    [],
    'no reload was refused and nothing failed',
  );
});
