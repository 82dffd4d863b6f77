// `image-digest` (off by default): a tag can move between two replicas' pulls; a digest
// cannot. On Pod CREATE each `repo:tag` becomes `repo:tag@sha256:…` as the registry resolves
// it now, so every replica runs the same bits. Never on workload templates: GitOps tools would
// fight the rewritten image on every sync.
import { defineRule, type ContainerSite, type RuleFinding } from './rule.js';
import { displayImage } from '../images/reference.js';

export default defineRule({
  id: 'image-digest',
  settings: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'pin repo:tag to repo:tag@sha256:… on Pod CREATE, as resolved at admission',
    properties: {
      action: {
        type: 'string',
        enum: ['warn', 'off'],
        default: 'off',
        description: 'warn pins Pods (and warns when a tag cannot be resolved); off leaves images alone',
      },
    },
  },
  docs: {
    catches:
      'pins `repo:tag` to `repo:tag@sha256:…` on Pod CREATE, as resolved at admission; never on templates',
    policy: [
      'Pods get repo:tag@sha256:... as the tag resolves at admission, so every replica runs the',
      'same bits even if the tag moves. Pod CREATE only, never workload templates (GitOps tools',
      'would fight it).',
    ],
    settings: { action: { inline: 'warn | off', meaning: '`warn` (pin Pods to digests) or `off`' } },
  },
  endpoints: ['mutate'],
  operations: ['CREATE'],
  needsRegistry: true,
  configure: () => ({}),
  async evaluate(ctx) {
    const { images } = ctx;
    if (!images) return [];
    // Ephemeral containers arrive later, through their own subresource: not on CREATE.
    const tagged = ctx.containers.filter(
      (c): c is ContainerSite & { image: { ok: true } } =>
        !c.site.template &&
        c.list !== 'ephemeralContainers' &&
        !c.exempt &&
        c.image.ok &&
        c.image.ref.digest === undefined,
    );
    const results = await Promise.all(tagged.map((c) => images.digest(c.image.ref, c.site.spec)));
    const findings: RuleFinding[] = [];
    const pinned: { path: string; image: string }[] = [];
    results.forEach((result, i) => {
      const c = tagged[i]!;
      if (result.ok) pinned.push({ path: c.path, image: `${c.image.ref.original}@${result.digest}` });
      else {
        findings.push({
          action: 'warn',
          path: `${c.path}/image`,
          subject: String(c.container.image),
          message: `image ${displayImage(c.container.image)} was not pinned to a digest (${result.failure}): ${result.message}`,
        });
      }
    });
    for (const { path, image } of pinned) {
      ctx.edits.replace(path, ['image'], image);
    }
    return findings;
  },
});
