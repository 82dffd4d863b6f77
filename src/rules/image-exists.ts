// `image-exists`: a tag that was never pushed sits in ImagePullBackOff for hours. The
// registry knows at admission time: a 404 (MANIFEST_UNKNOWN) for the tag or digest is "not
// pushed". Only that: a registry that cannot be reached, refuses us or times out says nothing
// about the image, so it is never reported as missing.
import { defineRule, type RuleFinding } from './rule.js';
import { displayImage } from '../images/reference.js';
import { LookupFailure } from '../images/registry/lookup-error.js';

export default defineRule({
  id: 'image-exists',
  description: 'The image is in its registry (the tag or digest was pushed).',
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
