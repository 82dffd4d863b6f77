// The three image rules as a user meets them: an AdmissionReview through handleReview with a
// policy written as YAML, judged by what the API server receives (allowed, the denial message,
// warnings, and the audit annotations that carry each finding's JSON pointer).
import t from 'tap';
import { handleReview } from '../../src/admission/handle.js';
import type { AdmissionResponse } from '../../src/admission/review.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { parsePolicy } from '../../src/policy/load.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';
import { REQUESTS, reviewOf, type ReviewOptions } from '../fixtures/objects.js';

const DIGEST = 'sha256:' + '0d5f3a9c'.repeat(8);
const DEFAULT = parsePolicy('', 'default.yaml');

interface SeenFinding {
  rule: string;
  action: string;
  path: string;
  message: string;
}

type Container = Record<string, unknown>;
// Containers ask for their resources, so only the image rules speak.
const c = (name: string, image: unknown, extra: Container = {}): Container => ({
  name,
  image,
  resources: structuredClone(REQUESTS),
  ...extra,
});

function podWith(
  lists: Partial<Record<'containers' | 'initContainers' | 'ephemeralContainers', Container[]>>,
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'team' },
    spec: { containers: [], ...lists },
  } as KubeObject;
}

async function judge(object: KubeObject, policy: CompiledPolicy = DEFAULT, options: ReviewOptions = {}) {
  const outcome = await handleReview(reviewOf(object, options), 'validate', { policy });
  if (!outcome.answered) throw new Error(`expected an answer, got a refusal: ${outcome.body.error.message}`);
  return outcome.body.response;
}

/**
 * Every finding, as a reader of the answer sees it: the audit annotations list each rule's
 * findings (one compact JSON list per rule); a denial's message is its line in the status.
 */
function seen(r: AdmissionResponse): SeenFinding[] {
  const denialLines = new Map<string, string[]>();
  for (const [, rule, message] of (r.status?.message ?? '').matchAll(/^- \[([a-z-]+)\] (.*)$/gm)) {
    denialLines.set(rule!, [...(denialLines.get(rule!) ?? []), message!]);
  }
  return Object.entries(r.auditAnnotations ?? {}).flatMap(([rule, value]) =>
    (JSON.parse(value) as Omit<SeenFinding, 'rule'>[]).map((f) => ({
      rule,
      ...f,
      message: f.action === 'deny' ? (denialLines.get(rule)?.shift() ?? '') : f.message,
    })),
  );
}

const deniedBy = (r: AdmissionResponse) =>
  [...new Set([...(r.status?.message ?? '').matchAll(/^- \[([a-z-]+)\]/gm)].map((m) => m[1]))].sort();

t.test('the seed images are judged right', async (t) => {
  const cases: [image: string, denied: string[], says: RegExp[]][] = [
    [
      'family-assistant:phase2-mcp-logging-fix',
      ['image-registry', 'image-tag'],
      [/names no registry/, /has a sprawl tag/],
    ],
    [
      '100.81.76.55:30500/family-assistant:me-fixed',
      ['image-tag'],
      [
        /has a sprawl tag: tag the build with its version, git commit, date or build number, or pin a digest \("me-fixed" names no version/,
      ],
    ],
    ['ghcr.io/pesuga/homelab/homelab-dashboard:latest', ['image-tag'], [/has a mutable tag/]],
    [`localhost:5001/angzarr-topology:latest@${DIGEST}`, [], []],
    [
      '10.0.0.5:30500/app',
      ['image-tag'],
      [
        /has no tag: tag the build with its version, git commit, date or build number, or pin a digest \(the runtime pulls "latest"\)$/m,
      ],
    ],
  ];
  for (const [image, denied, says] of cases) {
    const r = await judge(podWith({ containers: [c('app', image)] }));
    t.equal(r.allowed, denied.length === 0, `${image}: ${denied.length ? 'denied' : 'allowed'}`);
    t.same(deniedBy(r), denied, `${image}: denied by ${denied.join(', ') || 'nothing'}`);
    for (const re of says) t.match(r.status?.message, re, `${image}: ${re}`);
    if (!denied.length) t.same(r, { uid: r.uid, allowed: true }, `${image}: no warnings or annotations`);
  }
});

t.test('every container list is judged, each finding at its own JSON pointer', async (t) => {
  const pod = podWith({
    initContainers: [
      c('migrate', 'ghcr.io/acme/migrate:v1.0.0'),
      // A native sidecar: an init container that keeps running.
      c('proxy', 'envoyproxy/envoy:latest', { restartPolicy: 'Always' }),
    ],
    containers: [c('app', 'ghcr.io/acme/api:v1.4.2'), c('worker', 'ghcr.io/acme/worker:fixed')],
    ephemeralContainers: [c('debugger', 'ghcr.io/acme/debug', { targetContainerName: 'app' })],
  });
  const r = await judge(pod);
  t.equal(r.allowed, false);
  t.same(
    seen(r)
      .map((f) => `${f.rule} ${f.path}`)
      .sort(),
    [
      'image-registry /spec/initContainers/1/image',
      'image-tag /spec/containers/1/image',
      'image-tag /spec/ephemeralContainers/0/image',
      'image-tag /spec/initContainers/1/image',
    ],
  );
  t.match(r.status?.message, /container "proxy" image "envoyproxy\/envoy:latest"/);
  t.match(r.status?.message, /container "debugger" image "ghcr.io\/acme\/debug" has no tag/);

  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team' },
    spec: {
      template: {
        spec: {
          initContainers: [c('init', 'busybox:1.36')],
          containers: [c('app', 'ghcr.io/acme/api:v1.4.2', { imagePullPolicy: 'Never' })],
        },
      },
    },
  };
  t.same(
    seen(await judge(deployment))
      .map((f) => `${f.rule} ${f.action} ${f.path}`)
      .sort(),
    [
      'image-pull-policy warn /spec/template/spec/containers/0/imagePullPolicy',
      'image-registry deny /spec/template/spec/initContainers/0/image',
      'image-tag deny /spec/template/spec/initContainers/0/image',
    ],
  );
});

t.test('kubectl debug: an ephemeral container added through the subresource is judged', async (t) => {
  const before = podWith({ containers: [c('app', 'ghcr.io/acme/api:v1.4.2')] });
  const after = podWith({
    containers: [c('app', 'ghcr.io/acme/api:v1.4.2')],
    ephemeralContainers: [c('debugger-x7k2p', 'busybox')],
  });
  const r = await judge(after, DEFAULT, {
    operation: 'UPDATE',
    subResource: 'ephemeralcontainers',
    oldObject: before,
  });
  t.equal(r.allowed, false);
  t.same(deniedBy(r), ['image-registry', 'image-tag']);
  t.ok(seen(r).every((f) => f.path === '/spec/ephemeralContainers/0/image'));
});

t.test('allowedRegistries admits its prefixes on path boundaries only', async (t) => {
  const policy = parsePolicy(
    'rules:\n  image-registry:\n    allowedRegistries: [ghcr.io/acme, "10.0.0.5:30500"]\n',
    'team.yaml',
  );
  const allowed = ['ghcr.io/acme/api:v1.4.2', 'ghcr.io/acme/team/api:v2.0.0', '10.0.0.5:30500/app:v1.4.2'];
  for (const image of allowed) {
    t.equal((await judge(podWith({ containers: [c('app', image)] }), policy)).allowed, true, image);
  }
  for (const image of [
    'ghcr.io/acme-evil/api:v1.4.2',
    'quay.io/acme/api:v1.4.2',
    '10.0.0.5:30501/app:v1.4.2',
  ]) {
    const r = await judge(podWith({ containers: [c('app', image)] }), policy);
    t.same(deniedBy(r), ['image-registry'], `${image} is denied by image-registry`);
    t.match(
      r.status?.message,
      `container "app" image "${image}" is not from an allowed registry (ghcr.io/acme, 10.0.0.5:30500): push it to one of them`,
    );
  }
  // The remedy for an unqualified image names the first allowed registry, never Docker Hub,
  // and no tag it does not know: the sprawl tag is what image-tag denies.
  const local = await judge(
    podWith({ containers: [c('app', 'family-assistant:phase2-mcp-logging-fix')] }),
    policy,
  );
  t.match(
    local.status?.message,
    'names no registry: push it as ghcr.io/acme/family-assistant:<tag> (the runtime would pull ' +
      'docker.io/library/family-assistant, and Docker Hub is not an allowed registry)',
  );
  t.notMatch(local.status?.message, /write docker\.io|v1\.4\.2/);
  // A tag that names a build is kept.
  const release = await judge(podWith({ containers: [c('app', 'nginx:1.27.3')] }), policy);
  t.match(release.status?.message, ': push it as ghcr.io/acme/nginx:1.27.3 (the runtime would pull');
  const port = parsePolicy(
    'rules:\n  image-registry:\n    allowedRegistries: ["10.0.0.5:30500"]\n',
    'p.yaml',
  );
  const pinned = await judge(podWith({ containers: [c('app', `family-assistant@${DIGEST}`)] }), port);
  t.match(pinned.status?.message, `: push it as 10.0.0.5:30500/family-assistant@${DIGEST} (the runtime`);
});

t.test('an allowed Docker Hub prefix qualifies the image the runtime pulls, nothing doubled', async (t) => {
  const policy = parsePolicy(
    'rules:\n  image-registry:\n    allowedRegistries: [docker.io/openpolicyagent]\n',
    'opa.yaml',
  );
  const r = await judge(podWith({ containers: [c('app', 'openpolicyagent/opa:0.9.2')] }), policy);
  t.same(deniedBy(r), ['image-registry']);
  t.match(
    r.status?.message,
    /names no registry: write docker\.io\/openpolicyagent\/opa:0\.9\.2, the image the runtime pulls$/m,
  );
  t.equal(
    (await judge(podWith({ containers: [c('app', 'docker.io/openpolicyagent/opa:0.9.2')] }), policy)).allowed,
    true,
    'the remedy, applied, is admitted',
  );
  const elsewhere = parsePolicy(
    'rules:\n  image-registry:\n    allowedRegistries: [ghcr.io/openpolicyagent]\n',
    'mirror.yaml',
  );
  const mirrored = await judge(podWith({ containers: [c('app', 'openpolicyagent/opa:0.9.2')] }), elsewhere);
  t.match(mirrored.status?.message, ': push it as ghcr.io/openpolicyagent/opa:0.9.2 (the runtime would pull');
});

t.test('exemptImages silences every image rule for those images only', async (t) => {
  const policy = parsePolicy(
    'exemptImages: ["registry.k8s.io/**", docker.io/library/busybox]\n',
    'exempt.yaml',
  );
  const pod = podWith({
    initContainers: [c('init', 'busybox', { imagePullPolicy: 'Never' })],
    containers: [c('pause', 'registry.k8s.io/pause'), c('app', 'registry.k8s.io.evil.com/pause')],
  });
  const r = await judge(pod, policy);
  t.same(
    seen(r).map((f) => `${f.rule} ${f.path}`),
    ['image-tag /spec/containers/1/image'],
    'only the lookalike registry is judged',
  );
  const without = await judge(pod);
  t.equal(seen(without).length, 5, 'without the exemptions all five findings are there');
});

t.test('imagePullPolicy: Never warns; other policies are silent; deny is configurable', async (t) => {
  const never = podWith({ containers: [c('app', 'ghcr.io/acme/api:v1.4.2', { imagePullPolicy: 'Never' })] });
  const r = await judge(never);
  t.equal(r.allowed, true, 'a warning does not deny');
  t.same(r.warnings, [
    '[image-pull-policy] container "app" has imagePullPolicy: Never, so it starts only on nodes that already have "ghcr.io/acme/api:v1.4.2": push the image to a registry and use IfNotPresent',
  ]);
  t.same(
    seen(r).map((f) => f.path),
    ['/spec/containers/0/imagePullPolicy'],
  );
  for (const pullPolicy of ['IfNotPresent', 'Always', undefined]) {
    const ok = podWith({
      containers: [c('app', 'ghcr.io/acme/api:v1.4.2', { imagePullPolicy: pullPolicy })],
    });
    t.same(await judge(ok), { uid: r.uid, allowed: true }, `${pullPolicy ?? 'unset'}: nothing said`);
  }
  const strict = parsePolicy('rules:\n  image-pull-policy:\n    action: deny\n', 'strict.yaml');
  t.same(deniedBy(await judge(never, strict)), ['image-pull-policy']);
});

t.test('rule actions: warn lets through, off says nothing', async (t) => {
  const pod = podWith({ containers: [c('app', 'ghcr.io/acme/api:latest')] });
  const warn = await judge(pod, parsePolicy('rules:\n  image-tag:\n    action: warn\n', 'w.yaml'));
  t.equal(warn.allowed, true);
  t.match(warn.warnings, [
    /^\[image-tag\] container "app" image "ghcr.io\/acme\/api:latest" has a mutable tag/,
  ]);
  const off = await judge(pod, parsePolicy('rules:\n  image-tag:\n    action: off\n', 'o.yaml'));
  t.same(off, { uid: off.uid, allowed: true });
});

t.test('an invalid reference is one image-registry finding, never a crash', async (t) => {
  const invalid: [image: unknown, why: RegExp][] = [
    ['ghcr.io/Acme/api:v1.4.2', /must be lower case/],
    ['nginx:1.25 ', /white space/],
    ['', /image is empty/],
    [undefined, /container "app" image \(none\) .*names no image/],
    [42, /container "app" image 42 .*must be a string/],
    [{ repo: 'x' }, /container "app" image \{"repo":"x"\} .*must be a string, got object/],
    ['A'.repeat(5000), /image "A{200}…" \(5000 characters\) is not a valid image reference/],
    ['app@sha256:abc', /not a valid digest/],
    [`app@md5:${'a'.repeat(32)}`, /algorithm "md5" is not supported/],
    ['app:' + 'v'.repeat(129), /tag is 129 characters long/],
    ['0d5f3a9c'.repeat(8), /image ID/],
  ];
  for (const [image, why] of invalid) {
    const r = await judge(podWith({ containers: [c('app', image)] }));
    t.equal(r.allowed, false, `${JSON.stringify(image)} is denied`);
    const findings = seen(r);
    t.same(
      findings.map((f) => `${f.rule} ${f.path}`),
      ['image-registry /spec/containers/0/image'],
      `${JSON.stringify(image)}: one finding, no tag judged`,
    );
    t.match(findings[0]?.message, why, `${JSON.stringify(image)}: says why`);
    t.match(
      findings[0]?.message,
      /is not a valid image reference .*, so the kubelet would fail with InvalidImageName: write it as host\/repository:tag, e\.g\. registry\.example\.com\/team\/app:v1\.4\.2$/,
    );
  }
});

t.test('every finding names the container, the image and a remedy', async (t) => {
  const images = [
    'family-assistant:phase2-mcp-logging-fix',
    '100.81.76.55:30500/family-assistant:me-fixed',
    'ghcr.io/pesuga/homelab/homelab-dashboard:latest',
    '10.0.0.5:30500/app',
    'redis:7.2',
    'ghcr.io/Acme/api:v1',
  ];
  const pod = podWith({
    containers: images.map((image, i) => c(`c${i}`, image, i === 0 ? { imagePullPolicy: 'Never' } : {})),
  });
  const findings = seen(await judge(pod));
  t.equal(findings.length, 9, 'three for the first container, two for redis:7.2, one for each other');
  const remedy = /: (write|push|use|tag the build|pin) /;
  for (const f of findings) {
    const i = Number(/\/containers\/(\d+)\//.exec(f.path)?.[1]);
    t.match(f.message, `container "c${i}"`, `${f.rule} ${f.path}: names the container`);
    t.match(f.message, images[i]!, `${f.rule} ${f.path}: names the image`);
    t.match(f.message, remedy, `${f.rule} ${f.path}: says what to do`);
  }
  const unqualified = findings.find(
    (f) => f.rule === 'image-registry' && f.path === '/spec/containers/0/image',
  );
  t.match(
    unqualified?.message,
    'names no registry: push it as registry.example.com/team/family-assistant:<tag>, ' +
      'or write docker.io/library/family-assistant:<tag> if Docker Hub is meant',
  );
  const tag = findings.find((f) => f.rule === 'image-tag' && f.path === '/spec/containers/1/image');
  t.match(
    tag?.message,
    /has a sprawl tag: tag the build with its version, git commit, date or build number, or pin a digest \(/,
  );
  const redis = findings.find((f) => f.rule === 'image-registry' && f.path === '/spec/containers/4/image');
  t.match(
    redis?.message,
    'write docker.io/library/redis:<tag> if Docker Hub is meant',
    'a floating tag is not kept',
  );
});

t.test('in audit mode the remedy survives the 256-byte warning limit for the seed images', async (t) => {
  const audit = parsePolicy('mode: audit\n', 'audit.yaml');
  const seeds = [
    'family-assistant:phase2-mcp-logging-fix',
    '100.81.76.55:30500/family-assistant:me-fixed',
    'ghcr.io/pesuga/homelab/homelab-dashboard:latest',
    '10.0.0.5:30500/app',
  ];
  for (const image of seeds) {
    const r = await judge(podWith({ containers: [c('app', image)] }), audit);
    t.equal(r.allowed, true, `${image}: audit never denies`);
    for (const warning of r.warnings ?? []) {
      t.ok(Buffer.byteLength(warning) <= 256, `${image}: within the limit`);
      t.match(
        warning,
        /: (push it as \S+:<tag>[ ,]|tag the build with its version, git commit, date or build number, or pin a digest)/,
        `${image}: the remedy is kept`,
      );
    }
  }
});

t.test('an image far longer than any real reference is cut short in every message', async (t) => {
  // Valid: the grammar puts no limit on the registry host.
  const huge = `${'a'.repeat(100_000)}.io/app:latest`;
  const r = await judge(podWith({ containers: [c('app', huge, { imagePullPolicy: 'Never' })] }));
  const findings = seen(r);
  t.same(findings.map((f) => f.rule).sort(), ['image-pull-policy', 'image-tag']);
  for (const f of findings) {
    t.ok(f.message.length < 600, `${f.rule}: ${f.message.length} characters`);
    t.match(
      f.message,
      `"${'a'.repeat(200)}…" (${huge.length} characters)`,
      `${f.rule}: says how long it was`,
    );
  }
  t.ok((r.status?.message.length ?? 0) < 1000, 'the denial stays short');
  t.match(
    r.status?.message,
    /has a mutable tag: tag the build with its version, git commit, date or build number, or pin a digest/,
  );
});
