// Every image a remedy names is judged by the policy in force, as if the user had pasted it:
// over many images and many policies, each suggested image (and each `repo:<tag>` with a digest
// in place of the placeholder) must pass image-registry and image-tag. A remedy that proposes
// what another rule denies, or a registry the policy refuses, fails here.
import t from 'tap';
import fc from 'fast-check';
import { evaluateRequest } from '../../src/admission/evaluate.js';
import { requestFor } from '../../src/admission/object-request.js';
import { parsePolicy } from '../../src/policy/load.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';
import { pod } from '../fixtures/objects.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 18);
const DIGEST = `sha256:${'3f9c2a1d'.repeat(8)}`;
const IMAGE_RULES = new Set(['image-registry', 'image-tag']);

async function imageFindings(image: string, policy: CompiledPolicy) {
  const { findings } = await evaluateRequest(requestFor(pod([image])), 'validate', { policy });
  return findings.filter((f) => IMAGE_RULES.has(f.rule));
}

// What a remedy tells the user to write: after these words, up to a space, comma or parenthesis.
const SUGGESTION = /(?:push it as|write|--pin-digests:|e\.g\.) ([^\s,()]+)/g;

/** The images a message suggests; a `<tag>` placeholder is judged with a digest in its place. */
function suggestedImages(message: string): { text: string; judged: string }[] {
  return [...message.matchAll(SUGGESTION)]
    .map((m) => m[1]!)
    .filter((text) => text !== 'it' && text !== 'that')
    .map((text) => ({ text, judged: text.replace(/:<tag>$/, `@${DIGEST}`) }));
}

const hosts = [
  '',
  '',
  '',
  '',
  // Upper case in the path: not a valid reference, so the remedy is an example of the shape.
  'ghcr.io/Acme/',
  'docker.io/',
  'index.docker.io/',
  'ghcr.io/',
  '10.0.0.5:30500/',
  'localhost:5000/',
  'localhost/',
];
const components = [
  'nginx',
  'opa',
  'openpolicyagent',
  'library',
  'acme',
  'team',
  'family-assistant',
  'fluent-bit',
];
const tags = [
  '',
  ':latest',
  ':1.27',
  ':1.27.3',
  ':v1.4.2',
  ':phase2-mcp-logging-fix',
  ':fixed-final',
  ':2024-01-05',
  ':sha-3f9c2a1',
  ':12345',
  ':17-alpine',
];
const image = fc
  .tuple(
    fc.constantFrom(...hosts),
    fc.array(fc.constantFrom(...components), { minLength: 1, maxLength: 3 }),
    fc.constantFrom(...tags),
    fc.nat(4).map((n) => n === 0),
  )
  .map(([host, path, tag, pinned]) => `${host}${path.join('/')}${tag}${pinned ? `@${DIGEST}` : ''}`);

const prefixes = [
  'docker.io',
  'docker.io/openpolicyagent',
  'docker.io/library',
  'index.docker.io/team',
  'ghcr.io/acme',
  'ghcr.io/openpolicyagent',
  '10.0.0.5:30500',
  'localhost:5000/team',
  'myregistry',
];
const shapes = ['semver', 'versionVariant', 'commit', 'versionCommit', 'date', 'build'];
const policyText = fc
  .record({
    allowed: fc.oneof(fc.constant([]), fc.subarray(prefixes, { maxLength: 3 })),
    registryAction: fc.constantFrom('deny', 'deny', 'warn', 'off'),
    tagAction: fc.constantFrom('deny', 'deny', 'warn', 'off'),
    refused: fc.subarray(shapes, { maxLength: 2 }),
    floating: fc.constantFrom('mutable', 'accept'),
  })
  .map(
    ({ allowed, registryAction, tagAction, refused, floating }) =>
      'rules:\n' +
      `  image-registry: { action: ${registryAction}, allowedRegistries: ${JSON.stringify(allowed)} }\n` +
      `  image-tag:\n    action: ${tagAction}\n    floatingVersions: ${floating}\n` +
      `    accept: { ${refused.map((s) => `${s}: false`).join(', ')} }\n`,
  );

t.test('every image a remedy suggests passes the policy that suggested it', async (t) => {
  let concrete = 0;
  let placeholders = 0;
  await fc.assert(
    fc.asyncProperty(image, policyText, async (written, text) => {
      const policy = parsePolicy(text, 'policy.yaml');
      for (const finding of await imageFindings(written, policy)) {
        for (const { text: suggested, judged } of suggestedImages(finding.message)) {
          if (suggested === judged) concrete++;
          else placeholders++;
          const left = await imageFindings(judged, policy);
          if (left.length) {
            throw new Error(
              `${written} under\n${text}: [${finding.rule}] suggests ${suggested}, which is refused: ` +
                left.map((f) => `[${f.rule}] ${f.message}`).join('; '),
            );
          }
        }
      }
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  t.ok(concrete > RUNS / 10, `${concrete} concrete images suggested and judged`);
  t.ok(placeholders > RUNS / 20, `${placeholders} repositories with a <tag> placeholder judged`);
});

t.test('the cases users reported', async (t) => {
  const suggestions = async (written: string, text: string) =>
    (await imageFindings(written, parsePolicy(text, 'p.yaml'))).flatMap((f) =>
      suggestedImages(f.message).map((s) => s.text),
    );
  const opa = 'rules: { image-registry: { allowedRegistries: [docker.io/openpolicyagent] } }\n';
  t.same(await suggestions('openpolicyagent/opa:0.9.2', opa), ['docker.io/openpolicyagent/opa:0.9.2']);
  const ghcr = 'rules: { image-registry: { allowedRegistries: [ghcr.io/acme] } }\n';
  t.same(
    await suggestions('nginx:1.27.3', ghcr),
    ['ghcr.io/acme/nginx:1.27.3'],
    'no docker.io when it is not allowed',
  );
  t.same(
    await suggestions('family-assistant:phase2-mcp-logging-fix', ''),
    ['registry.example.com/team/family-assistant:<tag>', 'docker.io/library/family-assistant:<tag>'],
    'no made-up version, and nothing unqualified',
  );
  t.same(await suggestions('fluent/fluent-bit', ''), [
    'registry.example.com/team/fluent/fluent-bit:<tag>',
    'docker.io/fluent/fluent-bit:<tag>',
  ]);
});
