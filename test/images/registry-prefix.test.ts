// `allowedRegistries` entries match on host and on whole path segments: a prefix that shares
// letters with another organisation's name must never admit it.
import t from 'tap';
import { matchesRegistryPrefix, parseRegistryPrefix } from '../../src/images/registry-prefix.js';
import { parseImageReference } from '../../src/images/reference.js';

function admits(entry: string, image: string): boolean {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(`test image ${image} is invalid: ${parsed.error}`);
  return matchesRegistryPrefix(parsed.ref, parseRegistryPrefix(entry));
}

const CASES: [entry: string, admitted: string[], refused: string[]][] = [
  [
    'ghcr.io/acme',
    [
      'ghcr.io/acme/api',
      'ghcr.io/acme/api:v1',
      'ghcr.io/acme/team/api@sha256:' + 'a'.repeat(64),
      'ghcr.io/acme',
    ],
    [
      'ghcr.io/acme-evil/api',
      'ghcr.io/acmeapi',
      'ghcr.io/acme.evil/api',
      'ghcr.io/other/acme',
      'quay.io/acme/api',
    ],
  ],
  ['ghcr.io/acme/', ['ghcr.io/acme/api'], ['ghcr.io/acme-evil/api']],
  [
    'ghcr.io/acme/api',
    ['ghcr.io/acme/api:v1', 'ghcr.io/acme/api/worker'],
    ['ghcr.io/acme/api2', 'ghcr.io/acme/ap'],
  ],
  [
    'ghcr.io',
    ['ghcr.io/anyone/app', 'GHCR.IO/acme/app', 'Ghcr.io/x'],
    ['ghcr.io.evil.com/acme/app', 'evil.ghcr.io/app', 'ghcr.io:443/acme/app'],
  ],
  ['GHCR.IO/acme', ['ghcr.io/acme/api'], ['ghcr.io/acme-evil/api']],
  // GitHub shows organisations as MyOrg; their repositories are lower case.
  ['ghcr.io/MyOrg', ['ghcr.io/myorg/api:v1'], ['ghcr.io/myorg-evil/api:v1']],
  // Ports are part of the host: another port is another registry.
  [
    '10.0.0.5:30500',
    ['10.0.0.5:30500/app', '10.0.0.5:30500/family-assistant:v1.4.2'],
    ['10.0.0.5/app', '10.0.0.5:3050/app', '10.0.0.5:305001/app', '10.0.0.50:30500/app'],
  ],
  ['localhost:5001', ['localhost:5001/angzarr-topology:v1'], ['localhost/app', 'localhost:5000/app']],
  ['localhost:5001/team', ['localhost:5001/team/app'], ['localhost:5001/teamwork/app', 'localhost:5001/app']],
  ['[::1]:5000', ['[::1]:5000/app'], ['[::1]:5001/app', '[::1]/app']],
  // Docker Hub: the legacy index.docker.io host and the implied "library/" namespace.
  ['docker.io', ['nginx', 'docker.io/nginx', 'index.docker.io/user/app', 'user/app'], ['quay.io/nginx']],
  ['index.docker.io', ['docker.io/user/app', 'nginx'], ['registry-1.docker.io/user/app']],
  [
    'docker.io/library',
    ['nginx:1.25', 'docker.io/nginx', 'index.docker.io/library/redis'],
    ['user/app', 'librarian/x'],
  ],
  [
    'index.docker.io/bitnami',
    ['docker.io/bitnami/redis:7.2.4', 'bitnami/redis'],
    ['docker.io/bitnamilabs/redis'],
  ],
  // "docker.io/nginx" is the path prefix "nginx" (a user namespace), not the official image.
  ['docker.io/nginx', ['docker.io/nginx/nginx-ingress:3.4.0', 'nginx/unit'], ['nginx', 'docker.io/nginx']],
];

t.test('prefixes match on host and whole path segments', async (t) => {
  for (const [entry, admitted, refused] of CASES) {
    for (const image of admitted) t.ok(admits(entry, image), `${entry} admits ${image}`);
    for (const image of refused) t.notOk(admits(entry, image), `${entry} refuses ${image}`);
  }
});

t.test('parsed entries keep the text the user wrote for messages', async (t) => {
  t.same(parseRegistryPrefix('GHCR.IO/Acme/'), {
    text: 'GHCR.IO/Acme/',
    registry: 'ghcr.io',
    pathPrefix: 'acme',
  });
  t.same(parseRegistryPrefix('index.docker.io'), {
    text: 'index.docker.io',
    registry: 'docker.io',
    pathPrefix: '',
  });
  t.same(parseRegistryPrefix('10.0.0.5:30500/a/b'), {
    text: '10.0.0.5:30500/a/b',
    registry: '10.0.0.5:30500',
    pathPrefix: 'a/b',
  });
});
