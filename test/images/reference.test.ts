// The image reference grammar as the kubelet reads a Pod's `image`: distribution/reference's
// regexp.go and normalize.go (ParseNormalizedNamed) plus go-digest's algorithm checks.
import t from 'tap';
import { normalizedString, parseImageReference, type ImageReference } from '../../src/images/reference.js';

type Fields = Omit<ImageReference, 'original'>;
type Row = readonly [image: string, expected: Fields | RegExp];

const H64 = '3f9c2a1b'.repeat(8);
const H96 = 'c0ffee12'.repeat(12);
const H128 = 'deadbeef'.repeat(16);

/** Docker Hub implied: nothing written before the repository path. */
function hub(path: string, tag?: string, digest?: string): Fields {
  return {
    domain: undefined,
    explicitRegistry: false,
    registry: 'docker.io',
    path,
    name: `docker.io/${path}`,
    tag,
    digest,
  };
}

/** A registry host written by the user; `registry` differs only for Docker Hub's legacy alias. */
function at(domain: string, path: string, tag?: string, digest?: string, registry = domain): Fields {
  return { domain, explicitRegistry: true, registry, path, name: `${registry}/${path}`, tag, digest };
}

const DOCKER_HUB: Row[] = [
  ['nginx', hub('library/nginx')],
  ['nginx:1.25.3', hub('library/nginx', '1.25.3')],
  ['nginx:latest', hub('library/nginx', 'latest')],
  ['user/app', hub('user/app')],
  ['user/app:v1', hub('user/app', 'v1')],
  ['user/team/app:v1', hub('user/team/app', 'v1')],
  ['library/nginx', hub('library/nginx')],
  ['docker.io/nginx', at('docker.io', 'library/nginx')],
  ['docker.io/nginx:1.25', at('docker.io', 'library/nginx', '1.25')],
  ['docker.io/library/nginx', at('docker.io', 'library/nginx')],
  ['docker.io/user/app:v2', at('docker.io', 'user/app', 'v2')],
  ['index.docker.io/x', at('index.docker.io', 'library/x', undefined, undefined, 'docker.io')],
  ['index.docker.io/user/x:1', at('index.docker.io', 'user/x', '1', undefined, 'docker.io')],
  // Only the exact lower-case "docker.io" gets the "library/" prefix upstream.
  ['Docker.io/nginx', at('Docker.io', 'nginx')],
  // A single component is always a Docker Hub repository, even when it looks like a host.
  ['localhost', hub('library/localhost')],
  ['example.com', hub('library/example.com')],
  ['example.com:5000', hub('library/example.com', '5000')],
  ['host:5000', hub('library/host', '5000')],
  ['family-assistant:phase2-mcp-logging-fix', hub('library/family-assistant', 'phase2-mcp-logging-fix')],
  ['redis@sha256:' + H64, hub('library/redis', undefined, 'sha256:' + H64)],
];

const HOSTS: Row[] = [
  ['localhost/x', at('localhost', 'x')],
  ['localhost/x:1.0.0', at('localhost', 'x', '1.0.0')],
  ['localhost:5000/x', at('localhost:5000', 'x')],
  ['localhost:5000/team/x:v1', at('localhost:5000', 'team/x', 'v1')],
  ['ghcr.io/acme/api', at('ghcr.io', 'acme/api')],
  ['ghcr.io/acme/api:v1.4.2', at('ghcr.io', 'acme/api', 'v1.4.2')],
  [
    'ghcr.io/pesuga/homelab/homelab-dashboard:latest',
    at('ghcr.io', 'pesuga/homelab/homelab-dashboard', 'latest'),
  ],
  ['registry.k8s.io/pause:3.9', at('registry.k8s.io', 'pause', '3.9')],
  ['quay.io/prometheus/node-exporter:v1.8.2', at('quay.io', 'prometheus/node-exporter', 'v1.8.2')],
  ['a.b.c.d.example.com/x/y/z', at('a.b.c.d.example.com', 'x/y/z')],
  ['my-registry.local/app', at('my-registry.local', 'app')],
  ['xn--bcher-kva.example/app', at('xn--bcher-kva.example', 'app')],
  // The colon before the first slash belongs to the port: no tag here.
  ['host:5000/app', at('host:5000', 'app')],
  ['host:5000/app:tag', at('host:5000', 'app', 'tag')],
  ['host:5000/app:5000', at('host:5000', 'app', '5000')],
  ['host:5000/team/app@sha256:' + H64, at('host:5000', 'team/app', undefined, 'sha256:' + H64)],
  ['10.0.0.5:30500/app', at('10.0.0.5:30500', 'app')],
  ['10.0.0.5/app:v1', at('10.0.0.5', 'app', 'v1')],
  ['100.81.76.55:30500/family-assistant:me-fixed', at('100.81.76.55:30500', 'family-assistant', 'me-fixed')],
  ['127.0.0.1:5000/a/b:c', at('127.0.0.1:5000', 'a/b', 'c')],
  ['[::1]:5000/app', at('[::1]:5000', 'app')],
  ['[::1]:5000/app:v2', at('[::1]:5000', 'app', 'v2')],
  ['[fe80::1]/x', at('[fe80::1]', 'x')],
  ['[2001:db8::8a2e:370:7334]/team/x:1.2.3', at('[2001:db8::8a2e:370:7334]', 'team/x', '1.2.3')],
  ['[FE80::1]:443/x', at('[FE80::1]:443', 'x')],
  // Upper case in the first component makes it a host (paths are lower case only).
  ['Foo/bar', at('Foo', 'bar')],
  ['MyRegistry/app:v1', at('MyRegistry', 'app', 'v1')],
  ['REGISTRY.EXAMPLE.COM/app', at('REGISTRY.EXAMPLE.COM', 'app')],
  ['LOCALHOST/app', at('LOCALHOST', 'app')],
  ['registry.example.com:443/a', at('registry.example.com:443', 'a')],
];

const TAGS_AND_DIGESTS: Row[] = [
  ['app:v1', hub('library/app', 'v1')],
  ['app:LATEST', hub('library/app', 'LATEST')],
  ['app:_underscore', hub('library/app', '_underscore')],
  ['app:1.2.3-rc.1_b.2', hub('library/app', '1.2.3-rc.1_b.2')],
  ['app:a', hub('library/app', 'a')],
  ['app:' + 'a'.repeat(128), hub('library/app', 'a'.repeat(128))],
  ['app@sha256:' + H64, hub('library/app', undefined, 'sha256:' + H64)],
  ['app:latest@sha256:' + H64, hub('library/app', 'latest', 'sha256:' + H64)],
  ['app@sha384:' + H96, hub('library/app', undefined, 'sha384:' + H96)],
  ['app@sha512:' + H128, hub('library/app', undefined, 'sha512:' + H128)],
  [
    'localhost:5001/angzarr-topology:latest@sha256:' + H64,
    at('localhost:5001', 'angzarr-topology', 'latest', 'sha256:' + H64),
  ],
  ['ghcr.io/acme/api:v1@sha256:' + H64, at('ghcr.io', 'acme/api', 'v1', 'sha256:' + H64)],
  // A 64-hex string is refused only as the whole image: with a tag it is a repository name.
  [H64 + ':v1', hub(`library/${H64}`, 'v1')],
];

const SEPARATORS: Row[] = [
  ['a_b', hub('library/a_b')],
  ['a__b', hub('library/a__b')],
  ['a-b', hub('library/a-b')],
  ['a--b', hub('library/a--b')],
  ['a----b', hub('library/a----b')],
  ['a.b', hub('library/a.b')],
  ['a.b-c_d__e', hub('library/a.b-c_d__e')],
  ['0', hub('library/0')],
  ['a/b/c/d/e/f', hub('a/b/c/d/e/f')],
  ['ghcr.io/a.b/c_d', at('ghcr.io', 'a.b/c_d')],
];

// distribution/reference#9: the limit counts the normalised path, not the registry host.
const LENGTHS: Row[] = [
  ['a'.repeat(247), hub('library/' + 'a'.repeat(247))],
  ['a'.repeat(248), /256 characters.*limit is 255/],
  ['team/' + 'a'.repeat(250), hub('team/' + 'a'.repeat(250))],
  ['team/' + 'a'.repeat(251), /256 characters.*limit is 255/],
  ['r.io/' + 'a'.repeat(255), at('r.io', 'a'.repeat(255))],
  ['r.io/' + 'a'.repeat(256), /256 characters.*limit is 255/],
  ['app:' + 'a'.repeat(129), /tag is 129 characters long; the limit is 128/],
];

const INVALID: Row[] = [
  ['', /empty/],
  [' nginx', /white space/],
  ['nginx ', /white space/],
  ['ng inx', /not a valid (repository path component|tag)/],
  ['nginx\t:1', /not a valid/],
  ['Nginx', /must be lower case/],
  ['nginx/App', /must be lower case/],
  ['ghcr.io/Acme/api', /must be lower case/],
  ['docker.io/Library/nginx', /must be lower case/],
  ['localhost:5000/App:v1', /must be lower case/],
  ['nginx/', /path component/],
  ['ghcr.io/acme/', /path component/],
  ['ghcr.io//api', /path component/],
  ['a//b', /path component/],
  ['/nginx', /path component/],
  ['ghcr.io/', /no repository path after the registry host/],
  [':tag', /no repository name/],
  ['@sha256:' + H64, /no repository name/],
  [':latest@sha256:' + H64, /no repository name/],
  ['a___b', /"a___b" is not a valid repository path component/],
  ['a..b', /path component/],
  ['a._b', /path component/],
  ['a.-b', /path component/],
  ['-a', /path component/],
  ['a-', /path component/],
  ['_a', /path component/],
  ['a_', /path component/],
  ['.a', /path component/],
  ['app:', /"" is not a valid tag/],
  ['app:.v1', /not a valid tag/],
  ['app:-v1', /not a valid tag/],
  ['app:v1+build', /not a valid tag/],
  ['app:tåg', /not a valid tag/],
  ['host:5000/app:tag:more', /path component/],
  ['host:port/app', /"host:port" is not a valid registry host/],
  ['-host.io/app', /not a valid registry host/],
  ['host-.io/app', /not a valid registry host/],
  ['host_name.io/app', /not a valid registry host/],
  ['::1/app', /"::1" is not a valid registry host/],
  ['[fe80::1%eth0]/x', /not a valid registry host/],
  ['[::1/app', /not a valid registry host/],
  [H64, /image ID, not a repository name/],
  ['app@', /not a valid digest/],
  ['app@sha256', /not a valid digest/],
  ['app@sha256:', /not a valid digest/],
  ['app@sha256:abc', /not a valid digest/],
  ['app@sha256:' + 'a'.repeat(31), /not a valid digest/],
  ['app@sha256:' + 'a'.repeat(63), /sha256 digest must be 64 lower-case hex characters, got 63/],
  ['app@sha256:' + 'a'.repeat(65), /got 65/],
  ['app@sha256:' + H64.toUpperCase(), /sha256 digest must be 64 lower-case hex.*upper case/],
  ['app@sha256:' + 'g'.repeat(64), /not a valid digest/],
  ['app@SHA256:' + H64, /algorithm "SHA256" is not supported/],
  ['app@md5:' + 'a'.repeat(32), /algorithm "md5" is not supported/],
  ['app@sha1:' + 'a'.repeat(40), /algorithm "sha1" is not supported/],
  ['app@sha256+b64:' + H64, /algorithm "sha256\+b64" is not supported/],
  ['app@1sha:' + H64, /not a valid digest/],
  ['app@sha384:' + H64, /sha384 digest must be 96/],
  ['app@sha512:' + H64, /sha512 digest must be 128/],
  ['app@sha256:' + H64 + '@sha256:' + H64, /not a valid digest/],
  ['app@latest', /not a valid digest/],
];

const TABLES = { DOCKER_HUB, HOSTS, TAGS_AND_DIGESTS, SEPARATORS, LENGTHS, INVALID };

for (const [table, rows] of Object.entries(TABLES)) {
  t.test(table, async (t) => {
    for (const [image, expected] of rows) {
      const label = JSON.stringify(image.length > 70 ? `${image.slice(0, 60)}…(${image.length})` : image);
      const result = parseImageReference(image);
      if (expected instanceof RegExp) {
        t.equal(result.ok, false, `${label} is rejected`);
        if (!result.ok) t.match(result.error, expected, `${label}: the error says why`);
      } else {
        t.same(result, { ok: true, ref: { original: image, ...expected } }, label);
      }
    }
  });
}

t.test('the table is large enough to mean something', async (t) => {
  const rows = Object.values(TABLES).reduce((n, rows) => n + rows.length, 0);
  t.ok(rows >= 100, `${rows} cases`);
});

t.test('a missing or non-string image is an error, never a throw', async (t) => {
  for (const value of [undefined, null, 42, {}, ['nginx']]) {
    const result = parseImageReference(value as unknown as string);
    t.equal(result.ok, false, `${JSON.stringify(value)} is rejected`);
    if (!result.ok) t.match(result.error, /names no image|must be a string, got (number|object)/);
  }
});

t.test('normalizedString is what the runtime pulls', async (t) => {
  const cases: [string, string][] = [
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['index.docker.io/user/app:v1', 'docker.io/user/app:v1'],
    ['host:5000/app', 'host:5000/app'],
    ['app:latest@sha256:' + H64, 'docker.io/library/app:latest@sha256:' + H64],
  ];
  for (const [image, pulled] of cases) {
    const result = parseImageReference(image);
    t.equal(result.ok && normalizedString(result.ref), pulled, image);
  }
});
