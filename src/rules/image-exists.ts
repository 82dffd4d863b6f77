// `image-exists`: a tag that was never pushed sits in ImagePullBackOff for hours. The
// registry knows at admission time: a 404 (MANIFEST_UNKNOWN) for the tag or digest is "not
// pushed". Only that: a registry that cannot be reached, refuses us or times out says nothing
// about the image, so it is never reported as missing.
import { defineRule, type RuleFinding } from './rule.js';
import { actionSetting } from './settings.js';
import { displayImage } from '../images/reference.js';
import { LookupFailure } from '../images/registry/lookup-error.js';

export default defineRule({
  id: 'image-exists',
  settings: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'the registry says the tag or digest was never pushed',
    properties: { action: actionSetting('warn') },
  },
  docs: {
    catches:
      'the registry says the tag or digest was never pushed (404); an unreachable registry is never "missing"',
    policy: [
      'The registry says the tag or digest was never pushed (404 / MANIFEST_UNKNOWN): "image X is',
      'not in the registry (was it pushed?)". An unreachable registry is never reported as missing.',
    ],
    settings: { action: { inline: 'deny | warn | off', meaning: '`deny`, `warn` or `off`' } },
  },
  needsRegistry: true,
  configure: () => ({}),
  async evaluate(ctx) {
    const { images } = ctx;
    if (!images) return [];
    const judged = ctx.containers.filter((c) => c.image.ok && !c.exempt);
    const results = await Promise.all(
      judged.map((c) => (c.image.ok ? images.digest(c.image.ref, c.site.spec) : undefined)),
    );
    const findings: RuleFinding[] = [];
    results.forEach((result, i) => {
      if (result?.ok !== false || result.failure !== LookupFailure.notFound) return;
      const c = judged[i]!;
      findings.push({
        path: `${c.path}/image`,
        subject: String(c.container.image),
        message: `image ${displayImage(c.container.image)} is not in the registry (was it pushed?)`,
      });
    });
    return findings;
  },
});
