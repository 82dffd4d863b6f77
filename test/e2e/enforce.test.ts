// Scenarios 1 and 2 against the real API server: `kubectl apply` of the seed situations is
// refused with our message and stores nothing; `--dry-run=server` gives the same denial and the
// same warnings, and shows a clean Pod's mutation without storing it.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane } from '../harness/control-plane/control-plane.js';
import { OFFLINE_POLICY, startKubeHygiene } from '../harness/control-plane/kube-hygiene.js';
import { REPO } from '../harness/server-process.js';
import { denialLines, warningLines } from './kubectl-output.js';

// A control plane starts in 10–20 s and each scenario waits on real controllers and timeouts.
t.setTimeout(300_000);

const HOMELAB = join(REPO, 'examples/manifests/homelab.yaml');
const CLEAN_POD = join(REPO, 'test/e2e/manifests/clean-pod.yaml');

const plane = await startControlPlane();
t.teardown(() => plane.stop());
const hygiene = await startKubeHygiene(plane, { overlay: 'enforce', policy: OFFLINE_POLICY });
t.teardown(() => hygiene.stop());
await plane.kubectl(['create', 'namespace', 'homelab']);

t.test(
  'kubectl apply of the seed situations is refused with our message, and nothing is stored',
  async (t) => {
    const applied = await plane.kubectl(['apply', '-f', HOMELAB]);
    t.not(applied.code, 0, 'kubectl fails');
    t.match(
      applied.stderr,
      'admission webhook "validate.kube-hygiene.io" denied the request: kube-hygiene denied Deployment homelab/family-assistant',
      'the API server names our webhook and passes our message on',
    );
    t.match(applied.stderr, 'kube-hygiene denied Deployment homelab/homelab-dashboard');
    const lines = denialLines(applied);
    t.ok(
      lines.some((l) =>
        /^- \[image-registry\] container "assistant" image "family-assistant:phase2-mcp-logging-fix" names no registry: push it as /.test(
          l,
        ),
      ),
      'the unqualified image: rule id, container, image and remedy',
    );
    t.ok(
      lines.some((l) =>
        /^- \[image-tag\] container "assistant" image "family-assistant:phase2-mcp-logging-fix" has a sprawl tag/.test(
          l,
        ),
      ),
      'its sprawl tag',
    );
    t.ok(
      lines.some((l) =>
        /^- \[image-tag\] container "ui" image "ghcr.io\/pesuga\/homelab\/homelab-dashboard:latest" has a mutable tag/.test(
          l,
        ),
      ),
      ':latest',
    );
    t.ok(
      lines.some((l) => /^- \[image-tag\] container "mcp" .*me-fixed/.test(l)),
      'me-fixed',
    );
    const stored = await plane.kubectl(['get', 'deployments', '-n', 'homelab', '-o', 'name']);
    t.equal(stored.code, 0);
    t.equal(stored.stdout.trim(), '', 'no Deployment was stored');
  },
);

t.test(
  '--dry-run=server gives the same denial and warnings as a real apply, and stores nothing',
  async (t) => {
    const real = await plane.kubectl(['apply', '-f', HOMELAB]);
    const dry = await plane.kubectl(['apply', '--dry-run=server', '-f', HOMELAB]);
    t.not(dry.code, 0, 'the dry run fails as the real one does');
    t.ok(denialLines(dry).length >= 4, 'it lists the violations');
    t.same(denialLines(dry), denialLines(real), 'the same violations, word for word');
    t.same(warningLines(dry), warningLines(real), 'the same warnings');
    t.ok(
      warningLines(real).some((w) => w.includes('[image-pull-policy]')),
      'imagePullPolicy: Never is a warning kubectl prints',
    );
    const stored = await plane.kubectl(['get', 'deployments', '-n', 'homelab', '-o', 'name']);
    t.equal(stored.stdout.trim(), '', 'still nothing stored');
  },
);

t.test(
  'a clean Pod passes a server dry run with the mutation visible in -o yaml, and is not stored',
  async (t) => {
    const dry = await plane.kubectl([
      'apply',
      '--dry-run=server',
      '-n',
      'homelab',
      '-o',
      'json',
      '-f',
      CLEAN_POD,
    ]);
    t.equal(dry.code, 0, dry.stderr);
    const pod = JSON.parse(dry.stdout) as {
      spec: {
        containers: {
          name: string;
          env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
        }[];
      };
    };
    const shipper = pod.spec.containers.find((c) => c.name === 'log-shipper')!;
    t.same(
      shipper.env?.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]),
      [
        ['POD_NAME', 'metadata.name'],
        ['POD_NAMESPACE', 'metadata.namespace'],
      ],
      'the sidecar got the downward-API variables',
    );
    t.equal(
      pod.spec.containers.find((c) => c.name === 'api')!.env,
      undefined,
      'the main container is left alone',
    );
    const stored = await plane.kubectl(['get', 'pod', 'api', '-n', 'homelab']);
    t.not(stored.code, 0, 'nothing stored');
    t.match(stored.stderr, 'not found');
  },
);

t.test(
  'a namespace labelled kube-hygiene.io/mode=audit: the same apply succeeds, with every finding a warning',
  async (t) => {
    await plane.kubectl(['create', 'namespace', 'homelab-audit']);
    t.equal(
      (await plane.kubectl(['label', 'namespace', 'homelab-audit', 'kube-hygiene.io/mode=audit'])).code,
      0,
    );
    const denied = denialLines(await plane.kubectl(['apply', '--dry-run=server', '-f', HOMELAB]));
    let applied = await plane.kubectl(['apply', '-n', 'homelab-audit', '-f', '-'], {
      input: readFileSync(HOMELAB, 'utf8').replaceAll('namespace: homelab\n', 'namespace: homelab-audit\n'),
    });
    // The label reaches kube-hygiene through its namespace watch, a moment after kubectl returns.
    for (let i = 0; i < 40 && applied.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      applied = await plane.kubectl(['apply', '-n', 'homelab-audit', '-f', '-'], {
        input: readFileSync(HOMELAB, 'utf8').replaceAll('namespace: homelab\n', 'namespace: homelab-audit\n'),
      });
    }
    t.equal(applied.code, 0, applied.stderr);
    const warned = warningLines(applied);
    t.equal(
      warned.filter((w) => w.includes('not denied (audit mode)')).length,
      denied.length,
      'each violation enforce denies elsewhere is a warning here',
    );
    t.equal(
      (await plane.kubectl(['get', 'deployment', 'family-assistant', '-n', 'homelab-audit'])).code,
      0,
      'stored',
    );
  },
);
