// The containers rules judge, listed once per request with their images parsed and their
// exemption decided: every rule reads the same list.
import type { V1Container } from '@kubernetes/client-node';
import { isKubeObject, type PodSpecSite } from '../kube/workload.js';
import { parseImageReference, type ParseResult } from '../images/reference.js';
import { ImageMemo } from '../images/image-memo.js';
import type { CompiledPolicy } from '../policy/compile.js';
import type { ContainerList, ContainerSite } from '../rules/rule.js';

const LISTS: readonly ContainerList[] = ['initContainers', 'containers', 'ephemeralContainers'];

interface ImageFacts {
  readonly image: ParseResult;
  readonly exempt: boolean;
}

const imageMemo = new ImageMemo<CompiledPolicy, ImageFacts>();

function judgeImage(policy: CompiledPolicy, raw: unknown): ImageFacts {
  const image = parseImageReference(raw as string);
  // Shared by every request that names this image: nothing may change it.
  if (image.ok) Object.freeze(image.ref);
  return Object.freeze({
    image: Object.freeze(image),
    exempt: policy.isExemptImage(String(raw), image.ok ? image.ref : undefined),
  });
}

function imageFacts(policy: CompiledPolicy, raw: unknown): ImageFacts {
  if (typeof raw !== 'string') return judgeImage(policy, raw);
  return imageMemo.get(policy, raw, () => judgeImage(policy, raw));
}

export function listContainers(sites: readonly PodSpecSite[], policy: CompiledPolicy): ContainerSite[] {
  const out: ContainerSite[] = [];
  for (const site of sites) {
    for (const list of LISTS) {
      const containers: unknown = site.spec[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((container: V1Container, i) => {
        if (!isKubeObject(container)) return;
        const { image, exempt } = imageFacts(policy, container.image);
        out.push({ container, list, path: `${site.path}/${list}/${i}`, site, image, exempt });
      });
    }
  }
  return out;
}
