// The placement decision and the pin reader/writer on their own, with the shapes a Pod author
// can send: NotIn / Exists / DoesNotExist expressions, terms without arch, and fields that are
// not what the API would accept (strings where objects go). Never a throw; every write is
// read back by the same reader to prove a second pass keeps it.
import t from 'tap';
import type { V1PodSpec } from '@kubernetes/client-node';
import fc from 'fast-check';
import { decidePlacement, noNodeFits, type ImagePlatforms } from '../../src/images/placement.js';
import { ARCH_LABEL, OS_LABEL, addNodePin, readNodePin } from '../../src/rules/node-pin.js';
import { ObjectEdits } from '../../src/admission/edits.js';

const linux = (...arches: string[]) => arches.map((architecture) => ({ os: 'linux', architecture }));
const image = (shown: string, platforms: ImagePlatforms['platforms']): ImagePlatforms => ({
  shown,
  platforms,
});
const spec = (extra: Record<string, unknown>) => ({ containers: [], ...extra }) as unknown as V1PodSpec;
const terms = (...expressions: unknown[][]) => ({
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: expressions.map((matchExpressions) => ({ matchExpressions })),
      },
    },
  },
});
const arch = (operator: string, values?: string[]) => ({
  key: ARCH_LABEL,
  operator,
  ...(values && { values }),
});

/** The pod spec after the pin is added, as node-arch edits it; the one given is left as it was. */
function pinned(pod: V1PodSpec, architectures: readonly string[]): V1PodSpec {
  const edits = new ObjectEdits({ spec: pod });
  addNodePin(edits, '/spec', ARCH_LABEL, architectures);
  return (edits.edited?.spec ?? pod) as V1PodSpec;
}

function decide(images: ImagePlatforms[], pod: V1PodSpec) {
  return decidePlacement(images, readNodePin(pod, OS_LABEL), readNodePin(pod, ARCH_LABEL));
}

t.test('affinity operators are read as the scheduler reads them', async (t) => {
  const multi = [image('a', linux('amd64', 'arm64', 's390x'))];
  t.match(
    decide(multi, spec(terms([arch('NotIn', ['amd64'])]))),
    {
      kind: 'pin',
      architectures: ['arm64', 's390x'],
    },
    'NotIn admits the rest: narrowed to what images have',
  );
  t.match(
    decide(multi, spec(terms([arch('DoesNotExist')]))),
    { kind: 'deny' },
    'every node has an arch label',
  );
  t.match(decide(multi, spec(terms([arch('Exists')]))), {
    kind: 'pin',
    architectures: ['amd64', 'arm64', 's390x'],
  });
  t.match(
    decide(multi, spec(terms([arch('In', ['arm64'])], [{ key: 'zone', operator: 'In', values: ['a'] }]))),
    { kind: 'pin', architectures: ['amd64', 'arm64', 's390x'] },
    'a term without an arch expression admits every arch: the pod is not fully pinned',
  );
  t.match(decide(multi, spec(terms([arch('In', ['arm64', 'amd64'])], [arch('In', ['s390x'])]))), {
    kind: 'keep',
  });
});

t.test('hostile shapes are read as "no pin", never a throw', async (t) => {
  const amd = [image('a', linux('amd64'))];
  for (const extra of [
    { nodeSelector: 'kubernetes.io/arch=arm64' },
    { nodeSelector: { [ARCH_LABEL]: 7 } },
    { affinity: 5 },
    {
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 'x' } },
      },
    },
    terms([null, 'x', { key: ARCH_LABEL, operator: 'In', values: 'arm64' }]),
  ]) {
    const pod = spec(structuredClone(extra));
    const decision = decide(amd, pod);
    t.not(decision.kind, 'keep', JSON.stringify(extra));
    if (decision.kind !== 'pin') continue;
    t.match(
      decide(amd, pinned(pod, decision.architectures)),
      { kind: 'keep' },
      `pinned once, kept after: ${JSON.stringify(extra)}`,
    );
  }
});

t.test('several architectures go into every term; a pin read back is kept', async (t) => {
  const both = [image('a', linux('amd64', 'arm64'))];
  const pod = spec(terms([{ key: 'zone', operator: 'In', values: ['a'] }], []));
  const decision = decide(both, pod);
  t.match(decision, { kind: 'pin', architectures: ['amd64', 'arm64'] });
  if (decision.kind !== 'pin') return;
  const after = pinned(pod, decision.architectures);
  const written =
    after.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
  t.equal(written.length, 2);
  for (const term of written) t.same(term.matchExpressions!.at(-1), arch('In', ['amd64', 'arm64']));
  t.match(decide(both, after), { kind: 'keep' });
});

t.test('operating systems', async (t) => {
  const win = image('w', [{ os: 'windows', architecture: 'amd64' }]);
  const dual = image('d', [...linux('amd64'), { os: 'windows', architecture: 'amd64' }]);
  t.match(decide([dual], spec({})), { kind: 'pin', os: 'linux' }, 'linux preferred');
  t.match(decide([dual, win], spec({})), { kind: 'pin', os: 'windows', architectures: ['amd64'] });
  t.match(decide([dual], spec({ nodeSelector: { [OS_LABEL]: 'windows' } })), { kind: 'pin', os: 'windows' });
  t.match(decide([image('l', linux('arm64'))], spec({ nodeSelector: { [OS_LABEL]: 'windows' } })), {
    kind: 'deny',
    message:
      /nodeSelector kubernetes\.io\/os=windows leaves no node its images run on: l is linux\/arm64 only/,
  });
  t.match(decide([], spec({})), { kind: 'keep' }, 'no images: nothing to say');
});

t.test('noNodeFits: a conflict among some images holds whatever images join them', async (t) => {
  const amd64 = image('a', linux('amd64'));
  const arm64 = image('b', linux('arm64'));
  const none = spec({});
  const fits = (images: ImagePlatforms[], pod = none) =>
    !noNodeFits(images, readNodePin(pod, OS_LABEL), readNodePin(pod, ARCH_LABEL));
  t.notOk(fits([amd64, arm64]), 'amd64-only and arm64-only share nothing');
  t.ok(fits([amd64]), 'one image always fits somewhere');
  t.ok(fits([]), 'no images: nothing is known');
  t.notOk(fits([amd64], spec({ nodeSelector: { [ARCH_LABEL]: 'arm64' } })), 'a pin no image fits');
  t.ok(
    fits(
      [image('c', [...linux('amd64'), { os: 'windows', architecture: 'arm64' }])],
      spec({ nodeSelector: { [ARCH_LABEL]: 'arm64' } }),
    ),
    'a pin another system fits is not a certain conflict',
  );

  // Over every small set of images and any pin: a conflict stays a conflict, and a denial, when
  // another image joins.
  const platform = fc.record({
    os: fc.constantFrom('linux', 'windows'),
    architecture: fc.constantFrom('amd64', 'arm64', 's390x'),
  });
  const anImage = fc.array(platform, { minLength: 1, maxLength: 3 }).map((p) => image('x', p));
  const pin = fc.constantFrom<Record<string, unknown>>(
    {},
    { nodeSelector: { [ARCH_LABEL]: 'arm64' } },
    { nodeSelector: { [OS_LABEL]: 'windows' } },
    terms([arch('In', ['amd64', 's390x'])]),
    terms([arch('NotIn', ['amd64'])]),
  );
  fc.assert(
    fc.property(
      fc.array(anImage, { minLength: 1, maxLength: 4 }),
      anImage,
      pin,
      (images, extra, extraSpec) => {
        const pod = spec(extraSpec);
        if (fits(images, pod)) return true;
        return (
          !fits([...images, extra], pod) &&
          decide([...images, extra], pod).kind === 'deny' &&
          decide(images, pod).kind === 'deny'
        );
      },
    ),
    { seed: 20261123, numRuns: 2_000 },
  );
});
