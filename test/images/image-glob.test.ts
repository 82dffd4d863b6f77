// `exemptImages` globs: `*` stays inside one path segment, `**` crosses segments, `?` is one
// character; tried against the image as written and its normalised forms.
import t from 'tap';
import { compileImageGlobs } from '../../src/images/image-glob.js';
import { parseImageReference } from '../../src/images/reference.js';

function exempt(globs: string[], image: string): boolean {
  const parsed = parseImageReference(image);
  return compileImageGlobs(globs)(image, parsed.ok ? parsed.ref : undefined);
}

const CASES: [glob: string, matched: string[], unmatched: string[]][] = [
  [
    'registry.k8s.io/**',
    [
      'registry.k8s.io/pause:3.9',
      'registry.k8s.io/sig-storage/csi-provisioner:v5.0.1',
      'registry.k8s.io/x@sha256:' + 'a'.repeat(64),
    ],
    ['registry.k8s.io.evil.com/pause:3.9', 'evil.io/registry.k8s.io/pause', 'k8s.io/pause:3.9'],
  ],
  [
    'registry.k8s.io/*',
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/coredns'],
    ['registry.k8s.io/sig-storage/csi-provisioner:v5.0.1', 'registry.k8s.io/coredns/coredns:v1.11.1'],
  ],
  [
    'ghcr.io/acme/**',
    ['ghcr.io/acme/api:v1', 'ghcr.io/acme/team/api'],
    ['ghcr.io/acme-evil/api:v1', 'ghcr.io/acmeapi', 'ghcr.io/other/acme/api'],
  ],
  [
    'ghcr.io/acme/*:latest',
    ['ghcr.io/acme/api:latest'],
    ['ghcr.io/acme/api:v1', 'ghcr.io/acme/team/api:latest'],
  ],
  ['ghcr.io/acme/ap?', ['ghcr.io/acme/api', 'ghcr.io/acme/apx:v1'], ['ghcr.io/acme/ap', 'ghcr.io/acme/apis']],
  // "." is a literal dot, not any character.
  [
    'ghcr.io/acme/api',
    ['ghcr.io/acme/api', 'ghcr.io/acme/api:v1'],
    ['ghcrXio/acme/api', 'ghcr.io/acme/api2'],
  ],
  // Docker Hub: the normalised name covers every spelling and every tag.
  [
    'docker.io/library/nginx',
    [
      'nginx',
      'nginx:1.25',
      'docker.io/nginx:latest',
      'index.docker.io/library/nginx@sha256:' + 'a'.repeat(64),
    ],
    ['nginx-unprivileged', 'docker.io/bitnami/nginx'],
  ],
  ['docker.io/library/*', ['redis:7', 'busybox'], ['bitnami/redis', 'quay.io/redis']],
  ['docker.io/library/nginx:1.25', ['nginx:1.25', 'docker.io/nginx:1.25'], ['nginx:1.26', 'nginx']],
  // A bare name is matched as written: it exempts exactly "nginx", not its tags.
  ['nginx', ['nginx'], ['nginx:1.25', 'docker.io/nginx']],
  ['nginx:*', ['nginx:1.25', 'nginx:latest'], ['nginx', 'docker.io/nginx:1.25']],
  [
    '**/pause',
    ['registry.k8s.io/pause:3.9', 'pause:3.9', 'mirror.example.com/k8s/pause'],
    ['registry.k8s.io/pause-amd64:3.1'],
  ],
  ['[::1]:5000/**', ['[::1]:5000/app:v1'], ['[::1]:5001/app:v1']],
  ['10.0.0.5:30500/*', ['10.0.0.5:30500/app', '10.0.0.5:30500/app:me-fixed'], ['10.0.0.5:30501/app']],
  ['**', ['nginx', 'ghcr.io/a/b/c:d', 'Not A Valid Image'], []],
  ['*', ['nginx', 'nginx:1.25'], ['ghcr.io/acme/api', 'user/app']],
];

t.test('globs match what they say and nothing more', async (t) => {
  for (const [glob, matched, unmatched] of CASES) {
    for (const image of matched) t.ok(exempt([glob], image), `${glob} matches ${image}`);
    for (const image of unmatched) t.notOk(exempt([glob], image), `${glob} does not match ${image}`);
  }
});

t.test('a list matches when any glob does; an empty list matches nothing', async (t) => {
  const globs = ['registry.k8s.io/**', 'docker.io/library/busybox'];
  t.ok(exempt(globs, 'busybox:1.36'));
  t.ok(exempt(globs, 'registry.k8s.io/pause:3.9'));
  t.notOk(exempt(globs, 'ghcr.io/acme/api:v1'));
  for (const image of ['nginx', 'registry.k8s.io/pause:3.9', ''])
    t.notOk(exempt([], image), `[] vs "${image}"`);
});

t.test('an invalid image is matched as written, without a crash', async (t) => {
  t.ok(exempt(['registry.k8s.io/**'], 'registry.k8s.io/Bad:Name:x'));
  t.notOk(exempt(['docker.io/library/*'], 'Bad Name'));
});

t.test('stars match nothing as well as something; other characters are literal', async (t) => {
  t.ok(exempt(['ghcr.io/acme/api*'], 'ghcr.io/acme/api'), '* matches the empty string');
  t.ok(exempt(['ghcr.io/**/api'], 'ghcr.io//api'), '** matches the empty string between slashes');
  t.ok(exempt(['ghcr.io/**api'], 'ghcr.io/acme/team/api'), '** crosses several segments');
  t.ok(exempt(['ghcr.io/***'], 'ghcr.io/a/b'), 'three stars are ** followed by *');
  t.notOk(exempt(['ghcr.io/ac?e'], 'ghcr.io/ac/e'), '? never matches a slash');
  for (const [glob, literal, other] of [
    ['host/a+b', 'host/a+b', 'host/aab'],
    ['host/(a|b)', 'host/(a|b)', 'host/a'],
    ['host/a{1}', 'host/a{1}', 'host/a'],
    ['host/^a$', 'host/^a$', 'host/a'],
    ['host/a\\b', 'host/a\\b', 'host/ab'],
  ]) {
    t.ok(exempt([glob!], literal!), `${glob} matches itself`);
    t.notOk(exempt([glob!], other!), `${glob} is no regular expression`);
  }
});

t.test('globs with several ** still match long images correctly', async (t) => {
  // A Pod author controls the image; it can be far longer than any real reference.
  const long = 'evil.io/' + 'acme/'.repeat(20000) + 'x';
  t.notOk(exempt(['**/acme/**/api'], long));
  t.ok(exempt(['**/acme/**/x'], long));
  t.notOk(exempt(['**a**a**a**a**b'], 'a'.repeat(5000)));
});
