// An image the kubelet cannot parse fails on every node with InvalidImageName, so it is denied
// whatever the policy's rules say (image-registry off, or a policy without it): letting it through
// only moves the refusal to the kubelet. Denying it is safe to fail closed on: the object cannot
// run anyway. When image-registry already reported the image, that finding stands alone.
import { displayImage } from '../images/reference.js';
import { IMAGE_REFERENCE, type ContainerSite, type Finding } from '../rules/rule.js';

export function invalidReferenceFindings(
  containers: readonly ContainerSite[],
  reported: readonly Finding[],
): Finding[] {
  const findings: Finding[] = [];
  for (const { container, image, path, exempt } of containers) {
    if (image.ok || exempt) continue;
    const at = `${path}/image`;
    if (reported.some((f) => f.rule === 'image-registry' && f.path === at)) continue;
    const raw: unknown = container.image;
    findings.push({
      rule: IMAGE_REFERENCE,
      action: 'deny',
      path: at,
      subject: typeof raw === 'string' ? raw : '',
      message:
        `container "${container.name}" image ${displayImage(raw)} is not a valid image reference ` +
        `(${image.error}), so the kubelet would fail with InvalidImageName: write it as host/repository:tag`,
    });
  }
  return findings;
}
