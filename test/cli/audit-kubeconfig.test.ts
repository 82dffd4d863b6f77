// `kube-hygiene audit` finds its cluster the way kubectl does: --kubeconfig, else the files
// KUBECONFIG lists (merged: the first file to define a name wins it, the first current-context
// wins, missing files are skipped), else ~/.kube/config; --context picks a context; an API
// server that cannot be reached is said once, exit 2. Against the API stand-in and a closed port.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { startApiWithKubeconfig } from '../harness/apiserver/kubeconfig.js';
import { freePort } from '../harness/free-port.js';
import { auditSeed } from '../cluster/audit-seed.js';
import { audit, type AuditIo } from '../../src/cli/audit.js';
import { ErrorCode, HygieneError } from '../../src/errors.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const { api } = await startApiWithKubeconfig(t, auditSeed());
const closed = `https://127.0.0.1:${await freePort()}`;
const dir = mkdtempSync(join(tmpdir(), 'kh-audit-kubeconfig-'));
const ca = Buffer.from(api.caPem).toString('base64');

interface Entries {
  clusters?: Record<string, string>;
  contexts?: Record<string, string>;
  current?: string;
}
/** A kubeconfig file: clusters by name → server, contexts by name → cluster, one user. */
function kubeconfig(name: string, { clusters = {}, contexts = {}, current }: Entries): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const [cluster, server] of Object.entries(clusters))
    lines.push(
      `  - name: ${cluster}`,
      `    cluster: { server: '${server}', certificate-authority-data: ${ca} }`,
    );
  lines.push('users:', '  - name: tester', `    user: { token: '${api.token}' }`, 'contexts:');
  for (const [context, cluster] of Object.entries(contexts))
    lines.push(`  - name: ${context}`, `    context: { cluster: ${cluster}, user: tester }`);
  if (current) lines.push(`current-context: ${current}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}
async function run(args: string[], env: Record<string, string>) {
  const stdout = new Capture();
  const io: AuditIo = { stdout, stderr: new Capture(), env, color: false };
  const outcome = await audit(['-n', 'homelab', '-o', 'json', ...args], io).catch((e: unknown) => e);
  if (typeof outcome === 'number') return { code: outcome, report: JSON.parse(stdout.text) };
  if (!(outcome instanceof HygieneError)) throw outcome;
  return { code: 2, error: outcome };
}

// The live stand-in in a first file; the same cluster name pointing at a closed port in a second,
// which also holds the current-context the first leaves unset.
const FIRST = kubeconfig('first.yaml', {
  clusters: { shared: api.url },
  contexts: { live: 'shared', closed: 'closed-cluster' },
});
const SECOND = kubeconfig('second.yaml', {
  clusters: { shared: closed, 'closed-cluster': closed },
  contexts: { live: 'closed-cluster' },
  current: 'live',
});

t.test('~/.kube/config when there is no --kubeconfig and no KUBECONFIG', async (t) => {
  const home = join(dir, 'home');
  kubeconfig('home/.kube/config', { clusters: { c: api.url }, contexts: { c: 'c' }, current: 'c' });
  const r = await run([], { HOME: home });
  t.equal(r.code, 1, 'the seed cluster has denials');
  t.ok(r.report.results.some((x: { name: string }) => x.name === 'family-assistant'));
  const none = await run([], { HOME: join(dir, 'empty-home') });
  t.match(none.error?.message, /no --kubeconfig, no KUBECONFIG variable, no .*empty-home\/\.kube\/config/);
  const ignored = await run([], { HOME: home, KUBECONFIG: join(dir, 'nowhere.yaml') });
  t.match(
    ignored.error?.message,
    /none of the files KUBECONFIG lists exists \(.*nowhere\.yaml\)/,
    'KUBECONFIG set: ~/.kube/config is not read, as kubectl does not read it',
  );
});

t.test('KUBECONFIG: a path list merged as kubectl merges it', async (t) => {
  const KUBECONFIG = [join(dir, 'missing.yaml'), FIRST, SECOND].join(':');
  const r = await run([], { KUBECONFIG });
  t.equal(
    r.code,
    1,
    `the missing file is skipped, the first file's "shared" and the second file's current-context win: ${r.error?.message}`,
  );
  const flag = await run(['--kubeconfig', SECOND], { KUBECONFIG });
  t.equal(flag.error?.code, ErrorCode.CLUSTER_UNREACHABLE, '--kubeconfig wins over KUBECONFIG');
});

t.test('--context picks the context; an unknown one is named with those there are', async (t) => {
  const KUBECONFIG = [FIRST, SECOND].join(':');
  const down = await run(['--context', 'closed'], { KUBECONFIG });
  t.equal(down.error?.code, ErrorCode.CLUSTER_UNREACHABLE);
  t.equal(
    down.error?.message,
    `cannot reach the API server at ${closed}: connection refused; check the context and its cluster (context "closed" from KUBECONFIG (${FIRST}, ${SECOND}): kubectl config get-contexts, --context NAME) and that the API server is running`,
  );
  const unknown = await run(['--context', 'nope'], { KUBECONFIG });
  t.equal(unknown.error?.code, ErrorCode.USAGE);
  t.match(unknown.error?.message, /^no context "nope" in KUBECONFIG \(.*\) \(its contexts: live, closed\)$/);
  const unset = await run([], { KUBECONFIG: FIRST });
  t.match(
    unset.error?.message,
    /^KUBECONFIG \(.*first\.yaml\) names no current context: pass --context NAME \(its contexts: live, closed\)/,
  );
  t.equal((await run(['--context', 'live'], { KUBECONFIG: FIRST })).code, 1);
});

t.test('an API server that cannot be reached: one line on stderr, exit 2', async (t) => {
  const config = kubeconfig('down.yaml', {
    clusters: { down: closed },
    contexts: { down: 'down' },
    current: 'down',
  });
  const r = spawnSync(process.execPath, [BIN, 'audit', '--kubeconfig', config], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  t.equal(r.status, 2);
  t.equal(r.stdout, '', 'no report of an audit that did not happen');
  t.equal(
    r.stderr,
    `kube-hygiene audit: cannot reach the API server at ${closed}: connection refused; check the context and its cluster (context "down" from ${config}: kubectl config get-contexts, --context NAME) and that the API server is running\n`,
  );
});
